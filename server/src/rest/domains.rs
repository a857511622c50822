use super::{ApiError, ApiJson, Caller};
use app::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use services::model::{Domain, DomainAdded, NewDomain};

/// An environment's custom domains, oldest first, with each certificate's issuer and expiry.
#[utoipa::path(get, path = "/environments/{environment}/domains", tag = "environments",
    params(("environment" = String, Path, description = "Environment id or slug")),
    security(("bearer" = [])), responses((status = 200, body = [Domain]), (status = 404, body = super::error::ErrorBody)))]
pub async fn list_domains(State(state): State<AppState>, _caller: Caller, Path(environment): Path<String>) -> Result<Json<Vec<Domain>>, ApiError> {
    Ok(Json(services::domains::list(&state.services, &environment).await?))
}

/// Adds a domain (admins): the hostname, its certificate chain (leaf first; a chain out of
/// order is put in order) and private key. The listener serves it from the next handshake. A
/// hostname the environment already has gets the new certificate (a renewal: 200, `replaced`).
#[utoipa::path(post, path = "/environments/{environment}/domains", tag = "environments", request_body = NewDomain,
    params(("environment" = String, Path, description = "Environment id or slug")),
    security(("bearer" = [])),
    responses((status = 201, body = DomainAdded), (status = 200, body = DomainAdded, description = "an existing domain's certificate replaced"),
        (status = 403, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
pub async fn add_domain(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(environment): Path<String>,
    ApiJson(body): ApiJson<NewDomain>,
) -> Result<(StatusCode, Json<DomainAdded>), ApiError> {
    let added = services::domains::add(&state.services, &actor, &environment, &body).await?;
    Ok((if added.replaced { StatusCode::OK } else { StatusCode::CREATED }, Json(added)))
}

/// Deletes a domain (admins): callers asking for it get the default certificate from the next
/// handshake on.
#[utoipa::path(delete, path = "/environments/{environment}/domains/{hostname}", tag = "environments",
    params(("environment" = String, Path, description = "Environment id or slug"), ("hostname" = String, Path, description = "The domain's hostname")),
    security(("bearer" = [])), responses((status = 200, body = Domain), (status = 403, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody)))]
pub async fn delete_domain(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((environment, hostname)): Path<(String, String)>,
) -> Result<Json<Domain>, ApiError> {
    Ok(Json(services::domains::delete(&state.services, &actor, &environment, &hostname).await?))
}
