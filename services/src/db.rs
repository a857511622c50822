//! Connecting to the database and bringing its schema up to date.
use migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend};
use std::path::Path;

/// The default database: a SQLite file in the data directory, created if missing.
pub fn default_sqlite_url(data_dir: &Path) -> String {
    format!("sqlite://{}?mode=rwc", data_dir.join("gatehouse.db").display())
}

/// Connects and applies every pending migration.
pub async fn connect_and_migrate(url: &str) -> Result<DatabaseConnection, sea_orm::DbErr> {
    let mut options = ConnectOptions::new(url.to_string());
    options.sqlx_logging(false);
    if url.starts_with("sqlite:") {
        // One connection, so requests queue for it in the pool instead of failing. With more,
        // two transactions that each read and then write fail at once with "database is
        // locked" (SQLite will not wait there: it would deadlock), and sea-orm has no
        // BEGIN IMMEDIATE. Every statement here takes milliseconds; the gateway never waits on
        // the database. (For :memory:, each connection would be a separate database anyway.)
        options.max_connections(1).min_connections(1);
    }
    let db = Database::connect(options).await?;
    if db.get_database_backend() == DbBackend::Sqlite {
        // WAL lets readers proceed while a write is in progress; foreign keys are off by default.
        db.execute_unprepared("PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;").await?;
    }
    Migrator::up(&db, None).await?;
    Ok(db)
}

#[cfg(test)]
mod tests {
    use crate::proxies::tests::{project_with_owner, weather};
    use crate::proxies::{self, endpoints};

    /// Publishers saving at the same moment all succeed (each request's transaction reads, then
    /// writes), on a real SQLite file.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_writes_to_a_sqlite_file_all_succeed() {
        let dir = tempfile::tempdir().unwrap();
        let db = super::connect_and_migrate(&super::default_sqlite_url(dir.path())).await.unwrap();
        let ada = project_with_owner(&db).await;
        let tasks: Vec<_> = (0..24)
            .map(|i| {
                let (db, ada) = (db.clone(), ada.clone());
                tokio::spawn(async move {
                    let created =
                        proxies::create(&db, &ada, "weather", crate::model::NewProxy { name: format!("API {i}"), ..weather(&format!("/api{i}")) }).await?;
                    let mut settings = endpoints::get(&db, &ada, "weather", &created.slug, "development").await?.settings();
                    settings.url = format!("https://backend.test:9000/v{i}");
                    endpoints::save(&db, &ada, "weather", &created.slug, "development", settings).await
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().expect("every concurrent write succeeds");
        }
        assert_eq!(proxies::list(&db, &ada, "weather", "", 1, 100).await.unwrap().total, 24);
    }
}
