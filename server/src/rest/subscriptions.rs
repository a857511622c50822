//! Subscriptions: a consumer's access to a product, with two keys shown once.
use super::{ApiError, ApiJson, Caller};
use app::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use services::model::{
    CreatedSubscription, NewSubscription, Page, Regenerate, RegeneratedKey, Subscription, SubscriptionChanges, SubscriptionState, SubscriptionUsage,
    DEFAULT_PER_PAGE,
};
use services::subscriptions::{self, SubscriptionFilter};

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// active, suspended or cancelled.
    state: Option<String>,
    /// Product id or slug.
    product: Option<String>,
    /// Text in the name or contact email.
    q: Option<String>,
    /// 1-based page number.
    page: Option<u64>,
    per_page: Option<u64>,
}

/// The project's subscriptions, newest first, filtered.
#[utoipa::path(get, path = "/projects/{project}/subscriptions", tag = "consumers", params(ListQuery, ("project" = String, Path, description = "Project id or slug")),
    security(("bearer" = [])), responses((status = 200, body = Page<Subscription>), (status = 404, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
pub async fn list_subscriptions(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(project): Path<String>,
    Query(query): Query<ListQuery>,
) -> Result<Json<Page<Subscription>>, ApiError> {
    let state_filter = match query.state.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(text) => Some(SubscriptionState::parse(text).ok_or_else(|| services::Error::invalid("state", "the state is active, suspended or cancelled"))?),
    };
    let filter = SubscriptionFilter { state: state_filter, product: query.product, text: query.q.unwrap_or_default() };
    let (page, per_page) = (query.page.unwrap_or(1), query.per_page.unwrap_or(DEFAULT_PER_PAGE));
    Ok(Json(subscriptions::list(&state.services.db, &actor, &project, &filter, page, per_page).await?))
}

/// Subscribes a consumer: `{name, product, contact_email?}`. The answer holds `primary_key`
/// and `secondary_key`: the only time they are shown.
#[utoipa::path(post, path = "/projects/{project}/subscriptions", tag = "consumers", request_body = NewSubscription,
    params(("project" = String, Path, description = "Project id or slug")), security(("bearer" = [])),
    responses((status = 201, body = CreatedSubscription), (status = 403, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
pub async fn create_subscription(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(project): Path<String>,
    ApiJson(body): ApiJson<NewSubscription>,
) -> Result<(StatusCode, Json<CreatedSubscription>), ApiError> {
    Ok((StatusCode::CREATED, Json(subscriptions::create(&state.services, &actor, &project, body).await?)))
}

#[utoipa::path(get, path = "/projects/{project}/subscriptions/{id}", tag = "consumers",
    params(("project" = String, Path, description = "Project id or slug"), ("id" = i32, Path, description = "Subscription id")),
    security(("bearer" = [])), responses((status = 200, body = Subscription), (status = 404, body = super::error::ErrorBody)))]
pub async fn get_subscription(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((project, id)): Path<(String, i32)>,
) -> Result<Json<Subscription>, ApiError> {
    Ok(Json(subscriptions::get(&state.services.db, &actor, &project, id).await?))
}

/// Suspends, resumes or cancels (`{"state": "suspended"}`; cancelling is final), and binds a
/// client certificate (`{"client_certificate_fingerprint": "AB:CD:…"}` or `{"client_ca": 12}`;
/// `null` unbinds). Holds at the gateway from the next request.
#[utoipa::path(patch, path = "/projects/{project}/subscriptions/{id}", tag = "consumers", request_body = SubscriptionChanges,
    params(("project" = String, Path, description = "Project id or slug"), ("id" = i32, Path, description = "Subscription id")),
    security(("bearer" = [])), responses((status = 200, body = Subscription), (status = 409, body = super::error::ErrorBody)))]
pub async fn update_subscription(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((project, id)): Path<(String, i32)>,
    ApiJson(body): ApiJson<SubscriptionChanges>,
) -> Result<Json<Subscription>, ApiError> {
    Ok(Json(subscriptions::update(&state.services, &actor, &project, id, body).await?))
}

/// Replaces one key (`{"key": "primary"}`); the other keeps working. The answer holds the new
/// key: the only time it is shown.
#[utoipa::path(post, path = "/projects/{project}/subscriptions/{id}/regenerate", tag = "consumers", request_body = Regenerate,
    params(("project" = String, Path, description = "Project id or slug"), ("id" = i32, Path, description = "Subscription id")),
    security(("bearer" = [])), responses((status = 200, body = RegeneratedKey), (status = 409, body = super::error::ErrorBody)))]
pub async fn regenerate_key(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((project, id)): Path<(String, i32)>,
    ApiJson(body): ApiJson<Regenerate>,
) -> Result<Json<RegeneratedKey>, ApiError> {
    Ok(Json(subscriptions::regenerate(&state.services, &actor, &project, id, body.key).await?))
}

#[utoipa::path(delete, path = "/projects/{project}/subscriptions/{id}", tag = "consumers",
    params(("project" = String, Path, description = "Project id or slug"), ("id" = i32, Path, description = "Subscription id")),
    security(("bearer" = [])), responses((status = 204), (status = 403, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody)))]
pub async fn delete_subscription(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((project, id)): Path<(String, i32)>,
) -> Result<StatusCode, ApiError> {
    subscriptions::delete(&state.services, &actor, &project, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct UsageQuery {
    /// How many days back, today included (1 to 90; 30 when not given).
    days: Option<u32>,
}

/// Requests per UTC day by outcome (allowed, rate_limited, quota, refused), oldest first,
/// every day of the range present, today's counts up to this moment.
#[utoipa::path(get, path = "/projects/{project}/subscriptions/{id}/usage", tag = "consumers",
    params(UsageQuery, ("project" = String, Path, description = "Project id or slug"), ("id" = i32, Path, description = "Subscription id")),
    security(("bearer" = [])), responses((status = 200, body = SubscriptionUsage), (status = 404, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
pub async fn subscription_usage(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((project, id)): Path<(String, i32)>,
    Query(query): Query<UsageQuery>,
) -> Result<Json<SubscriptionUsage>, ApiError> {
    Ok(Json(services::usage::of_subscription(&state.services, &actor, &project, id, query.days.unwrap_or(30)).await?))
}
