//! REST API tokens: created by a signed-in user (or by POST /api/v1/tokens with a password),
//! shown once, stored as a SHA-256 hash, listed by prefix, revocable.
use crate::auth::Actor;
use crate::entities::{api_token, user};
use crate::model::{ApiToken, NewApiToken};
use crate::{Error, Result};
use rand::RngCore;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};
use sha2::{Digest, Sha256};

/// Every token starts with this, so a leaked one is easy to recognise in logs and scanners.
pub const TOKEN_PREFIX: &str = "ghk_";
const MAX_TOKENS_PER_USER: u64 = 50;

fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

pub async fn create(db: &DatabaseConnection, actor: &Actor, name: &str) -> Result<NewApiToken> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::invalid("name", "give the token a name, such as \"ci\" or \"laptop\""));
    }
    if name.chars().count() > 100 {
        return Err(Error::invalid("name", "the name is longer than 100 characters"));
    }
    let held = api_token::Entity::find().filter(api_token::Column::UserId.eq(actor.id)).count(db).await?;
    if held >= MAX_TOKENS_PER_USER {
        return Err(Error::Conflict(format!("you already have {MAX_TOKENS_PER_USER} tokens: revoke one you no longer use first")));
    }
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let secret = format!("{TOKEN_PREFIX}{}", hex::encode(bytes));
    let created = api_token::ActiveModel {
        user_id: Set(actor.id),
        name: Set(name.to_string()),
        token_hash: Set(digest(&secret)),
        prefix: Set(secret[..TOKEN_PREFIX.len() + 6].to_string()),
        created_at: Set(time::OffsetDateTime::now_utc()),
        last_used_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(NewApiToken { token: secret, summary: created.into() })
}

pub async fn list(db: &DatabaseConnection, actor: &Actor) -> Result<Vec<ApiToken>> {
    Ok(api_token::Entity::find()
        .filter(api_token::Column::UserId.eq(actor.id))
        .order_by_desc(api_token::Column::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .map(ApiToken::from)
        .collect())
}

pub async fn revoke(db: &DatabaseConnection, actor: &Actor, token_id: i32) -> Result<()> {
    let deleted = api_token::Entity::delete_many().filter(api_token::Column::Id.eq(token_id)).filter(api_token::Column::UserId.eq(actor.id)).exec(db).await?;
    if deleted.rows_affected == 0 {
        return Err(Error::NotFound("no such token: it may have been revoked already".into()));
    }
    Ok(())
}

/// The actor behind a bearer token; `Unauthenticated` for anything unknown or revoked.
pub async fn authenticate(db: &DatabaseConnection, secret: &str) -> Result<Actor> {
    if !secret.starts_with(TOKEN_PREFIX) {
        return Err(Error::Unauthenticated);
    }
    let Some((token, Some(owner))) =
        api_token::Entity::find().filter(api_token::Column::TokenHash.eq(digest(secret))).find_also_related(user::Entity).one(db).await?
    else {
        return Err(Error::Unauthenticated);
    };
    let mut touched: api_token::ActiveModel = token.into();
    touched.last_used_at = Set(Some(time::OffsetDateTime::now_utc()));
    touched.update(db).await?;
    Ok(Actor::from(owner))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    #[tokio::test]
    async fn a_token_authenticates_until_revoked() {
        let db = testing::db().await;
        let ada = testing::user(&db, "ada@example.test", false).await;
        let new = create(&db, &ada, "ci").await.unwrap();
        assert!(new.token.starts_with(TOKEN_PREFIX));
        assert!(new.token.starts_with(&new.summary.prefix));

        let stored = api_token::Entity::find().one(&db).await.unwrap().unwrap();
        assert_ne!(stored.token_hash, new.token, "only the hash is stored");

        assert_eq!(authenticate(&db, &new.token).await.unwrap().id, ada.id);
        assert!(list(&db, &ada).await.unwrap()[0].last_used_at.is_some());
        assert_eq!(authenticate(&db, "ghk_nope").await.unwrap_err(), Error::Unauthenticated);

        let bob = testing::user(&db, "bob@example.test", false).await;
        assert!(matches!(revoke(&db, &bob, new.summary.id).await, Err(Error::NotFound(_))), "only the owner revokes");
        revoke(&db, &ada, new.summary.id).await.unwrap();
        assert_eq!(authenticate(&db, &new.token).await.unwrap_err(), Error::Unauthenticated);
    }

    #[tokio::test]
    async fn a_token_needs_a_name() {
        let db = testing::db().await;
        let ada = testing::user(&db, "ada@example.test", false).await;
        assert_eq!(create(&db, &ada, "  ").await.unwrap_err().field(), Some("name"));
    }
}
