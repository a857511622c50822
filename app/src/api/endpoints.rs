//! The Endpoints page: every environment's endpoint configuration with the certificates a
//! publisher can choose from, and Save. "Upload Endpoint Certificate" is a multipart form
//! (server/src/console_forms.rs).
use crate::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use services::model::{Certificate, EndpointConfig};

/// Everything one Endpoints page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointsData {
    pub configs: Vec<EndpointConfig>,
    /// The project's endpoint certificates, to trust per environment.
    pub endpoint_certificates: Vec<Certificate>,
    /// The project's client key pairs: "Existing Certificates".
    pub client_certificates: Vec<Certificate>,
    pub can_edit: bool,
    /// The TLS 1.2 suites an endpoint may be limited to.
    pub tls12_suites: Vec<String>,
}

#[server]
pub async fn endpoints_view(project: String, proxy: String) -> Result<EndpointsData, AppError> {
    use services::certificates::{self, CertificateFilter};
    use services::model::CertificateKind;
    let (services, actor) = super::guard::actor().await?;
    let db = &services.db;
    let configs = services::proxies::endpoints::list(db, &actor, &project, &proxy).await?;
    let of_kind = |kind| CertificateFilter { kind: Some(kind), text: String::new() };
    let endpoint_certificates = certificates::list(db, &actor, &project, &of_kind(CertificateKind::Endpoint), 1, 100).await?.items;
    let client_certificates = certificates::list(db, &actor, &project, &of_kind(CertificateKind::Client), 1, 100).await?.items;
    let can_edit = services::projects::get(db, &actor, &project).await?.can_edit(actor.is_admin);
    let tls12_suites = services::domains::offered_cipher_suites();
    Ok(EndpointsData { configs, endpoint_certificates, client_certificates, can_edit, tls12_suites })
}

/// Save on one environment's card. Checkboxes arrive only when ticked; the endpoint
/// certificates as `endpoint_certificate_ids[i]`, the TLS 1.2 suites as `tls_cipher_suites[i]`;
/// the pins one per line.
#[server]
#[allow(clippy::too_many_arguments)]
pub async fn save_endpoint(
    project: String,
    proxy: String,
    environment: String,
    url: String,
    endpoint_certificate_ids: Option<Vec<i32>>,
    verify_hostname: Option<String>,
    verify_chain: Option<String>,
    mutual_ssl: Option<String>,
    client_certificate_id: Option<String>,
    connect_timeout_ms: String,
    read_timeout_ms: String,
    accept_host_mismatch: Option<String>,
    tls_min_version: Option<String>,
    tls_max_version: Option<String>,
    tls_cipher_suites: Option<Vec<String>>,
    pins: Option<String>,
) -> Result<EndpointConfig, AppError> {
    use super::guard;
    use services::Error;
    let (services, actor) = guard::actor().await?;
    let millis = |field: &str, text: &str| text.trim().parse::<u32>().map_err(|_| Error::invalid(field, "enter a whole number of milliseconds"));
    let client_certificate_id = match client_certificate_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(id) => Some(id.parse::<i32>().map_err(|_| Error::invalid("client_certificate_id", "choose a certificate from the list"))?),
    };
    let settings = services::model::EndpointSettings {
        url,
        endpoint_certificate_ids: endpoint_certificate_ids.unwrap_or_default(),
        verify_hostname: verify_hostname.is_some(),
        verify_chain: verify_chain.is_some(),
        mutual_ssl: mutual_ssl.is_some(),
        client_certificate_id,
        connect_timeout_ms: millis("connect_timeout_ms", &connect_timeout_ms)?,
        read_timeout_ms: millis("read_timeout_ms", &read_timeout_ms)?,
        accept_host_mismatch: accept_host_mismatch.is_some(),
        tls: services::model::EndpointTls {
            min_version: tls_min_version.unwrap_or_else(|| "1.2".into()),
            max_version: tls_max_version.unwrap_or_else(|| "1.3".into()),
            cipher_suites: tls_cipher_suites.unwrap_or_default(),
        },
        pins: pins.unwrap_or_default().lines().map(str::to_string).collect(),
    };
    let saved = services::proxies::endpoints::save(&services.db, &actor, &project, &proxy, &environment, settings).await?;
    guard::flash(format!("Saved the {} endpoint. Nothing is live until it is deployed.", saved.environment.name)).await?;
    Ok(saved)
}

/// "Check connection": a real connection to the backend with the saved configuration.
#[server]
pub async fn check_endpoint(project: String, proxy: String, environment: String) -> Result<services::model::ConnectionCheck, AppError> {
    use super::guard;
    let (services, actor) = guard::actor().await?;
    let report = services::check_connection::check_saved(&services, &actor, &project, &proxy, &environment).await?;
    // A form posted without JavaScript reloads the page, which cannot show the returned report:
    // it goes to the flash message instead.
    let headers: axum::http::HeaderMap = leptos_axum::extract().await?;
    let from_html_form = headers.get(axum::http::header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"));
    if from_html_form {
        let mut text = match &report.code {
            None => format!("Check connection: {}", report.message),
            Some(code) => format!("Check connection failed ({code}): {}", report.message),
        };
        if let Some(leaf) = report.chain.first().filter(|c| !c.spki_pin.is_empty()) {
            text.push_str(&format!(" The backend's key pin: {}", leaf.spki_pin));
        }
        guard::store_flash(&guard::session().await?, crate::components::flash::Flash { text, error: !report.ok, secrets: Vec::new() }).await?;
    }
    Ok(report)
}
