use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Serialize;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    status: &'static str,
    version: &'static str,
}

/// Is Gatehouse up? Needs no token. It stays 200 while a stopping node drains: for "is the
/// process alive" checks; a load balancer checks `/ready`.
#[utoipa::path(get, path = "/health", tag = "system", responses((status = 200, body = Health)))]
pub async fn health() -> Json<Health> {
    Json(Health { status: "ok", version: env!("CARGO_PKG_VERSION") })
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Readiness {
    /// `ready`, or `draining` once a stop has begun.
    status: &'static str,
}

/// Should a load balancer send this node new callers? 200 once it serves what was live (the
/// portal answers only after that), 503 from the moment a stop begins: for
/// GATEHOUSE_DRAIN_DELAY seconds after a SIGTERM the node still serves, so the balancer's
/// health checks move callers away before it stops. Needs no token.
#[utoipa::path(get, path = "/ready", tag = "system", responses((status = 200, body = Readiness), (status = 503, body = Readiness)))]
pub async fn ready(Extension(stop): Extension<gateway::Stop>) -> (StatusCode, Json<Readiness>) {
    if stop.is_draining() {
        (StatusCode::SERVICE_UNAVAILABLE, Json(Readiness { status: "draining" }))
    } else {
        (StatusCode::OK, Json(Readiness { status: "ready" }))
    }
}
