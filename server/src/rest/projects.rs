use super::{ApiError, ApiJson, Caller};
use app::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use services::model::{Member, Page, Project, Role, DEFAULT_PER_PAGE};
use services::projects::{self, NewProject};

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// 1-based page number.
    page: Option<u64>,
    per_page: Option<u64>,
    /// Filters by name or slug.
    q: Option<String>,
}

/// The projects you are a member of (every project, for an administrator).
#[utoipa::path(get, path = "/projects", tag = "projects", params(ListQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<Project>), (status = 401, body = super::error::ErrorBody)))]
pub async fn list_projects(State(state): State<AppState>, Caller(actor): Caller, Query(query): Query<ListQuery>) -> Result<Json<Page<Project>>, ApiError> {
    let page =
        projects::list(&state.services.db, &actor, query.q.as_deref().unwrap_or(""), query.page.unwrap_or(1), query.per_page.unwrap_or(DEFAULT_PER_PAGE))
            .await?;
    Ok(Json(page))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CreateProject {
    name: String,
    /// Derived from the name when left out.
    #[serde(default)]
    slug: String,
    #[serde(default)]
    description: String,
}

/// Creates a project; you become its owner.
#[utoipa::path(post, path = "/projects", tag = "projects", request_body = CreateProject, security(("bearer" = [])),
    responses((status = 201, body = Project), (status = 422, body = super::error::ErrorBody)))]
pub async fn create_project(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiJson(body): ApiJson<CreateProject>,
) -> Result<(StatusCode, Json<Project>), ApiError> {
    let new = NewProject { name: body.name, slug: body.slug, description: body.description };
    Ok((StatusCode::CREATED, Json(projects::create(&state.services.db, &actor, new).await?)))
}

/// One project, by id or slug.
#[utoipa::path(get, path = "/projects/{project}", tag = "projects", security(("bearer" = [])),
    params(("project" = String, Path, description = "Project id or slug")),
    responses((status = 200, body = Project), (status = 404, body = super::error::ErrorBody)))]
pub async fn get_project(State(state): State<AppState>, Caller(actor): Caller, Path(project): Path<String>) -> Result<Json<Project>, ApiError> {
    Ok(Json(projects::get(&state.services.db, &actor, &project).await?))
}

/// The project's members and their roles.
#[utoipa::path(get, path = "/projects/{project}/members", tag = "projects", security(("bearer" = [])),
    params(("project" = String, Path, description = "Project id or slug")),
    responses((status = 200, body = [Member]), (status = 404, body = super::error::ErrorBody)))]
pub async fn list_members(State(state): State<AppState>, Caller(actor): Caller, Path(project): Path<String>) -> Result<Json<Vec<Member>>, ApiError> {
    Ok(Json(projects::list_members(&state.services.db, &actor, &project).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct AddMember {
    email: String,
    role: Role,
}

/// Adds an existing user to the project (owners only).
#[utoipa::path(post, path = "/projects/{project}/members", tag = "projects", request_body = AddMember, security(("bearer" = [])),
    params(("project" = String, Path, description = "Project id or slug")),
    responses((status = 201, body = Member), (status = 403, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody)))]
pub async fn add_member(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(project): Path<String>,
    ApiJson(body): ApiJson<AddMember>,
) -> Result<(StatusCode, Json<Member>), ApiError> {
    let member = projects::add_member(&state.services.db, &actor, &project, &body.email, body.role).await?;
    Ok((StatusCode::CREATED, Json(member)))
}
