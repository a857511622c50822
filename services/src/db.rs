//! Connecting to the database and bringing its schema up to date.
use migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, TransactionTrait};
use std::path::Path;

/// The default database: a SQLite file in the data directory, created if missing.
pub fn default_sqlite_url(data_dir: &Path) -> String {
    format!("sqlite://{}?mode=rwc", data_dir.join("gatehouse.db").display())
}

/// The key of the PostgreSQL advisory lock that migrations run under ("gatehous" in ASCII), so
/// that of several nodes starting at once on one database, one migrates and the others wait,
/// then find nothing left to do.
const MIGRATION_LOCK: i64 = 0x6761_7465_686f_7573;

/// Connects and applies every pending migration (on PostgreSQL, one node at a time).
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
    if db.get_database_backend() == DbBackend::Postgres {
        // A transaction-scoped lock, released by the commit, so a node that dies mid-way
        // holds nothing; the migrations run in the same transaction (sea-orm nests them in a
        // savepoint), so a failed one leaves no half of itself either.
        let txn = db.begin().await?;
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")).await?;
        Migrator::up(&txn, None).await?;
        txn.commit().await?;
    } else {
        Migrator::up(&db, None).await?;
    }
    Ok(db)
}

#[cfg(test)]
mod tests {
    use crate::proxies::tests::{project_with_owner, weather};
    use crate::proxies::{self, endpoints};

    /// Runs this crate's tests again, each on its own database in a throwaway PostgreSQL
    /// (Debian's, started here on a port chosen at run time): the same services on the engine
    /// several nodes share. The child process is this test binary, told to use PostgreSQL (the
    /// fuzz tests, which touch no database, run once).
    #[test]
    fn every_service_test_on_postgresql() {
        if std::env::var(crate::testing::POSTGRES_VAR).is_ok() {
            return; // this is the child
        }
        let server = testkit::postgres::start();
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--skip", "every_service_test_on_postgresql", "--skip", "fuzz_", "--test-threads", "4"])
            .env(crate::testing::POSTGRES_VAR, &server.admin_url)
            .output()
            .unwrap();
        let report = format!("{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "the service tests failed on PostgreSQL:\n{report}");
        assert!(report.contains("test result: ok"), "{report}");
    }

    /// Three nodes starting at once on one new PostgreSQL database all come up: one migrates
    /// under the lock, the others wait and find nothing to do.
    #[tokio::test(flavor = "multi_thread", worker_threads = 3)]
    async fn nodes_starting_at_once_migrate_once() {
        let Ok(admin) = std::env::var(crate::testing::POSTGRES_VAR) else { return };
        use sea_orm::ConnectionTrait;
        let server = sea_orm::Database::connect(&admin).await.unwrap();
        let name = format!("race_{}", std::process::id());
        server.execute_unprepared(&format!("CREATE DATABASE {name}")).await.unwrap();
        let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
        let nodes: Vec<_> = (0..3)
            .map(|_| {
                let url = url.clone();
                tokio::spawn(async move { super::connect_and_migrate(&url).await })
            })
            .collect();
        for node in nodes {
            node.await.unwrap().expect("every node starts");
        }
        let db = super::connect_and_migrate(&url).await.unwrap();
        let applied =
            db.query_one(sea_orm::Statement::from_string(db.get_database_backend(), "SELECT count(*) AS n FROM seaql_migrations")).await.unwrap().unwrap();
        assert_eq!(applied.try_get::<i64>("", "n").unwrap() as usize, <migrations::Migrator as migrations::MigratorTrait>::migrations().len());
    }

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
