use super::password::{decoy_hash, verify_bounded};
use super::{Actor, LoginThrottle};
use crate::entities::user;
use crate::{Error, Result};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use std::net::IpAddr;

pub const MIN_PASSWORD_LEN: usize = 10;

/// Checks an email and password from `address` (the client's, when known). A wrong email and a
/// wrong password give the same error and take the same time; attempts are throttled per
/// email and per address, counted from when they start.
pub async fn sign_in(db: &DatabaseConnection, throttle: &LoginThrottle, email: &str, password: &str, address: Option<IpAddr>) -> Result<Actor> {
    let email = normalize_email(email);
    if email.is_empty() || password.is_empty() || password.len() > 1024 {
        return Err(Error::BadCredentials);
    }
    let attempt = throttle.begin(&email, address).map_err(|retry_after_secs| Error::Throttled { retry_after_secs })?;
    let found = user::Entity::find().filter(user::Column::Email.eq(email.as_str())).one(db).await?;
    let hash = found.as_ref().map(|u| u.password_hash.clone()).unwrap_or_else(|| decoy_hash().to_string());
    let matches = verify_bounded(hash, password.to_string()).await?;
    match found {
        Some(user) if matches => {
            attempt.succeeded();
            Ok(Actor::from(user))
        }
        _ => {
            attempt.failed();
            Err(Error::BadCredentials)
        }
    }
}

pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Emails are checked for shape only; nothing is sent to them.
pub(crate) fn validate_email(field: &str, email: &str) -> Result<String> {
    let email = normalize_email(email);
    let shaped = email.len() <= 320
        && email.split_once('@').is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.'))
        && !email.chars().any(char::is_whitespace);
    if shaped {
        Ok(email)
    } else {
        Err(Error::invalid(field, "enter an email address such as ada@example.com"))
    }
}

pub fn validate_password(field: &str, password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(Error::invalid(field, format!("the password needs at least {MIN_PASSWORD_LEN} characters")));
    }
    if password.len() > 1024 {
        return Err(Error::invalid(field, "the password is longer than 1024 bytes"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    #[tokio::test]
    async fn wrong_email_and_wrong_password_look_the_same() {
        let db = testing::db().await;
        let throttle = LoginThrottle::default();
        let ada = testing::user(&db, "ada@example.test", false).await;
        assert_eq!(sign_in(&db, &throttle, " ADA@example.test ", "password123", None).await.unwrap(), ada);
        let wrong_password = sign_in(&db, &throttle, "ada@example.test", "nope", None).await.unwrap_err();
        let wrong_email = sign_in(&db, &throttle, "who@example.test", "password123", None).await.unwrap_err();
        assert_eq!(wrong_password, Error::BadCredentials);
        assert_eq!(wrong_email.to_string(), wrong_password.to_string());
    }

    #[tokio::test]
    async fn repeated_failures_are_throttled_even_with_the_right_password() {
        let db = testing::db().await;
        let throttle = LoginThrottle::default();
        testing::user(&db, "ada@example.test", false).await;
        for _ in 0..5 {
            let _ = sign_in(&db, &throttle, "ada@example.test", "guess", None).await;
        }
        let err = sign_in(&db, &throttle, "ada@example.test", "password123", None).await.unwrap_err();
        assert!(matches!(err, Error::Throttled { retry_after_secs } if retry_after_secs > 0), "{err:?}");
    }

    #[test]
    fn emails_and_passwords_are_checked() {
        assert_eq!(validate_email("email", " Ada@Example.COM ").unwrap(), "ada@example.com");
        for bad in ["", "ada", "ada@", "@example.com", "ada@example", "a b@example.com"] {
            assert!(validate_email("email", bad).is_err(), "{bad}");
        }
        assert!(validate_password("password", "short").is_err());
        assert!(validate_password("password", "long enough").is_ok());
    }
}
