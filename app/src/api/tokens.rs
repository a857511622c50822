//! REST API tokens of the signed-in user.
use crate::AppError;
use leptos::prelude::*;
use services::model::ApiToken;

#[server]
pub async fn list_tokens() -> Result<Vec<ApiToken>, AppError> {
    let (services, actor) = super::guard::actor().await?;
    Ok(services::tokens::list(&services.db, &actor).await?)
}

/// Creates a token. Its secret travels back once, in the flash message, which the next page
/// shows and forgets (so it also reaches a browser without JavaScript).
#[server]
pub async fn create_token(name: String) -> Result<(), AppError> {
    use super::guard;
    let (services, actor) = guard::actor().await?;
    let created = services::tokens::create(&services.db, &actor, &name).await?;
    guard::flash(format!("Created token \"{}\". Copy it now, it will not be shown again: {}", created.summary.name, created.token)).await?;
    Ok(())
}

#[server]
pub async fn revoke_token(id: i32) -> Result<(), AppError> {
    use super::guard;
    let (services, actor) = guard::actor().await?;
    services::tokens::revoke(&services.db, &actor, id).await?;
    guard::flash("Token revoked: it no longer works.").await?;
    Ok(())
}
