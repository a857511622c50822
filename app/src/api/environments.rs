use crate::AppError;
use leptos::prelude::*;
use services::model::Environment;

#[server]
pub async fn list_environments() -> Result<Vec<Environment>, AppError> {
    let (services, _actor) = super::guard::actor().await?;
    Ok(services::environments::list_with_gateways(&services).await?)
}

/// The Environments page's destination form: each list as typed, a range per line.
#[server]
pub async fn update_destinations(environment: String, allowed: String, denied: String) -> Result<(), AppError> {
    use super::guard;
    let (services, actor) = guard::actor().await?;
    let lines = |text: &str| text.lines().map(str::to_string).collect::<Vec<_>>();
    let changes = services::model::EnvironmentChanges { allowed_destinations: Some(lines(&allowed)), denied_destinations: Some(lines(&denied)), tls: None };
    let env = services::environments::update(&services, &actor, &environment, changes).await?;
    guard::flash(format!("Saved where {} backends may be; live proxies there follow from their next connection.", env.name)).await?;
    Ok(())
}

/// The TLS 1.2 cipher suites a listener may be limited to, by IANA name.
#[server]
pub async fn offered_cipher_suites() -> Result<Vec<String>, AppError> {
    super::guard::actor().await?;
    Ok(services::domains::offered_cipher_suites())
}

/// The Environments page's TLS settings form: the minimum version and the TLS 1.2 suites ticked
/// (none ticked: every suite Gatehouse offers).
#[server]
pub async fn update_listener_tls(environment: String, min_version: String, cipher_suites: Option<Vec<String>>) -> Result<(), AppError> {
    use super::guard;
    let (services, actor) = guard::actor().await?;
    let settings = services::model::ListenerTlsSettings { min_version, cipher_suites: cipher_suites.unwrap_or_default() };
    let changes = services::model::EnvironmentChanges { tls: Some(settings), ..Default::default() };
    let env = services::environments::update(&services, &actor, &environment, changes).await?;
    let suites =
        if env.tls.cipher_suites.is_empty() { "every TLS 1.2 suite offered".to_string() } else { format!("{} TLS 1.2 suites", env.tls.cipher_suites.len()) };
    guard::flash(format!("The {} gateway now takes TLS {} and up ({suites}), from the next connection.", env.name, env.tls.min_version)).await?;
    Ok(())
}

/// The Environments page's "Issue with ACME" form: the order runs in the background and its
/// state shows on the domain.
#[server]
pub async fn request_certificate(environment: String, hostname: String, directory_url: String, contact_email: String) -> Result<(), AppError> {
    use super::guard;
    let (services, actor) = guard::actor().await?;
    let request = services::model::AcmeRequest { directory_url: Some(directory_url), contact_email: Some(contact_email) };
    let added = services::domains::acme::request(&services, &actor, &environment, &hostname, &request).await?;
    let from = added.domain.acme.map(|a| a.directory_url).unwrap_or_default();
    guard::flash(format!("Ordering a certificate for {} from {from}: its state shows below (reload to follow it).", added.domain.hostname)).await?;
    Ok(())
}

/// Deletes a domain (confirmed on the page).
#[server]
pub async fn delete_domain(environment: String, hostname: String) -> Result<(), AppError> {
    use super::guard;
    let (services, actor) = guard::actor().await?;
    let gone = services::domains::delete(&services, &actor, &environment, &hostname).await?;
    guard::flash(format!("Deleted the domain {}: callers asking for it now get the default certificate.", gone.hostname)).await?;
    Ok(())
}

/// Every gateway node on this database and what it serves (the Environments page).
#[server]
pub async fn list_gateway_nodes() -> Result<Vec<services::model::GatewayNode>, AppError> {
    let (services, _actor) = super::guard::actor().await?;
    Ok(services::cluster::nodes(&services.db).await?)
}
