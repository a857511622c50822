//! What an endpoint configuration's card (and the proxy listing) keeps telling the publisher
//! for as long as it holds: verification turned off, trusting the public roots, certificates
//! expiring, a certificate that does not name the backend's host.
use crate::entities::{certificate, endpoint_certificate, endpoint_config, environment};
use crate::model::{Certificate, ExpiryStatus, Notice, NoticeLevel, EXPIRY_WARNING_DAYS};
use crate::Result;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

fn warning(text: impl Into<String>) -> Notice {
    Notice { level: NoticeLevel::Warning, text: text.into() }
}

fn info(text: impl Into<String>) -> Notice {
    Notice { level: NoticeLevel::Info, text: text.into() }
}

/// Why none of the endpoint certificates names the URL's host, or `None` when one does (or
/// when an issuing CA is among them: the backend's own certificate, which that CA issued, is
/// then what must name the host, and only the handshake can tell). A CA certificate that lists
/// host names is a self-signed server certificate (openssl marks those CA by default), so it
/// is checked like any server certificate.
pub(super) fn host_not_covered(url: &url::Url, certs: &[certificate::Model]) -> Option<String> {
    let host = url.host()?;
    let names_hosts = |c: &certificate::Model| c.subject_alt_names.trim() != "[]";
    if certs.is_empty() || certs.iter().any(|c| c.is_ca && !names_hosts(c)) {
        return None;
    }
    let mut names = Vec::new();
    for cert in certs {
        let sans: Vec<String> = serde_json::from_str(&cert.subject_alt_names).unwrap_or_default();
        if gateway::certs::names_cover_host(&sans, &host) {
            return None;
        }
        let listed = if sans.is_empty() { "no subject alternative names".to_string() } else { sans.join(", ") };
        names.push(format!("\"{}\" names {listed}", cert.name));
    }
    Some(format!("no endpoint certificate names the backend host {host}: {}", names.join("; ")))
}

fn expiry(cert: &Certificate, role: &str) -> Option<String> {
    match cert.expiry_status() {
        ExpiryStatus::Expired => Some(format!("the {role} \"{}\" expired on {}", cert.name, cert.not_after.date())),
        ExpiryStatus::ExpiringSoon => Some(format!("the {role} \"{}\" expires in {} days (on {})", cert.name, cert.days_left, cert.not_after.date())),
        ExpiryStatus::Valid => None,
    }
}

pub(super) fn for_config(row: &endpoint_config::Model, endpoint_certs: &[Certificate], client: Option<&Certificate>) -> Vec<Notice> {
    let mut notices = Vec::new();
    let https = row.url.starts_with("https://");
    if !https {
        notices.push(warning("This backend is called over plain http: traffic between the gateway and the backend is not encrypted."));
        if !endpoint_certs.is_empty() {
            notices.push(info("Endpoint certificates are only used over https; they are ignored for this http URL."));
        }
    }
    let pinned = row.spki_pins.lines().filter(|l| !l.trim().is_empty()).count();
    if https && !row.verify_chain && pinned > 0 {
        notices.push(info(format!(
            "Certificate chain verification is off and {pinned} key{} pinned: the gateway trusts the backend's key instead of a CA, whatever its certificate's issuer or dates. A backend presenting any other key is refused with upstream_tls_pin_mismatch.",
            if pinned == 1 { " is" } else { "s are" }
        )));
    } else if https && row.verify_chain && pinned > 0 {
        notices.push(info(format!(
            "{pinned} key{} pinned in addition to chain verification: the backend must present a trusted chain and one of the pinned keys.",
            if pinned == 1 { " is" } else { "s are" }
        )));
    }
    if !https && (pinned > 0 || row.tls_min_version != "1.2" || row.tls_max_version != "1.3" || !row.tls_cipher_suites.is_empty()) {
        notices.push(info("TLS versions, cipher suites and pinned keys are only used over https; they are ignored for this http URL."));
    }
    if https && !row.verify_chain && pinned == 0 {
        notices.push(warning(
            "Certificate chain verification is off: the gateway will accept any certificate this backend presents, an attacker's included. Turn Verify certificate chain back on once the backend's certificate is uploaded.",
        ));
    }
    if https && row.verify_chain && endpoint_certs.is_empty() {
        notices.push(info(
            "No endpoint certificate: the gateway trusts the public root CAs for this backend, as a browser would. Upload the backend's certificate if it is self-signed or issued by a private CA.",
        ));
    }
    if https && !row.verify_hostname {
        notices.push(warning("Hostname verification is off: any certificate the trusted CAs issued is accepted, whatever name it is for."));
    }
    if https && row.verify_hostname && row.host_mismatch_accepted {
        notices.push(warning("Saved although no endpoint certificate names the backend's host: expect upstream_tls_hostname_mismatch unless the backend presents a certificate for it."));
    }
    for cert in endpoint_certs {
        notices.extend(expiry(cert, "endpoint certificate").map(warning));
    }
    match client {
        Some(c) if row.mutual_ssl => notices.extend(expiry(c, "client certificate").map(warning)),
        Some(c) => notices.push(info(format!("\"{}\" is selected but not presented while Mutual SSL is off.", c.name))),
        None => {}
    }
    notices
}

/// The listing's warnings for a proxy: per environment, verification off and certificates in
/// use that expire within EXPIRY_WARNING_DAYS days or have expired.
pub async fn listing_warnings(db: &DatabaseConnection, environments: &[environment::Model], configs: &[endpoint_config::Model]) -> Result<Vec<String>> {
    let mut warnings = Vec::new();
    let horizon = time::OffsetDateTime::now_utc() + time::Duration::days(EXPIRY_WARNING_DAYS);
    for env in environments {
        let Some(config) = configs.iter().find(|c| c.environment_id == env.id) else { continue };
        if config.url.starts_with("https://") && !config.verify_chain && config.spki_pins.trim().is_empty() {
            warnings.push(format!("{}: certificate chain verification is off", env.name));
        }
        let mut ids: Vec<i32> = endpoint_certificate::ids_for(db, config.id).await?;
        if config.mutual_ssl {
            ids.extend(config.client_certificate_id);
        }
        let soon = certificate::Entity::find().filter(certificate::Column::Id.is_in(ids)).filter(certificate::Column::NotAfter.lte(horizon)).all(db).await?;
        for cert in soon {
            let verb = if cert.not_after < time::OffsetDateTime::now_utc() { "expired on" } else { "expires on" };
            warnings.push(format!("{}: \"{}\" {verb} {}", env.name, cert.name, cert.not_after.date()));
        }
    }
    Ok(warnings)
}
