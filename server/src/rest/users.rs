use super::{ApiError, ApiJson, Caller};
use app::AppState;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use services::model::{Page, User, DEFAULT_PER_PAGE};
use services::users::{self, NewUser};

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    page: Option<u64>,
    per_page: Option<u64>,
}

/// Every user (administrators only).
#[utoipa::path(get, path = "/users", tag = "users", params(ListQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<User>), (status = 403, body = super::error::ErrorBody)))]
pub async fn list_users(State(state): State<AppState>, Caller(actor): Caller, Query(query): Query<ListQuery>) -> Result<Json<Page<User>>, ApiError> {
    let page = users::list(&state.services.db, &actor, query.page.unwrap_or(1), query.per_page.unwrap_or(DEFAULT_PER_PAGE)).await?;
    Ok(Json(page))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CreateUser {
    email: String,
    name: String,
    /// At least 10 characters.
    password: String,
    #[serde(default)]
    is_admin: bool,
}

/// Creates an account (administrators only).
#[utoipa::path(post, path = "/users", tag = "users", request_body = CreateUser, security(("bearer" = [])),
    responses((status = 201, body = User), (status = 403, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
pub async fn create_user(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiJson(body): ApiJson<CreateUser>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    let new = NewUser { email: body.email, name: body.name, password: body.password, is_admin: body.is_admin };
    Ok((StatusCode::CREATED, Json(users::create(&state.services.db, &actor, new).await?)))
}
