use super::{ApiError, ApiJson, Caller};
use app::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::Deserialize;
use services::certificates::{self as store, CertificateFilter};
use services::model::{Certificate, CertificateKind, GenerateKeyPair, Page, DEFAULT_PER_PAGE};

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// "endpoint" or "client".
    kind: Option<CertificateKind>,
    /// Matches name, subject, issuer or fingerprint.
    q: Option<String>,
    page: Option<u64>,
    per_page: Option<u64>,
}

/// The project's certificates, soonest expiry first.
#[utoipa::path(get, path = "/projects/{project}/certificates", tag = "certificates", params(ListQuery, ("project" = String, Path, description = "Project id or slug")),
    security(("bearer" = [])), responses((status = 200, body = Page<Certificate>), (status = 404, body = super::error::ErrorBody)))]
pub async fn list_certificates(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(project): Path<String>,
    Query(query): Query<ListQuery>,
) -> Result<Json<Page<Certificate>>, ApiError> {
    let filter = CertificateFilter { kind: query.kind, text: query.q.unwrap_or_default() };
    let page = store::list(&state.services.db, &actor, &project, &filter, query.page.unwrap_or(1), query.per_page.unwrap_or(DEFAULT_PER_PAGE)).await?;
    Ok(Json(page))
}

/// Upload `{kind, certificate_pem, private_key_pem?}` or generate `{kind: "client", generate: {…}}`.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct AddCertificate {
    kind: CertificateKind,
    /// PEM text: one certificate, or a bundle (endpoint: each becomes an entry; client: leaf first, then its chain).
    certificate_pem: Option<String>,
    /// Client key pairs you upload: the unencrypted private key, PEM.
    private_key_pem: Option<String>,
    /// Client key pairs Gatehouse generates.
    generate: Option<GenerateKeyPair>,
}

/// Adds certificates: returns every entry created (a bundle can create several).
#[utoipa::path(post, path = "/projects/{project}/certificates", tag = "certificates", request_body = AddCertificate,
    params(("project" = String, Path, description = "Project id or slug")), security(("bearer" = [])),
    responses((status = 201, body = [Certificate]), (status = 403, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
pub async fn add_certificate(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(project): Path<String>,
    ApiJson(body): ApiJson<AddCertificate>,
) -> Result<(StatusCode, Json<Vec<Certificate>>), ApiError> {
    let s = &state.services;
    let invalid = |field: &str, message: &str| ApiError::from(services::Error::invalid(field, message));
    let created = match (body.kind, body.generate, body.certificate_pem, body.private_key_pem) {
        (CertificateKind::Client, Some(request), None, None) => {
            vec![store::generate_client_pair(&s.db, &s.master_key, &actor, &project, request).await?]
        }
        (CertificateKind::Client, None, Some(cert), Some(key)) => {
            vec![store::add_client_pair(&s.db, &s.master_key, &actor, &project, cert.as_bytes(), key.as_bytes()).await?]
        }
        (kind @ (CertificateKind::Endpoint | CertificateKind::ClientCa), None, Some(cert), None) => {
            store::upload_public(&s.db, &actor, &project, kind, cert.as_bytes()).await?
        }
        (CertificateKind::Endpoint | CertificateKind::ClientCa, _, _, Some(_)) => {
            return Err(invalid("private_key_pem", "endpoint certificates and trusted client CAs are public: send no private key (it was not stored)"))
        }
        (CertificateKind::Endpoint | CertificateKind::ClientCa, Some(_), _, _) => return Err(invalid("generate", "only client key pairs can be generated")),
        (CertificateKind::Client, Some(_), _, _) => {
            return Err(invalid("generate", "send either `generate` or `certificate_pem` with `private_key_pem`, not both"))
        }
        (CertificateKind::Client, None, _, _) => {
            return Err(invalid("private_key_pem", "a client key pair needs `certificate_pem` and `private_key_pem`, or `generate`"))
        }
        (CertificateKind::Endpoint | CertificateKind::ClientCa, None, None, None) => {
            return Err(invalid("certificate_pem", "send the certificate as `certificate_pem`"))
        }
    };
    Ok((StatusCode::CREATED, Json(created)))
}

/// One certificate's metadata (never a private key).
#[utoipa::path(get, path = "/projects/{project}/certificates/{id}", tag = "certificates",
    params(("project" = String, Path, description = "Project id or slug"), ("id" = i32, Path)), security(("bearer" = [])),
    responses((status = 200, body = Certificate), (status = 404, body = super::error::ErrorBody)))]
pub async fn get_certificate(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((project, id)): Path<(String, i32)>,
) -> Result<Json<Certificate>, ApiError> {
    Ok(Json(store::get(&state.services.db, &actor, &project, id).await?))
}

/// The public certificate and its chain as a PEM file.
#[utoipa::path(get, path = "/projects/{project}/certificates/{id}/pem", tag = "certificates",
    params(("project" = String, Path, description = "Project id or slug"), ("id" = i32, Path)), security(("bearer" = [])),
    responses((status = 200, content_type = "application/x-pem-file", body = String), (status = 404, body = super::error::ErrorBody)))]
pub async fn certificate_pem(State(state): State<AppState>, Caller(actor): Caller, Path((project, id)): Path<(String, i32)>) -> Result<Response, ApiError> {
    Ok(crate::console_forms::pem_response(store::pem(&state.services.db, &actor, &project, id).await?))
}

/// Deletes a certificate (refused while something uses it).
#[utoipa::path(delete, path = "/projects/{project}/certificates/{id}", tag = "certificates",
    params(("project" = String, Path, description = "Project id or slug"), ("id" = i32, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 403, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody)))]
pub async fn delete_certificate(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((project, id)): Path<(String, i32)>,
) -> Result<StatusCode, ApiError> {
    store::delete(&state.services.db, &actor, &project, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
