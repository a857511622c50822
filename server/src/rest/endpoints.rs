//! A proxy's endpoint configuration per environment, and Check connection.
use super::{ApiError, ApiJson, Caller};
use app::AppState;
use axum::extract::{Path, State};
use axum::Json;
use services::model::{EndpointConfig, EndpointSettings};
use services::proxies::endpoints;

/// Every environment's endpoint configuration, in promotion order.
#[utoipa::path(get, path = "/projects/{project}/proxies/{proxy}/endpoints", tag = "proxies",
    params(("project" = String, Path, description = "Project id or slug"), ("proxy" = String, Path, description = "Proxy id or slug")),
    security(("bearer" = [])), responses((status = 200, body = [EndpointConfig]), (status = 404, body = super::error::ErrorBody)))]
pub async fn list_endpoints(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((project, proxy)): Path<(String, String)>,
) -> Result<Json<Vec<EndpointConfig>>, ApiError> {
    Ok(Json(endpoints::list(&state.services.db, &actor, &project, &proxy).await?))
}

#[utoipa::path(get, path = "/projects/{project}/proxies/{proxy}/endpoints/{environment}", tag = "proxies",
    params(("project" = String, Path, description = "Project id or slug"), ("proxy" = String, Path, description = "Proxy id or slug"),
        ("environment" = String, Path, description = "Environment id or slug")),
    security(("bearer" = [])), responses((status = 200, body = EndpointConfig), (status = 404, body = super::error::ErrorBody)))]
pub async fn get_endpoint(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((project, proxy, environment)): Path<(String, String, String)>,
) -> Result<Json<EndpointConfig>, ApiError> {
    Ok(Json(endpoints::get(&state.services.db, &actor, &project, &proxy, &environment).await?))
}

/// Saves one environment's endpoint configuration. Nothing is live until it is deployed.
/// An endpoint certificate that names another host is refused unless `accept_host_mismatch` is true.
#[utoipa::path(put, path = "/projects/{project}/proxies/{proxy}/endpoints/{environment}", tag = "proxies", request_body = EndpointSettings,
    params(("project" = String, Path, description = "Project id or slug"), ("proxy" = String, Path, description = "Proxy id or slug"),
        ("environment" = String, Path, description = "Environment id or slug")),
    security(("bearer" = [])),
    responses((status = 200, body = EndpointConfig), (status = 403, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
pub async fn put_endpoint(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((project, proxy, environment)): Path<(String, String, String)>,
    ApiJson(body): ApiJson<EndpointSettings>,
) -> Result<Json<EndpointConfig>, ApiError> {
    Ok(Json(endpoints::save(&state.services.db, &actor, &project, &proxy, &environment, body).await?))
}

/// Connects to the backend with the saved configuration (no deploy needed) and reports the
/// outcome in the gateway's words: the backend's certificate chain, or the error code and its fix.
#[utoipa::path(post, path = "/projects/{project}/proxies/{proxy}/endpoints/{environment}/check", tag = "proxies",
    params(("project" = String, Path, description = "Project id or slug"), ("proxy" = String, Path, description = "Proxy id or slug"),
        ("environment" = String, Path, description = "Environment id or slug")),
    security(("bearer" = [])),
    responses((status = 200, body = services::model::ConnectionCheck), (status = 403, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody)))]
pub async fn check_endpoint(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((project, proxy, environment)): Path<(String, String, String)>,
) -> Result<Json<services::model::ConnectionCheck>, ApiError> {
    Ok(Json(services::check_connection::check_saved(&state.services, &actor, &project, &proxy, &environment).await?))
}
