//! Helpers for service tests: a fresh SQLite database and a few people in it.
use crate::auth::{self, Actor};
use crate::entities::user;
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};

/// A migrated in-memory SQLite database, private to the calling test.
pub async fn db() -> DatabaseConnection {
    crate::db::connect_and_migrate("sqlite::memory:").await.expect("in-memory database")
}

/// A user with a known password ("password123").
pub async fn user(db: &DatabaseConnection, email: &str, is_admin: bool) -> Actor {
    let created = user::ActiveModel {
        email: Set(email.to_string()),
        name: Set(email.split('@').next().unwrap_or(email).to_string()),
        password_hash: Set(auth::hash_password("password123").unwrap()),
        is_admin: Set(is_admin),
        created_at: Set(time::OffsetDateTime::now_utc()),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("insert user");
    Actor::from(created)
}

/// Lets every signed-in user create projects, for tests where a publisher makes their own
/// (as an admin would in Admin → Settings; written directly so no admin account appears).
pub async fn let_everyone_create_projects(db: &DatabaseConnection) {
    crate::entities::setting::ActiveModel {
        name: Set("project_creation".into()),
        value: Set(crate::model::ProjectCreation::Everyone.as_str().into()),
        updated_at: Set(time::OffsetDateTime::now_utc()),
    }
    .insert(db)
    .await
    .expect("settings");
}
