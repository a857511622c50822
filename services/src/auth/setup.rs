//! First run: until a user exists, the console offers a setup page that creates the first
//! administrator. It is reachable only through a one-time link printed on the server console,
//! or skipped when GATEHOUSE_ADMIN_EMAIL / GATEHOUSE_ADMIN_PASSWORD are set.
use super::login::{validate_email, validate_password};
use super::password::hash_bounded;
use super::Actor;
use crate::entities::user;
use crate::{Error, Result};
use rand::RngCore;
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, PaginatorTrait, Set, TransactionTrait};
use sha2::{Digest, Sha256};
use std::sync::Mutex;

/// The one-time setup secret. Only its hash is held; it is forgotten once used.
#[derive(Default)]
pub struct SetupLink {
    hash: Mutex<Option<[u8; 32]>>,
}

impl SetupLink {
    /// Makes a new secret and returns it (to be printed as a link). Replaces any earlier one.
    pub fn issue(&self) -> String {
        let mut bytes = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let secret = hex::encode(bytes);
        *self.hash.lock().unwrap_or_else(|p| p.into_inner()) = Some(Sha256::digest(secret.as_bytes()).into());
        secret
    }

    pub fn is_valid(&self, secret: &str) -> bool {
        let digest: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
        // Comparing digests, not secrets, so the comparison's timing reveals nothing useful.
        self.hash.lock().unwrap_or_else(|p| p.into_inner()).is_some_and(|h| h == digest)
    }

    fn forget(&self) {
        *self.hash.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

pub async fn needs_setup(db: &DatabaseConnection) -> Result<bool> {
    Ok(user::Entity::find().count(db).await? == 0)
}

#[derive(Debug, Clone)]
pub struct FirstAdmin {
    pub name: String,
    pub email: String,
    pub password: String,
}

/// Creates the first administrator, once, with the secret from the printed link.
pub async fn create_first_admin(db: &DatabaseConnection, link: &SetupLink, secret: &str, admin: FirstAdmin) -> Result<Actor> {
    if !link.is_valid(secret) {
        return Err(Error::Forbidden("this setup link is not valid any more: use the newest link printed on the Gatehouse server console".into()));
    }
    let actor = insert_admin_if_none(db, admin).await?;
    link.forget();
    Ok(actor)
}

/// GATEHOUSE_ADMIN_EMAIL/PASSWORD: creates that admin when there are no users yet; returns
/// `None` when users already exist (the variables are then ignored).
pub async fn ensure_admin_from_env(db: &DatabaseConnection, email: &str, password: &str) -> Result<Option<Actor>> {
    if !needs_setup(db).await? {
        return Ok(None);
    }
    let name = email.split('@').next().unwrap_or("admin").to_string();
    insert_admin_if_none(db, FirstAdmin { name, email: email.into(), password: password.into() }).await.map(Some)
}

async fn insert_admin_if_none(db: &DatabaseConnection, admin: FirstAdmin) -> Result<Actor> {
    let name = admin.name.trim().to_string();
    if name.is_empty() {
        return Err(Error::invalid("name", "enter your name"));
    }
    let email = validate_email("email", &admin.email)?;
    validate_password("password", &admin.password)?;
    let hash = hash_bounded(admin.password.clone()).await?;
    let txn = db.begin().await?;
    if user::Entity::find().count(&txn).await? > 0 {
        return Err(Error::Conflict("Gatehouse is already set up: sign in instead".into()));
    }
    let created = user::ActiveModel {
        email: Set(email),
        name: Set(name),
        password_hash: Set(hash),
        is_admin: Set(true),
        created_at: Set(time::OffsetDateTime::now_utc()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(Actor::from(created))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    fn admin() -> FirstAdmin {
        FirstAdmin { name: "Ada".into(), email: "ada@example.test".into(), password: "a long password".into() }
    }

    #[tokio::test]
    async fn the_setup_link_works_once() {
        let db = testing::db().await;
        let link = SetupLink::default();
        assert!(matches!(create_first_admin(&db, &link, "guess", admin()).await, Err(Error::Forbidden(_))));
        let secret = link.issue();
        assert!(needs_setup(&db).await.unwrap());
        let bad = create_first_admin(&db, &link, &secret, FirstAdmin { password: "short".into(), ..admin() }).await;
        assert_eq!(bad.unwrap_err().field(), Some("password"), "a bad form keeps the link usable");
        let actor = create_first_admin(&db, &link, &secret, admin()).await.unwrap();
        assert!(actor.is_admin);
        assert!(!needs_setup(&db).await.unwrap());
        assert!(matches!(create_first_admin(&db, &link, &secret, admin()).await, Err(Error::Forbidden(_))));
    }

    #[tokio::test]
    async fn environment_variables_create_the_admin_only_on_an_empty_database() {
        let db = testing::db().await;
        let created = ensure_admin_from_env(&db, "root@example.test", "a long password").await.unwrap();
        assert!(created.unwrap().is_admin);
        assert!(ensure_admin_from_env(&db, "other@example.test", "a long password").await.unwrap().is_none());
    }
}
