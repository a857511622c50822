//! Signing in and out, first-run setup, and who is signed in.
use crate::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use services::model::User;

/// The signed-in user, or `None`.
#[server]
pub async fn current_user() -> Result<Option<User>, AppError> {
    use super::guard;
    match guard::actor().await {
        Ok((services, actor)) => {
            let user = services::users::get(&services.db, actor.id).await?;
            Ok(Some(user))
        }
        Err(AppError(services::Error::Unauthenticated)) => Ok(None),
        Err(other) => Err(other),
    }
}

#[server]
pub async fn sign_in(email: String, password: String) -> Result<(), AppError> {
    use super::guard;
    let services = guard::services()?;
    let address = leptos_axum::extract::<axum::extract::ConnectInfo<std::net::SocketAddr>>().await.ok().map(|info| info.0.ip());
    let actor = services::auth::sign_in(&services.db, &services.throttle, &email, &password, address).await?;
    guard::sign_in_session(&actor).await?;
    leptos_axum::redirect("/projects");
    Ok(())
}

#[server]
pub async fn sign_out() -> Result<(), AppError> {
    super::guard::end_session().await?;
    leptos_axum::redirect("/signin");
    Ok(())
}

/// What the setup page should offer for the token in its link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SetupState {
    /// Users exist: sign in instead.
    Done,
    /// No users yet, but this link is not the one printed on the console.
    BadLink,
    Ready,
}

#[server]
pub async fn check_setup_link(token: String) -> Result<SetupState, AppError> {
    let services = super::guard::services()?;
    Ok(if !services::auth::needs_setup(&services.db).await? {
        SetupState::Done
    } else if services.setup.is_valid(&token) {
        SetupState::Ready
    } else {
        SetupState::BadLink
    })
}

#[server]
pub async fn create_first_admin(token: String, name: String, email: String, password: String) -> Result<(), AppError> {
    use super::guard;
    let services = guard::services()?;
    let admin = services::auth::FirstAdmin { name, email, password };
    let actor = services::auth::create_first_admin(&services.db, &services.setup, &token, admin).await?;
    guard::sign_in_session(&actor).await?;
    guard::flash("Welcome to Gatehouse. Create your first project to get started.").await?;
    leptos_axum::redirect("/projects");
    Ok(())
}

/// The message left by the last action, shown once.
#[server]
pub async fn take_flash() -> Result<Option<crate::components::flash::Flash>, AppError> {
    super::guard::take_flash().await
}
