//! User administration (administrators only; the service checks).
use crate::AppError;
use leptos::prelude::*;
use services::model::{Page, User};

#[server]
pub async fn list_users(page: u64) -> Result<Page<User>, AppError> {
    let (services, actor) = super::guard::actor().await?;
    Ok(services::users::list(&services.db, &actor, page, services::model::DEFAULT_PER_PAGE).await?)
}

/// `is_admin` is a checkbox: present ("on") when ticked, absent otherwise.
#[server]
pub async fn create_user(email: String, name: String, password: String, is_admin: Option<String>) -> Result<(), AppError> {
    use super::guard;
    let (services, actor) = guard::actor().await?;
    let new = services::users::NewUser { email, name, password, is_admin: is_admin.is_some() };
    let user = services::users::create(&services.db, &actor, new).await?;
    guard::flash(format!("Created an account for {}. Tell them their password in person.", user.email)).await?;
    Ok(())
}

#[server]
pub async fn set_admin(user_id: i32, is_admin: bool) -> Result<(), AppError> {
    use super::guard;
    let (services, actor) = guard::actor().await?;
    let user = services::users::set_admin(&services.db, &actor, user_id, is_admin).await?;
    let what = if user.is_admin { "is now an administrator" } else { "is no longer an administrator" };
    guard::flash(format!("{} {what}.", user.email)).await?;
    Ok(())
}

#[server]
pub async fn delete_user(user_id: i32) -> Result<(), AppError> {
    use super::guard;
    let (services, actor) = guard::actor().await?;
    services::users::delete(&services.db, &actor, user_id).await?;
    guard::flash("User deleted.").await?;
    Ok(())
}
