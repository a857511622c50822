//! REST API v1: JSON over the same services as the console, authenticated with bearer tokens.
//! The OpenAPI document is generated from the handlers' annotations (utoipa) and served at
//! /api/v1/openapi.json.
mod caller;
mod certificates;
mod deployments;
mod domains;
mod endpoints;
mod environments;
mod error;
mod health;
mod products;
mod projects;
mod proxies;
mod settings;
mod subscriptions;
mod tokens;
mod users;

pub use caller::Caller;
pub use error::{ApiError, ApiJson};

use app::AppState;
use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(title = "Gatehouse REST API", version = "1", description = "Everything the Gatehouse console does, for automation. Authenticate with `Authorization: Bearer <token>`; get a token from POST /api/v1/tokens or the console's API tokens page."),
    servers((url = "/api/v1", description = "Paths below are relative to this prefix")),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("ghk_…").build()));
    }
}

/// The API's routes and its OpenAPI document, described once by the handlers themselves.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::health))
        .routes(routes!(health::ready))
        .routes(routes!(tokens::create_token))
        .routes(routes!(environments::list_environments))
        .routes(routes!(environments::update_environment))
        .routes(routes!(environments::list_gateways))
        .routes(routes!(domains::list_domains, domains::add_domain))
        .routes(routes!(domains::delete_domain))
        .routes(routes!(settings::get_settings, settings::update_settings))
        .routes(routes!(projects::list_projects, projects::create_project))
        .routes(routes!(projects::get_project))
        .routes(routes!(projects::list_members, projects::add_member))
        .routes(routes!(users::list_users, users::create_user))
        .routes(routes!(certificates::list_certificates, certificates::add_certificate))
        .routes(routes!(certificates::get_certificate, certificates::delete_certificate))
        .routes(routes!(certificates::certificate_pem))
        .routes(routes!(proxies::list_proxies, proxies::create_proxy))
        .routes(routes!(proxies::get_proxy, proxies::update_proxy, proxies::delete_proxy))
        .routes(routes!(proxies::proxy_activity))
        .routes(routes!(proxies::get_policies, proxies::put_policies))
        .routes(routes!(proxies::failed_calls))
        .routes(routes!(products::list_products, products::create_product))
        .routes(routes!(products::get_product, products::update_product, products::delete_product))
        .routes(routes!(subscriptions::list_subscriptions, subscriptions::create_subscription))
        .routes(routes!(subscriptions::get_subscription, subscriptions::update_subscription, subscriptions::delete_subscription))
        .routes(routes!(subscriptions::regenerate_key))
        .routes(routes!(subscriptions::subscription_usage))
        .routes(routes!(endpoints::list_endpoints))
        .routes(routes!(endpoints::get_endpoint, endpoints::put_endpoint))
        .routes(routes!(endpoints::check_endpoint))
        .routes(routes!(deployments::list_deployments, deployments::deploy))
        .routes(routes!(deployments::undeploy))
        .routes(routes!(deployments::promote))
        .routes(routes!(deployments::revisions))
}

/// What a gateway-only node serves under /api/v1: `/health` and `/ready`, for load balancers'
/// checks (`/ready` needs the node's `gateway::Stop` as an extension).
pub fn health_only() -> Router {
    Router::new().route("/health", get(health::health)).route("/ready", get(health::ready))
}

pub fn router(_state: AppState) -> Router<AppState> {
    let (router, openapi) = api().split_for_parts();
    router
        // Room for a certificate and a key of MAX_UPLOAD_KIB each, JSON-escaped.
        .layer(axum::extract::DefaultBodyLimit::max(4 * services::model::MAX_UPLOAD_KIB * 1024))
        .route("/openapi.json", get(move || std::future::ready(Json(openapi.clone()))))
        .fallback(|| async { ApiError::from(services::Error::NotFound("no such API route: see /api/v1/openapi.json".into())) })
        .method_not_allowed_fallback(|| async {
            ApiError::status(axum::http::StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "this route does not take that method: see /api/v1/openapi.json")
        })
}
