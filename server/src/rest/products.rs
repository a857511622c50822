//! Products: the proxies a subscription opens, and its plan.
use super::{ApiError, ApiJson, Caller};
use app::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use services::model::{NewProduct, Page, Product, ProductChanges, DEFAULT_PER_PAGE};
use services::products;

#[derive(Deserialize, utoipa::IntoParams)]
pub struct PageQuery {
    /// 1-based page number.
    page: Option<u64>,
    per_page: Option<u64>,
}

/// The project's products by name, with their proxies, plan and subscription count.
#[utoipa::path(get, path = "/projects/{project}/products", tag = "consumers", params(PageQuery, ("project" = String, Path, description = "Project id or slug")),
    security(("bearer" = [])), responses((status = 200, body = Page<Product>), (status = 404, body = super::error::ErrorBody)))]
pub async fn list_products(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(project): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<Json<Page<Product>>, ApiError> {
    let (page, per_page) = (query.page.unwrap_or(1), query.per_page.unwrap_or(DEFAULT_PER_PAGE));
    Ok(Json(products::list(&state.services.db, &actor, &project, page, per_page).await?))
}

/// Creates a product: `{name, slug?, description?, proxies:[id or slug], rate_limit?:{requests, per_seconds}, quota?:{requests, period:"day"|"month"}}`.
#[utoipa::path(post, path = "/projects/{project}/products", tag = "consumers", request_body = NewProduct,
    params(("project" = String, Path, description = "Project id or slug")), security(("bearer" = [])),
    responses((status = 201, body = Product), (status = 403, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
pub async fn create_product(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(project): Path<String>,
    ApiJson(body): ApiJson<NewProduct>,
) -> Result<(StatusCode, Json<Product>), ApiError> {
    Ok((StatusCode::CREATED, Json(products::create(&state.services, &actor, &project, body).await?)))
}

#[utoipa::path(get, path = "/projects/{project}/products/{product}", tag = "consumers",
    params(("project" = String, Path, description = "Project id or slug"), ("product" = String, Path, description = "Product id or slug")),
    security(("bearer" = [])), responses((status = 200, body = Product), (status = 404, body = super::error::ErrorBody)))]
pub async fn get_product(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((project, product)): Path<(String, String)>,
) -> Result<Json<Product>, ApiError> {
    Ok(Json(products::get(&state.services.db, &actor, &project, &product).await?))
}

/// Changes the fields given; `"rate_limit": null` or `"quota": null` removes that limit.
/// Takes effect at the gateway at once.
#[utoipa::path(patch, path = "/projects/{project}/products/{product}", tag = "consumers", request_body = ProductChanges,
    params(("project" = String, Path, description = "Project id or slug"), ("product" = String, Path, description = "Product id or slug")),
    security(("bearer" = [])), responses((status = 200, body = Product), (status = 403, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
pub async fn update_product(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((project, product)): Path<(String, String)>,
    ApiJson(body): ApiJson<ProductChanges>,
) -> Result<Json<Product>, ApiError> {
    Ok(Json(products::update(&state.services, &actor, &project, &product, body).await?))
}

/// Deletes a product no subscription refers to.
#[utoipa::path(delete, path = "/projects/{project}/products/{product}", tag = "consumers",
    params(("project" = String, Path, description = "Project id or slug"), ("product" = String, Path, description = "Product id or slug")),
    security(("bearer" = [])), responses((status = 204), (status = 403, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody)))]
pub async fn delete_product(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((project, product)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    products::delete(&state.services, &actor, &project, &product).await?;
    Ok(StatusCode::NO_CONTENT)
}
