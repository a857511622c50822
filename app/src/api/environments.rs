use crate::AppError;
use leptos::prelude::*;
use services::model::Environment;

#[server]
pub async fn list_environments() -> Result<Vec<Environment>, AppError> {
    let (services, _actor) = super::guard::actor().await?;
    Ok(services::environments::list_with_gateways(&services).await?)
}

/// The Environments page's destination form: each list as typed, a range per line.
#[server]
pub async fn update_destinations(environment: String, allowed: String, denied: String) -> Result<(), AppError> {
    use super::guard;
    let (services, actor) = guard::actor().await?;
    let lines = |text: &str| text.lines().map(str::to_string).collect::<Vec<_>>();
    let changes = services::model::EnvironmentChanges { allowed_destinations: Some(lines(&allowed)), denied_destinations: Some(lines(&denied)) };
    let env = services::environments::update(&services, &actor, &environment, changes).await?;
    guard::flash(format!("Saved where {} backends may be; live proxies there follow from their next connection.", env.name)).await?;
    Ok(())
}
