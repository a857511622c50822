//! API proxies and their activity log.
use super::{ApiError, ApiJson, Caller};
use app::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use services::model::{Activity, FailedCall, NewProxy, Page, Proxy, ProxyChanges, DEFAULT_PER_PAGE};
use services::proxies;

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

/// Changes the fields given; `"contract": ""` removes the contract. `lifecycle` (with `sunset`)
/// holds at once; the rest from the next deploy.
#[utoipa::path(patch, path = "/projects/{project}/proxies/{proxy}", tag = "proxies", request_body = ProxyChanges,
    params(("project" = String, Path, description = "Project id or slug"), ("proxy" = String, Path, description = "Proxy id or slug")),
    security(("bearer" = [])), responses((status = 200, body = Proxy), (status = 403, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
pub async fn update_proxy(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((project, proxy)): Path<(String, String)>,
    ApiJson(body): ApiJson<ProxyChanges>,
) -> Result<Json<Proxy>, ApiError> {
    let lifecycle = body.lifecycle.map(|lifecycle| services::model::LifecycleChange { lifecycle, sunset: body.sunset.clone() });
    if let Some(change) = &lifecycle {
        proxies::lifecycle::check(change)?;
    } else if body.sunset.is_some() {
        return Err(services::Error::invalid("sunset", "send the sunset with \"lifecycle\": \"deprecated\"").into());
    }
    let updated = proxies::update(&state.services.db, &actor, &project, &proxy, body).await?;
    match lifecycle {
        Some(change) => Ok(Json(proxies::lifecycle::set(&state.services, &actor, &project, &updated.slug, change).await?)),
        None => Ok(Json(updated)),
    }
}

/// The proxy's policies, in order.
#[utoipa::path(get, path = "/projects/{project}/proxies/{proxy}/policies", tag = "proxies",
    params(("project" = String, Path, description = "Project id or slug"), ("proxy" = String, Path, description = "Proxy id or slug")),
    security(("bearer" = [])), responses((status = 200, body = services::model::PolicyList), (status = 404, body = super::error::ErrorBody)))]
pub async fn get_policies(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((project, proxy)): Path<(String, String)>,
) -> Result<Json<services::model::PolicyList>, ApiError> {
    Ok(Json(proxies::get_policies(&state.services.db, &actor, &project, &proxy).await?))
}

/// Replaces the proxy's policies (`{"policies": [{"kind": "remove_fingerprinting_headers"}, …]}`),
/// checked whole: one bad policy stores nothing, and the error names it (`policies[2].name`).
/// Part of the revision: live from the next deploy.
#[utoipa::path(put, path = "/projects/{project}/proxies/{proxy}/policies", tag = "proxies", request_body = services::model::PolicyList,
    params(("project" = String, Path, description = "Project id or slug"), ("proxy" = String, Path, description = "Proxy id or slug")),
    security(("bearer" = [])), responses((status = 200, body = services::model::PolicyList), (status = 422, body = super::error::ErrorBody)))]
pub async fn put_policies(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((project, proxy)): Path<(String, String)>,
    ApiJson(body): ApiJson<services::model::PolicyList>,
) -> Result<Json<services::model::PolicyList>, ApiError> {
    Ok(Json(proxies::set_policies(&state.services.db, &actor, &project, &proxy, &body.policies).await?))
}

/// Deletes a proxy and its endpoint configurations (refused while it is deployed).
#[utoipa::path(delete, path = "/projects/{project}/proxies/{proxy}", tag = "proxies",
    params(("project" = String, Path, description = "Project id or slug"), ("proxy" = String, Path, description = "Proxy id or slug")),
    security(("bearer" = [])), responses((status = 204), (status = 403, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody)))]
pub async fn delete_proxy(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((project, proxy)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    proxies::delete(&state.services.db, &actor, &project, &proxy).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct PageQuery {
    pub page: Option<u64>,
    pub per_page: Option<u64>,
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
    let page =
        services::activity::list(db, &actor, &project, Some(found.proxy.id), query.page.unwrap_or(1), query.per_page.unwrap_or(DEFAULT_PER_PAGE)).await?;
    Ok(Json(page))
}

/// The proxy's recent calls that failed at the backend (newest first, at most 50): the detail
/// each caller was not given, with the fix; find one by the `request_id` the caller got.
#[utoipa::path(get, path = "/projects/{project}/proxies/{proxy}/failed-calls", tag = "proxies",
    params(("project" = String, Path, description = "Project id or slug"), ("proxy" = String, Path, description = "Proxy id or slug")),
    security(("bearer" = [])), responses((status = 200, body = [FailedCall]), (status = 404, body = super::error::ErrorBody)))]
pub async fn failed_calls(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((project, proxy)): Path<(String, String)>,
) -> Result<Json<Vec<FailedCall>>, ApiError> {
    Ok(Json(services::try_gateway::failed_calls(&state.services, &actor, &project, &proxy).await?))
}
