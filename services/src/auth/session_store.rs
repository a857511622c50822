//! tower-sessions' `SessionStore` over sea-orm, so console sessions live in the same database
//! (SQLite or PostgreSQL) as everything else, through the same driver. We write this small
//! store instead of using tower-sessions-sqlx-store, which would need a second, per-backend pool.
//!
//! Rows are keyed by the SHA-256 of the session id, never the id itself: whoever reads the
//! database (a backup, a replica, an SQL injection elsewhere) finds no cookie value to sign in
//! with. The id has 128 random bits, so a plain digest is enough (no salt, no slow hash).
use crate::entities::session;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, ExpiredDeletion, Result, SessionStore};

#[derive(Clone, Debug)]
pub struct DbSessionStore {
    db: DatabaseConnection,
}

impl DbSessionStore {
    pub fn new(db: DatabaseConnection) -> Self {
        DbSessionStore { db }
    }
}

fn backend(err: sea_orm::DbErr) -> Error {
    Error::Backend(err.to_string())
}

/// The stored key of a session id.
fn key(id: &Id) -> String {
    hex::encode(Sha256::digest(id.to_string().as_bytes()))
}

fn active_model(record: &Record) -> Result<session::ActiveModel> {
    Ok(session::ActiveModel {
        id: Set(key(&record.id)),
        data: Set(serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))?),
        expires_at: Set(record.expiry_date),
    })
}

#[async_trait::async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        // Ids are 128 random bits; on the astronomically unlikely collision, draw again.
        while session::Entity::find_by_id(key(&record.id)).one(&self.db).await.map_err(backend)?.is_some() {
            record.id = Id::default();
        }
        session::Entity::insert(active_model(record)?).exec(&self.db).await.map_err(backend)?;
        Ok(())
    }

    async fn save(&self, record: &Record) -> Result<()> {
        let on_conflict = OnConflict::column(session::Column::Id).update_columns([session::Column::Data, session::Column::ExpiresAt]).to_owned();
        session::Entity::insert(active_model(record)?).on_conflict(on_conflict).exec(&self.db).await.map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let Some(row) = session::Entity::find_by_id(key(id)).one(&self.db).await.map_err(backend)? else {
            return Ok(None);
        };
        if row.expires_at <= OffsetDateTime::now_utc() {
            return Ok(None);
        }
        let data = serde_json::from_str(&row.data).map_err(|e| Error::Decode(e.to_string()))?;
        Ok(Some(Record { id: *id, data, expiry_date: row.expires_at }))
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        session::Entity::delete_by_id(key(id)).exec(&self.db).await.map_err(backend)?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl ExpiredDeletion for DbSessionStore {
    async fn delete_expired(&self) -> Result<()> {
        session::Entity::delete_many().filter(session::Column::ExpiresAt.lt(OffsetDateTime::now_utc())).exec(&self.db).await.map_err(backend)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[tokio::test]
    async fn round_trips_and_expires_records() {
        let db = crate::testing::db().await;
        let store = DbSessionStore::new(db);
        let mut data = HashMap::new();
        data.insert("user_id".to_string(), serde_json::json!(7));
        let mut record = Record { id: Id::default(), data, expiry_date: OffsetDateTime::now_utc() + time::Duration::hours(1) };
        store.create(&mut record).await.unwrap();
        let loaded = store.load(&record.id).await.unwrap().unwrap();
        assert_eq!(loaded.data["user_id"], serde_json::json!(7));
        let stored: Vec<String> = session::Entity::find().all(&store.db).await.unwrap().into_iter().map(|row| row.id).collect();
        assert_eq!(stored, [key(&record.id)], "only the id's digest is stored");
        assert!(!stored[0].contains(&record.id.to_string()));

        record.expiry_date = OffsetDateTime::now_utc() - time::Duration::seconds(1);
        store.save(&record).await.unwrap();
        assert!(store.load(&record.id).await.unwrap().is_none(), "expired sessions are not loaded");
        store.delete_expired().await.unwrap();
        store.delete(&record.id).await.unwrap();
    }
}
