use crate::AppError;
use leptos::prelude::*;
use services::model::Environment;

#[server]
pub async fn list_environments() -> Result<Vec<Environment>, AppError> {
    let (services, _actor) = super::guard::actor().await?;
    Ok(services::environments::list_with_gateways(&services).await?)
}
