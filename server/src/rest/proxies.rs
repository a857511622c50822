//! API proxies, their endpoint configuration per environment, and their activity log.
use super::{ApiError, ApiJson, Caller};
use app::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use services::model::{Activity, EndpointConfig, EndpointSettings, NewProxy, Page, Proxy, ProxyChanges, DEFAULT_PER_PAGE};
use services::proxies::{self, endpoints};

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// Filters by name, context path, version or slug.
    q: Option<String>,
    /// 1-based page number.
    page: Option<u64>,
    per_page: Option<u64>,
}

/// The project's API proxies by name, each with its status per environment and its warnings.
#[utoipa::path(get, path = "/projects/{project}/proxies", tag = "proxies", params(ListQuery, ("project" = String, Path, description = "Project id or slug")),
    security(("bearer" = [])), responses((status = 200, body = Page<Proxy>), (status = 404, body = super::error::ErrorBody)))]
pub async fn list_proxies(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(project): Path<String>,
    Query(query): Query<ListQuery>,
) -> Result<Json<Page<Proxy>>, ApiError> {
    let (q, page, per_page) = (query.q.unwrap_or_default(), query.page.unwrap_or(1), query.per_page.unwrap_or(DEFAULT_PER_PAGE));
    Ok(Json(proxies::list(&state.services.db, &actor, &project, &q, page, per_page).await?))
}

/// Creates a proxy; every environment's endpoint starts at `backend_url`, verification on.
#[utoipa::path(post, path = "/projects/{project}/proxies", tag = "proxies", request_body = NewProxy,
    params(("project" = String, Path, description = "Project id or slug")), security(("bearer" = [])),
    responses((status = 201, body = Proxy), (status = 403, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
pub async fn create_proxy(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(project): Path<String>,
    ApiJson(body): ApiJson<NewProxy>,
) -> Result<(StatusCode, Json<Proxy>), ApiError> {
    Ok((StatusCode::CREATED, Json(proxies::create(&state.services.db, &actor, &project, body).await?)))
}

#[utoipa::path(get, path = "/projects/{project}/proxies/{proxy}", tag = "proxies",
    params(("project" = String, Path, description = "Project id or slug"), ("proxy" = String, Path, description = "Proxy id or slug")),
    security(("bearer" = [])), responses((status = 200, body = Proxy), (status = 404, body = super::error::ErrorBody)))]
pub async fn get_proxy(State(state): State<AppState>, Caller(actor): Caller, Path((project, proxy)): Path<(String, String)>) -> Result<Json<Proxy>, ApiError> {
    Ok(Json(proxies::get(&state.services.db, &actor, &project, &proxy).await?))
}

/// Changes the fields given; `"contract": ""` removes the contract.
#[utoipa::path(patch, path = "/projects/{project}/proxies/{proxy}", tag = "proxies", request_body = ProxyChanges,
    params(("project" = String, Path, description = "Project id or slug"), ("proxy" = String, Path, description = "Proxy id or slug")),
    security(("bearer" = [])), responses((status = 200, body = Proxy), (status = 403, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
pub async fn update_proxy(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((project, proxy)): Path<(String, String)>,
    ApiJson(body): ApiJson<ProxyChanges>,
) -> Result<Json<Proxy>, ApiError> {
    Ok(Json(proxies::update(&state.services.db, &actor, &project, &proxy, body).await?))
}

/// Deletes a proxy and its endpoint configurations (refused while it is deployed).
#[utoipa::path(delete, path = "/projects/{project}/proxies/{proxy}", tag = "proxies",
    params(("project" = String, Path, description = "Project id or slug"), ("proxy" = String, Path, description = "Proxy id or slug")),
    security(("bearer" = [])), responses((status = 204), (status = 403, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody)))]
pub async fn delete_proxy(State(state): State<AppState>, Caller(actor): Caller, Path((project, proxy)): Path<(String, String)>) -> Result<StatusCode, ApiError> {
    proxies::delete(&state.services.db, &actor, &project, &proxy).await?;
    Ok(StatusCode::NO_CONTENT)
}

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

#[derive(Deserialize, utoipa::IntoParams)]
pub struct PageQuery {
    page: Option<u64>,
    per_page: Option<u64>,
}

/// Who changed what on this proxy, and when; newest first.
#[utoipa::path(get, path = "/projects/{project}/proxies/{proxy}/activity", tag = "proxies",
    params(PageQuery, ("project" = String, Path, description = "Project id or slug"), ("proxy" = String, Path, description = "Proxy id or slug")),
    security(("bearer" = [])), responses((status = 200, body = Page<Activity>), (status = 404, body = super::error::ErrorBody)))]
pub async fn proxy_activity(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((project, proxy)): Path<(String, String)>,
    Query(query): Query<PageQuery>,
) -> Result<Json<Page<Activity>>, ApiError> {
    let db = &state.services.db;
    let found = proxies::find(db, &actor, &project, &proxy, services::projects::Need::See).await?;
    let page = services::activity::list(db, &actor, &project, Some(found.proxy.id), query.page.unwrap_or(1), query.per_page.unwrap_or(DEFAULT_PER_PAGE)).await?;
    Ok(Json(page))
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
    let s = &state.services;
    Ok(Json(services::upstream::check_saved(&s.db, &s.master_key, &actor, &project, &proxy, &environment).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct DeployRequest {
    /// Environment id or slug.
    environment: String,
    /// Redeploy this earlier revision (of the same environment) instead of the saved configuration.
    #[serde(default)]
    revision: Option<u32>,
}

/// Deploys the proxy's saved configuration for the environment as a new revision. The gateway
/// serves it before this answers; the answer says how long that took. If the gateway cannot
/// compile it, the deploy is recorded as failed (409, with the reason) and what was live stays.
#[utoipa::path(post, path = "/projects/{project}/proxies/{proxy}/deployments", tag = "deployments", request_body = DeployRequest,
    params(("project" = String, Path, description = "Project id or slug"), ("proxy" = String, Path, description = "Proxy id or slug")),
    security(("bearer" = [])),
    responses((status = 201, body = services::model::Deployment), (status = 403, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody)))]
pub async fn deploy(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((project, proxy)): Path<(String, String)>,
    ApiJson(body): ApiJson<DeployRequest>,
) -> Result<(StatusCode, Json<services::model::Deployment>), ApiError> {
    let s = &state.services;
    let deployed = match body.revision {
        None => services::deployments::deploy(s, &actor, &project, &proxy, &body.environment).await?,
        Some(number) => services::deployments::redeploy(s, &actor, &project, &proxy, &body.environment, number).await?,
    };
    Ok((StatusCode::CREATED, Json(deployed)))
}

/// Every deploy of the proxy, newest first, with its outcome.
#[utoipa::path(get, path = "/projects/{project}/proxies/{proxy}/deployments", tag = "deployments",
    params(PageQuery, ("project" = String, Path, description = "Project id or slug"), ("proxy" = String, Path, description = "Proxy id or slug")),
    security(("bearer" = [])), responses((status = 200, body = Page<services::model::Deployment>), (status = 404, body = super::error::ErrorBody)))]
pub async fn list_deployments(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((project, proxy)): Path<(String, String)>,
    Query(query): Query<PageQuery>,
) -> Result<Json<Page<services::model::Deployment>>, ApiError> {
    let page = services::deployments::history(&state.services.db, &actor, &project, &proxy, query.page.unwrap_or(1), query.per_page.unwrap_or(DEFAULT_PER_PAGE)).await?;
    Ok(Json(page))
}

/// Takes the proxy out of the environment's gateway.
#[utoipa::path(delete, path = "/projects/{project}/proxies/{proxy}/deployments/{environment}", tag = "deployments",
    params(("project" = String, Path, description = "Project id or slug"), ("proxy" = String, Path, description = "Proxy id or slug"),
        ("environment" = String, Path, description = "Environment id or slug")),
    security(("bearer" = [])), responses((status = 200, body = services::model::Deployment), (status = 403, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody)))]
pub async fn undeploy(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((project, proxy, environment)): Path<(String, String, String)>,
) -> Result<Json<services::model::Deployment>, ApiError> {
    Ok(Json(services::deployments::undeploy(&state.services, &actor, &project, &proxy, &environment).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PromoteRequest {
    /// Environment (id or slug) where the revision is live.
    from: String,
    /// Environment (id or slug) it goes live in, with that environment's endpoint configuration.
    to: String,
    /// The client certificate for the target (turns Mutual SSL on there); else the target's saved choice.
    #[serde(default)]
    client_certificate_id: Option<i32>,
}

/// Promote: the revision live in `from` goes live in `to` with `to`'s endpoint and certificate choices.
#[utoipa::path(post, path = "/projects/{project}/proxies/{proxy}/promotions", tag = "deployments", request_body = PromoteRequest,
    params(("project" = String, Path, description = "Project id or slug"), ("proxy" = String, Path, description = "Proxy id or slug")),
    security(("bearer" = [])), responses((status = 201, body = services::model::Deployment), (status = 409, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
pub async fn promote(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((project, proxy)): Path<(String, String)>,
    ApiJson(body): ApiJson<PromoteRequest>,
) -> Result<(StatusCode, Json<services::model::Deployment>), ApiError> {
    let promoted = services::deployments::promote(&state.services, &actor, &project, &proxy, &body.from, &body.to, body.client_certificate_id).await?;
    Ok((StatusCode::CREATED, Json(promoted)))
}

/// Each environment: its live revision, invoke URL, what deploying the saved configuration
/// would change, its revisions and its deploy history.
#[utoipa::path(get, path = "/projects/{project}/proxies/{proxy}/revisions", tag = "deployments",
    params(("project" = String, Path, description = "Project id or slug"), ("proxy" = String, Path, description = "Proxy id or slug")),
    security(("bearer" = [])), responses((status = 200, body = [services::model::EnvironmentDeployment]), (status = 404, body = super::error::ErrorBody)))]
pub async fn revisions(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((project, proxy)): Path<(String, String)>,
) -> Result<Json<Vec<services::model::EnvironmentDeployment>>, ApiError> {
    Ok(Json(services::deployments::overview(&state.services, &actor, &project, &proxy).await?))
}
