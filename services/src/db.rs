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
    if url.contains(":memory:") {
        // Every connection to :memory: is a separate database: keep exactly one.
        options.max_connections(1).min_connections(1);
    } else if url.starts_with("sqlite:") {
        // SQLite has one writer at a time; a few connections let reads overlap (WAL mode).
        options.max_connections(4);
    }
    let db = Database::connect(options).await?;
    if db.get_database_backend() == DbBackend::Sqlite {
        // WAL lets readers proceed while a write is in progress; foreign keys are off by default.
        db.execute_unprepared("PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;")
            .await?;
    }
    Migrator::up(&db, None).await?;
    Ok(db)
}
