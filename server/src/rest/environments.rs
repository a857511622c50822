use super::{ApiError, Caller};
use app::AppState;
use axum::extract::State;
use axum::Json;
use services::model::Environment;

/// Every environment, in promotion order, with its gateway's URL and listener certificate.
#[utoipa::path(get, path = "/environments", tag = "environments", security(("bearer" = [])),
    responses((status = 200, body = [Environment]), (status = 401, body = super::error::ErrorBody)))]
pub async fn list_environments(State(state): State<AppState>, _caller: Caller) -> Result<Json<Vec<Environment>>, ApiError> {
    Ok(Json(services::environments::list_with_gateways(&state.services).await?))
}
