//! Server-side helpers for server functions: the services, the session, the signed-in actor,
//! and flash messages that survive the redirect after a form post.
use crate::components::flash::Flash;
use crate::{AppError, AppState};
use leptos::prelude::use_context;
use services::auth::{self, Actor, SESSION_USER_KEY};
use services::{Error, Services};
use tower_sessions::Session;

const FLASH_KEY: &str = "flash";

pub fn services() -> Result<Services, AppError> {
    use_context::<AppState>().map(|s| s.services).ok_or_else(|| AppError(Error::Internal("the console was started without its services".into())))
}

pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(AppError::from)
}

fn session_error(err: tower_sessions::session::Error) -> AppError {
    tracing::error!(error = %err, "session store error");
    AppError(Error::Internal("your session could not be read or saved; try again".into()))
}

/// The signed-in person, or `Unauthenticated`.
pub async fn actor() -> Result<(Services, Actor), AppError> {
    let services = services()?;
    let user_id: Option<i32> = session().await?.get(SESSION_USER_KEY).await.map_err(session_error)?;
    let user_id = user_id.ok_or(Error::Unauthenticated)?;
    let actor = auth::actor_for_user(&services.db, user_id).await?;
    Ok((services, actor))
}

/// Starts a fresh session for `actor` (a new id, so a planted session id is worthless).
pub async fn sign_in_session(actor: &Actor) -> Result<(), AppError> {
    let session = session().await?;
    session.cycle_id().await.map_err(session_error)?;
    session.insert(SESSION_USER_KEY, actor.id).await.map_err(session_error)?;
    Ok(())
}

pub async fn end_session() -> Result<(), AppError> {
    session().await?.flush().await.map_err(session_error)
}

/// A message for the next page the person sees.
pub async fn flash(message: impl Into<String>) -> Result<(), AppError> {
    store_flash(&session().await?, Flash { text: message.into(), error: false, secrets: Vec::new() }).await
}

/// A message with secrets shown this once, each with a Copy button (a subscription's keys).
pub async fn flash_secrets(message: impl Into<String>, secrets: Vec<(String, String)>) -> Result<(), AppError> {
    store_flash(&session().await?, Flash { text: message.into(), error: false, secrets }).await
}

/// Also used by the server's multipart form handlers, which are not server functions.
pub async fn store_flash(session: &Session, flash: Flash) -> Result<(), AppError> {
    session.insert(FLASH_KEY, flash).await.map_err(session_error)
}

pub async fn take_flash() -> Result<Option<Flash>, AppError> {
    // A message of an older shape (or none) simply shows nothing.
    Ok(session().await?.remove::<Flash>(FLASH_KEY).await.unwrap_or(None))
}
