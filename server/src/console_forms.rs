//! Console forms that upload files: multipart posts that server functions' URL-encoded forms
//! cannot carry, plus the certificate download. Plain HTML forms, so they work the same with
//! and without JavaScript; outcomes reach the next page as a flash message. Their URLs are in
//! `app::file_routes`, shared with the pages that link to them.
use app::components::flash::Flash;
use app::file_routes;
use app::AppState;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use services::auth::{actor_for_user, Actor, SESSION_USER_KEY};
use services::model::{CertificateKind, MAX_UPLOAD_KIB};
use tower_sessions::Session;

/// Two fields of at most MAX_UPLOAD_KIB each (or one contract), plus form overhead.
const BODY_LIMIT: usize = (2 * MAX_UPLOAD_KIB + services::model::MAX_CONTRACT_KIB + 64) * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(file_routes::ENDPOINT_CERTIFICATE_UPLOAD, post(upload_endpoint))
        .route(file_routes::CLIENT_CA_UPLOAD, post(upload_client_ca))
        .route(file_routes::CLIENT_PAIR_UPLOAD, post(add_client_pair))
        .route(file_routes::CERTIFICATE_DOWNLOAD, get(download))
        .route(file_routes::PROXY_ENDPOINT_CERTIFICATE_UPLOAD, post(upload_proxy_endpoint_certificate))
        .route(file_routes::CONTRACT_UPLOAD, post(upload_contract))
        .route(file_routes::GATEWAY_CERTIFICATE_DOWNLOAD, get(gateway_certificate))
        .route(file_routes::DOMAIN_UPLOAD, post(add_domain))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
}

async fn signed_in(state: &AppState, session: &Session) -> Option<Actor> {
    let user_id: i32 = session.get(SESSION_USER_KEY).await.ok().flatten()?;
    actor_for_user(&state.services.db, user_id).await.ok()
}

/// Text fields and files of a multipart form, by name. A file field wins over its text twin
/// when a file was chosen.
struct Fields(Vec<(String, Vec<u8>)>);

impl Fields {
    async fn read(mut form: Multipart) -> Result<Fields, String> {
        let mut fields = Vec::new();
        loop {
            match form.next_field().await {
                Ok(Some(field)) => {
                    let name = field.name().unwrap_or_default().to_string();
                    let bytes = field.bytes().await.map_err(|e| too_big_or(e.status(), "the upload could not be read"))?;
                    fields.push((name, bytes.to_vec()));
                }
                Ok(None) => return Ok(Fields(fields)),
                Err(e) => return Err(too_big_or(e.status(), "the upload could not be read")),
            }
        }
    }

    /// Where to go afterwards: the form's `back` field when it stays inside the project.
    fn back_within(&self, project: &str, otherwise: String) -> String {
        let prefix = format!("/projects/{project}/");
        self.0
            .iter()
            .find(|(n, _)| n == "back")
            .and_then(|(_, b)| String::from_utf8(b.clone()).ok())
            .filter(|b| b.starts_with(&prefix) && !b.contains("//") && !b.contains('\\'))
            .unwrap_or(otherwise)
    }

    fn text(&self, name: &str) -> String {
        self.0.iter().find(|(n, _)| n == name).map(|(_, b)| String::from_utf8_lossy(b).into_owned()).unwrap_or_default()
    }

    fn file_or_text(&self, file: &str, text: &str) -> Vec<u8> {
        let get = |name: &str| self.0.iter().find(|(n, b)| n == name && !b.is_empty()).map(|(_, b)| b.clone());
        get(file).or_else(|| get(text)).unwrap_or_default()
    }
}

fn too_big_or(status: StatusCode, otherwise: &str) -> String {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        format!("the upload is too large: certificates and keys are limited to {MAX_UPLOAD_KIB} KiB each")
    } else {
        otherwise.to_string()
    }
}

async fn finish(session: &Session, back: String, outcome: Result<String, String>) -> Response {
    let flash = match outcome {
        Ok(text) => Flash { text, error: false, secrets: Vec::new() },
        Err(text) => Flash { text, error: true, secrets: Vec::new() },
    };
    if let Err(e) = app::store_flash(session, flash).await {
        tracing::warn!(error = %e, "could not store the flash message");
    }
    Redirect::to(&back).into_response()
}

async fn upload_endpoint(State(state): State<AppState>, session: Session, Path(project): Path<String>, form: Multipart) -> Response {
    upload_public(&state, &session, project, form, CertificateKind::Endpoint).await
}

async fn upload_client_ca(State(state): State<AppState>, session: Session, Path(project): Path<String>, form: Multipart) -> Response {
    upload_public(&state, &session, project, form, CertificateKind::ClientCa).await
}

/// "Upload Endpoint Certificate" and "Add Trusted Client CA" on the Certificates page.
async fn upload_public(state: &AppState, session: &Session, project: String, form: Multipart, kind: CertificateKind) -> Response {
    let Some(actor) = signed_in(state, session).await else { return Redirect::to("/signin").into_response() };
    // Back to the list, filtered to the new trusted CAs (endpoint uploads see the whole store, as before).
    let filter = if kind == CertificateKind::ClientCa { "?kind=client-ca" } else { "" };
    let back = format!("/projects/{project}/certificates{filter}");
    let outcome = match Fields::read(form).await {
        Err(e) => Err(e),
        Ok(fields) => {
            let upload = fields.file_or_text("certificate_file", "certificate_pem");
            services::certificates::upload_public(&state.services.db, &actor, &project, kind, &upload)
                .await
                .map(|added| {
                    let names: Vec<String> = added.iter().map(|c| format!("\"{}\"", c.name)).collect();
                    let plural = if added.len() == 1 { "" } else { "s" };
                    match kind {
                        CertificateKind::ClientCa => {
                            format!("Trusted {} client CA{plural}: {}. Bind it to a subscription on the subscription's page.", added.len(), names.join(", "))
                        }
                        _ => format!("Added {} endpoint certificate{plural}: {}.", added.len(), names.join(", ")),
                    }
                })
                .map_err(|e| e.to_string())
        }
    };
    finish(session, back, outcome).await
}

async fn add_client_pair(State(state): State<AppState>, session: Session, Path(project): Path<String>, form: Multipart) -> Response {
    let Some(actor) = signed_in(&state, &session).await else { return Redirect::to("/signin").into_response() };
    let mut back = format!("/projects/{project}/certificates");
    let outcome = match Fields::read(form).await {
        Err(e) => Err(e),
        Ok(fields) => {
            back = fields.back_within(&project, back);
            let cert = fields.file_or_text("certificate_file", "certificate_pem");
            let key = fields.file_or_text("private_key_file", "private_key_pem");
            let s = &state.services;
            services::certificates::add_client_pair(&s.db, &s.master_key, &actor, &project, &cert, &key)
                .await
                .map(|c| format!("Added the client key pair \"{}\" ({}).", c.name, c.key_type))
                .map_err(|e| e.to_string())
        }
    };
    finish(&session, back, outcome).await
}

/// "Add domain" on the Environments page (admins): a hostname with its chain and key, files or
/// pasted text.
async fn add_domain(State(state): State<AppState>, session: Session, Path(environment): Path<String>, form: Multipart) -> Response {
    let Some(actor) = signed_in(&state, &session).await else { return Redirect::to("/signin").into_response() };
    let outcome = match Fields::read(form).await {
        Err(e) => Err(e),
        Ok(fields) => {
            let cert = fields.file_or_text("certificate_file", "certificate_pem");
            let key = fields.file_or_text("private_key_file", "private_key_pem");
            services::domains::add_upload(&state.services, &actor, &environment, &fields.text("hostname"), &cert, &key)
                .await
                .map(|added| {
                    let d = &added.domain;
                    let verb = if added.replaced { "has its new certificate" } else { "is live" };
                    let reach = d.invoke_url.as_ref().map(|u| format!(" Callers reach it at {u}.")).unwrap_or_default();
                    let notes = added.notes.iter().map(|n| format!(" Note: {n}.")).collect::<String>();
                    format!("{} {verb} on the {} gateway.{reach}{notes}", d.hostname, environment)
                })
                .map_err(|e| e.to_string())
        }
    };
    finish(&session, "/environments".into(), outcome).await
}

/// "Upload Endpoint Certificate" on a proxy's Endpoints page: into the store, and the default
/// for every environment that trusts none yet.
async fn upload_proxy_endpoint_certificate(
    State(state): State<AppState>,
    session: Session,
    Path((project, proxy)): Path<(String, String)>,
    form: Multipart,
) -> Response {
    let Some(actor) = signed_in(&state, &session).await else { return Redirect::to("/signin").into_response() };
    let back = format!("/projects/{project}/proxies/{proxy}/endpoints");
    let outcome = match Fields::read(form).await {
        Err(e) => Err(e),
        Ok(fields) => {
            let upload = fields.file_or_text("certificate_file", "certificate_pem");
            services::proxies::endpoints::upload_endpoint_certificate(&state.services.db, &actor, &project, &proxy, &upload)
                .await
                .map(|(certs, took)| {
                    let names: Vec<String> = certs.iter().map(|c| format!("\"{}\"", c.name)).collect();
                    match took.is_empty() {
                        true => {
                            format!("Uploaded {}. Every environment already has its own endpoint certificate: choose it on a card to use it.", names.join(", "))
                        }
                        false => format!(
                            "Uploaded {}: now the endpoint certificate for {} (saved; nothing is live until it is deployed).",
                            names.join(", "),
                            took.join(" and ")
                        ),
                    }
                })
                .map_err(|e| e.to_string())
        }
    };
    finish(&session, back, outcome).await
}

/// Uploads (or pastes) a proxy's OpenAPI contract, replacing the current one.
async fn upload_contract(State(state): State<AppState>, session: Session, Path((project, proxy)): Path<(String, String)>, form: Multipart) -> Response {
    let Some(actor) = signed_in(&state, &session).await else { return Redirect::to("/signin").into_response() };
    let back = format!("/projects/{project}/proxies/{proxy}");
    let outcome = match Fields::read(form).await {
        Err(e) => Err(e),
        Ok(fields) => match String::from_utf8(fields.file_or_text("contract_file", "contract_pem")) {
            Err(_) => Err("the contract is not UTF-8 text: upload the YAML or JSON document".to_string()),
            Ok(text) if text.trim().is_empty() => Err("choose a contract file or paste the contract".to_string()),
            Ok(text) => {
                let changes = services::model::ProxyChanges { contract: Some(text), ..Default::default() };
                services::proxies::update(&state.services.db, &actor, &project, &proxy, changes)
                    .await
                    .map(|p| format!("Uploaded the contract: {} operations.", p.operations.len()))
                    .map_err(|e| e.to_string())
            }
        },
    };
    finish(&session, back, outcome).await
}

/// The public certificate (and chain) as a `.pem` file named after the common name.
async fn download(State(state): State<AppState>, session: Session, Path((project, id)): Path<(String, i32)>) -> Response {
    let Some(actor) = signed_in(&state, &session).await else { return Redirect::to("/signin").into_response() };
    match services::certificates::pem(&state.services.db, &actor, &project, id).await {
        Ok(pem) => pem_response(pem),
        Err(e) => (StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), e.to_string()).into_response(),
    }
}

/// An environment gateway's listener certificate, so API consumers can trust it.
async fn gateway_certificate(State(state): State<AppState>, session: Session, Path(environment): Path<String>) -> Response {
    if signed_in(&state, &session).await.is_none() {
        return Redirect::to("/signin").into_response();
    }
    let found = services::environments::list(&state.services.db).await.map(|envs| envs.into_iter().find(|e| e.slug == environment));
    match found {
        Ok(Some(env)) => match env.gateway_certificate_pem {
            Some(pem) => pem_response(services::model::CertificatePem { file_name: format!("gatehouse-{}-gateway.pem", env.slug), pem }),
            None => (StatusCode::NOT_FOUND, format!("the {} gateway has not been started yet, so it has no certificate", env.name)).into_response(),
        },
        Ok(None) => (StatusCode::NOT_FOUND, format!("there is no environment \"{environment}\"")).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

pub fn pem_response(pem: services::model::CertificatePem) -> Response {
    let disposition = format!("attachment; filename=\"{}\"", pem.file_name);
    let mut response = pem.pem.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-pem-file"));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}
