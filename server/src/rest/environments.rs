use super::{ApiError, ApiJson, Caller};
use app::AppState;
use axum::extract::{Path, State};
use axum::Json;
use services::model::{Environment, EnvironmentChanges, GatewayNode};

/// Every environment, in promotion order, with its gateway's URL and listener certificate.
#[utoipa::path(get, path = "/environments", tag = "environments", security(("bearer" = [])),
    responses((status = 200, body = [Environment]), (status = 401, body = super::error::ErrorBody)))]
pub async fn list_environments(State(state): State<AppState>, _caller: Caller) -> Result<Json<Vec<Environment>>, ApiError> {
    Ok(Json(services::environments::list_with_gateways(&state.services).await?))
}

/// Changes an environment (admins only): where its backends may be, and its listener's TLS
/// settings (`tls: {min_version: "1.2"|"1.3", cipher_suites: [TLS 1.2 suite names]}`). Only what
/// is given changes; every live route of the environment is compiled again with new lists at
/// once, and new TLS settings hold from the next handshake.
#[utoipa::path(patch, path = "/environments/{environment}", tag = "environments", request_body = EnvironmentChanges,
    params(("environment" = String, Path, description = "Environment id or slug")),
    security(("bearer" = [])), responses((status = 200, body = Environment), (status = 403, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
pub async fn update_environment(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(environment): Path<String>,
    ApiJson(body): ApiJson<EnvironmentChanges>,
) -> Result<Json<Environment>, ApiError> {
    Ok(Json(services::environments::update(&state.services, &actor, &environment, body).await?))
}

/// Every gateway node on this database: where it is, its role and version, its last heartbeat,
/// whether it is up, and per environment (and for subscriptions and keys) the configuration
/// version it serves against the latest (`lag`: how many changes it is behind).
#[utoipa::path(get, path = "/gateways", tag = "environments", security(("bearer" = [])),
    responses((status = 200, body = [GatewayNode]), (status = 401, body = super::error::ErrorBody)))]
pub async fn list_gateways(State(state): State<AppState>, _caller: Caller) -> Result<Json<Vec<GatewayNode>>, ApiError> {
    Ok(Json(services::cluster::nodes(&state.services.db).await?))
}
