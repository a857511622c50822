//! Deploys, undeploys, promotions and revisions of a proxy.
use super::proxies::PageQuery;
use super::{ApiError, ApiJson, Caller};
use app::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use services::model::{Page, DEFAULT_PER_PAGE};

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
    let page =
        services::deployments::history(&state.services.db, &actor, &project, &proxy, query.page.unwrap_or(1), query.per_page.unwrap_or(DEFAULT_PER_PAGE))
            .await?;
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
