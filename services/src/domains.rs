//! Custom domains per environment (administrators): a hostname with its certificate chain and
//! private key, which the environment's listener serves to callers that ask for that name
//! (SNI). Uploads are checked whole (`chain`), the key is sealed under the master key as client
//! keys are, and the listener's new configuration is compiled and swapped in before the row is
//! stored: a domain is live in milliseconds, and one the gateway cannot serve is never stored.
//!
//! The listener's TLS settings (minimum version, TLS 1.2 suites) live on the environment and go
//! through the same path: `apply` compiles the environment's whole edge and swaps it in.
pub mod acme;
pub mod chain;

use crate::auth::Actor;
use crate::certificates::{input, keys, seal};
use crate::entities::{domain, environment};
use crate::model::{Domain, DomainAdded, ListenerTlsSettings, NewDomain};
use crate::secrets::MasterKey;
use crate::{Error, Result, Services};
use gateway::edge::{DomainSpec, EdgeSpec, Identity, TlsSettings, TlsVersion};
use rustls::pki_types::PrivateKeyDer;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, ModelTrait, QueryFilter, QueryOrder, Set};

/// Domains per environment: each is a certificate compiled into every handshake's lookup.
pub const MAX_DOMAINS: usize = 100;

/// An environment's domains, oldest first. Visible to every signed-in user.
pub async fn list(services: &Services, environment: &str) -> Result<Vec<Domain>> {
    let env = crate::proxies::endpoints::find_environment(&services.db, environment).await?;
    let rows = rows(&services.db, env.id).await?;
    Ok(rows.into_iter().map(|row| describe(services, &env, row)).collect())
}

pub(crate) async fn rows(db: &DatabaseConnection, environment_id: i32) -> Result<Vec<domain::Model>> {
    Ok(domain::Entity::find().filter(domain::Column::EnvironmentId.eq(environment_id)).order_by_asc(domain::Column::Id).all(db).await?)
}

pub(crate) fn admin_only(actor: &Actor, what: &str) -> Result<()> {
    if actor.is_admin {
        Ok(())
    } else {
        Err(Error::Forbidden(format!("only an administrator can {what}")))
    }
}

/// Adds a domain from an uploaded chain and key (or, with `acme`, has an ACME server issue
/// it), or replaces the certificate of the domain with that hostname (a renewal). Checked
/// whole; live before it is stored.
pub async fn add(services: &Services, actor: &Actor, environment: &str, new: &NewDomain) -> Result<DomainAdded> {
    match &new.acme {
        Some(request) => acme::request(services, actor, environment, &new.hostname, request).await,
        None => add_upload(services, actor, environment, &new.hostname, new.certificate_pem.as_bytes(), new.private_key_pem.as_bytes()).await,
    }
}

/// `add` with the chain and key as uploaded files or pasted text.
pub async fn add_upload(services: &Services, actor: &Actor, environment: &str, hostname: &str, certificate: &[u8], private_key: &[u8]) -> Result<DomainAdded> {
    admin_only(actor, "add a domain to an environment")?;
    let hostname = check_hostname(hostname)?;
    let certs = input::read_certificates("certificate", certificate)?;
    let key = input::read_private_key("private_key", private_key)?;
    let checked = chain::check(&hostname, certs, time::OffsetDateTime::now_utc())?;
    keys::check_key_matches(&checked.chain[0], &key)?;

    let env = crate::proxies::endpoints::find_environment(&services.db, environment).await?;
    let now = time::OffsetDateTime::now_utc();
    let (row, replaced) = {
        let _one_at_a_time = services.deploy_lock.lock().await;
        let existing = rows(&services.db, env.id).await?;
        let old = existing.iter().find(|d| d.hostname == hostname).cloned();
        if old.is_none() && existing.len() >= MAX_DOMAINS {
            return Err(Error::Conflict(format!("{} has {MAX_DOMAINS} domains, the most an environment takes: delete one first", env.name)));
        }
        let mut row: domain::ActiveModel = match &old {
            Some(old) => old.clone().into(),
            None => domain::ActiveModel {
                environment_id: Set(env.id),
                hostname: Set(hostname.clone()),
                created_by: Set(Some(actor.id)),
                created_at: Set(now),
                ..Default::default()
            },
        };
        row.source = Set("uploaded".into());
        row.acme_directory_url = Set(None);
        row.acme_contact_email = Set(None);
        row.acme_state = Set(None);
        row.acme_detail = Set(None);
        (store_locked(services, &env, row, &checked, key).await?, old.is_some())
    };
    tracing::info!(actor = actor.id, environment = %env.slug, %hostname, replaced, "domain live");
    Ok(DomainAdded { domain: describe(services, &env, row), replaced, notes: checked.notes })
}

/// Serves a checked chain and key for an existing domain row (an ACME issue), then stores them.
pub(crate) async fn serve_and_store(
    services: &Services,
    env: &environment::Model,
    row: &domain::Model,
    checked: &chain::Checked,
    key: PrivateKeyDer<'static>,
) -> Result<domain::Model> {
    let _one_at_a_time = services.deploy_lock.lock().await;
    // Deleted meanwhile: nothing to serve.
    let current = domain::Entity::find_by_id(row.id).one(&services.db).await?.ok_or_else(|| Error::NotFound(format!("{} was deleted", row.hostname)))?;
    store_locked(services, env, current.into(), checked, key).await
}

/// The domain's new certificate goes live (the environment's edge compiled with it and swapped
/// in), then the row is stored; a failed store puts back what the database says. Call under
/// the deploy lock.
async fn store_locked(
    services: &Services,
    env: &environment::Model,
    mut row: domain::ActiveModel,
    checked: &chain::Checked,
    key: PrivateKeyDer<'static>,
) -> Result<domain::Model> {
    let hostname = match &row.hostname {
        sea_orm::ActiveValue::Set(h) | sea_orm::ActiveValue::Unchanged(h) => h.clone(),
        sea_orm::ActiveValue::NotSet => return Err(Error::Internal("a domain without its hostname".into())),
    };
    let sealed = seal::seal(&services.master_key, &binding(env.id, &hostname, &checked.leaf.fingerprint_sha256), key.secret_der())?;
    row.certificate_pem = Set(input::to_pem(&checked.chain));
    row.sealed_key = Set(Some(sealed.ciphertext));
    row.key_nonce = Set(Some(sealed.nonce));
    row.master_key_id = Set(Some(services.master_key.id()));
    row.issuer = Set(checked.leaf.issuer.clone());
    row.not_after = Set(Some(checked.leaf.not_after));
    row.fingerprint_sha256 = Set(checked.leaf.fingerprint_sha256.clone());
    row.updated_at = Set(time::OffsetDateTime::now_utc());

    // Live first: the gateway compiles the environment's edge with this certificate in it.
    let mut serving: Vec<(String, Identity)> = Vec::new();
    for other in rows(&services.db, env.id).await?.iter().filter(|d| d.hostname != hostname) {
        if let Some(identity) = identity(&services.master_key, other)? {
            serving.push((other.hostname.clone(), identity));
        }
    }
    serving.push((hostname.clone(), Identity { chain: served(&checked.chain), key }));
    set_edge(services, env, serving).await?;
    let stored = match row.id {
        sea_orm::ActiveValue::NotSet => row.insert(&services.db).await,
        _ => row.update(&services.db).await,
    };
    match stored {
        Ok(stored) => {
            crate::cluster::announce(services, crate::cluster::Change::Environment(env.id)).await;
            Ok(stored)
        }
        Err(e) => {
            // Serve what the database still says.
            if let Err(back) = apply_locked(services, env).await {
                tracing::error!(environment = %env.slug, error = %back, "the domains could not be put back; the next start settles it");
            }
            Err(e.into())
        }
    }
}

/// Deletes a domain: callers asking for that name get the default certificate from the next
/// handshake on.
pub async fn delete(services: &Services, actor: &Actor, environment: &str, hostname: &str) -> Result<Domain> {
    admin_only(actor, "delete an environment's domain")?;
    let hostname = hostname.trim().trim_end_matches('.').to_ascii_lowercase();
    let _one_at_a_time = services.deploy_lock.lock().await;
    let env = crate::proxies::endpoints::find_environment(&services.db, environment).await?;
    let all = rows(&services.db, env.id).await?;
    let row = all.iter().find(|d| d.hostname == hostname).cloned().ok_or_else(|| Error::NotFound(format!("{} has no domain {hostname}", env.name)))?;
    let mut serving = Vec::new();
    for other in all.iter().filter(|d| d.id != row.id) {
        if let Some(identity) = identity(&services.master_key, other)? {
            serving.push((other.hostname.clone(), identity));
        }
    }
    set_edge(services, &env, serving).await?;
    let shown = describe(services, &env, row.clone());
    if let Err(e) = row.delete(&services.db).await {
        if let Err(back) = apply_locked(services, &env).await {
            tracing::error!(environment = %env.slug, error = %back, "the domains could not be put back; the next start settles it");
        }
        return Err(e.into());
    }
    crate::cluster::announce(services, crate::cluster::Change::Environment(env.id)).await;
    tracing::info!(actor = actor.id, environment = %env.slug, %hostname, "domain deleted");
    Ok(shown)
}

/// Changes the listener's TLS settings (admins), at once: compiled and swapped in, then stored.
pub async fn set_tls(services: &Services, actor: &Actor, environment: &str, settings: &ListenerTlsSettings) -> Result<ListenerTlsSettings> {
    admin_only(actor, "change an environment's TLS settings")?;
    let tls = read_settings(settings)?;
    let _one_at_a_time = services.deploy_lock.lock().await;
    let old = crate::proxies::endpoints::find_environment(&services.db, environment).await?;
    let mut new = old.clone();
    new.tls_min_version = tls.min_version.as_str().to_string();
    new.tls_cipher_suites = tls.cipher_suites.join("\n");
    if new == old {
        return Ok(show_settings(&new));
    }
    apply_locked(services, &new).await?;
    let mut row: environment::ActiveModel = old.clone().into();
    row.tls_min_version = Set(new.tls_min_version.clone());
    row.tls_cipher_suites = Set(new.tls_cipher_suites.clone());
    if let Err(e) = row.update(&services.db).await {
        if let Err(back) = apply_locked(services, &old).await {
            tracing::error!(environment = %old.slug, error = %back, "the old TLS settings could not be put back; the next start settles it");
        }
        return Err(e.into());
    }
    crate::cluster::announce(services, crate::cluster::Change::Environment(new.id)).await;
    tracing::info!(actor = actor.id, environment = %new.slug, min_version = %new.tls_min_version, suites = %new.tls_cipher_suites.replace('\n', " "), "listener TLS settings changed");
    Ok(show_settings(&new))
}

pub(crate) fn read_settings(settings: &ListenerTlsSettings) -> Result<TlsSettings> {
    let min_version = TlsVersion::parse(&settings.min_version)
        .ok_or_else(|| Error::invalid("min_version", format!("\"{}\" is not a TLS version Gatehouse serves: choose 1.2 or 1.3", settings.min_version)))?;
    let mut cipher_suites: Vec<String> = settings.cipher_suites.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
    cipher_suites.dedup();
    if cipher_suites.len() > 32 {
        return Err(Error::invalid("cipher_suites", "name at most 32 cipher suites"));
    }
    gateway::edge::check_suites(&cipher_suites).map_err(|e| Error::invalid("cipher_suites", e))?;
    Ok(TlsSettings { min_version, cipher_suites })
}

pub fn show_settings(env: &environment::Model) -> ListenerTlsSettings {
    ListenerTlsSettings { min_version: env.tls_min_version.clone(), cipher_suites: env.tls_cipher_suites.lines().map(str::to_string).collect() }
}

/// The TLS 1.2 suites a listener may be limited to, by IANA name.
pub fn offered_cipher_suites() -> Vec<String> {
    gateway::edge::tls12_suite_names().into_iter().map(str::to_string).collect()
}

/// Everything the environment's listener serves, read from the database: its default
/// certificate, its domains and its TLS settings.
pub async fn edge(db: &DatabaseConnection, master_key: &MasterKey, env: &environment::Model, default: Identity) -> Result<EdgeSpec> {
    let mut domains = Vec::new();
    for row in rows(db, env.id).await? {
        if let Some(identity) = identity(master_key, &row)? {
            domains.push(DomainSpec { hostname: row.hostname, identity });
        }
    }
    Ok(EdgeSpec { default, domains, tls: stored_settings(env) })
}

/// The settings as stored; ones that no longer read (edited by hand) fall back to the defaults,
/// loudly, rather than stop the listener.
fn stored_settings(env: &environment::Model) -> TlsSettings {
    read_settings(&show_settings(env)).unwrap_or_else(|e| {
        tracing::error!(environment = %env.slug, error = %e, "the stored TLS settings cannot be read: serving the defaults until an admin saves them again");
        TlsSettings::default()
    })
}

/// Compiles the environment's edge from the database and swaps it in (when another node
/// announces a change to it). Call under the deploy lock.
pub(crate) async fn apply_edge(services: &Services, env: &environment::Model) -> Result<()> {
    apply_locked(services, env).await
}

/// Compiles the environment's edge from the database and swaps it in. Call under the deploy lock.
async fn apply_locked(services: &Services, env: &environment::Model) -> Result<()> {
    let mut serving = Vec::new();
    for row in rows(&services.db, env.id).await? {
        if let Some(identity) = identity(&services.master_key, &row)? {
            serving.push((row.hostname, identity));
        }
    }
    set_edge(services, env, serving).await
}

async fn set_edge(services: &Services, env: &environment::Model, domains: Vec<(String, Identity)>) -> Result<()> {
    let hosts: Vec<String> = Vec::new();
    let default = crate::environments::gateway_identity(&services.db, &services.master_key, env, &hosts).await?;
    let spec = EdgeSpec {
        default: Identity { chain: default.chain, key: default.key },
        domains: domains.into_iter().map(|(hostname, identity)| DomainSpec { hostname, identity }).collect(),
        tls: read_settings(&show_settings(env))?,
    };
    match services.gateway.set_edge(&env.slug, spec) {
        Ok(()) | Err(gateway::Error::NotServed(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// A stored domain's chain (without a root the upload included: clients have their roots) and
/// its key; `None` while an ACME order has issued nothing yet.
fn identity(master_key: &MasterKey, row: &domain::Model) -> Result<Option<Identity>> {
    let (Some(sealed), Some(nonce)) = (row.sealed_key.as_deref(), row.key_nonce.as_deref()) else { return Ok(None) };
    let der = seal::open(master_key, &binding(row.environment_id, &row.hostname, &row.fingerprint_sha256), nonce, sealed)?;
    let key = PrivateKeyDer::try_from(der.to_vec()).map_err(|_| Error::Internal(format!("the stored key of {} is damaged", row.hostname)))?;
    let chain = input::read_certificates("certificate", row.certificate_pem.as_bytes())?;
    Ok(Some(Identity { chain: served(&chain), key }))
}

/// What is sent in the handshake: the leaf and intermediates, not a trailing root.
fn served(chain: &[rustls::pki_types::CertificateDer<'static>]) -> Vec<rustls::pki_types::CertificateDer<'static>> {
    let root_last = chain.len() > 1 && chain.last().and_then(|c| crate::certificates::inspect::inspect(c.as_ref()).ok()).is_some_and(|i| i.self_signed);
    chain[..chain.len() - usize::from(root_last)].to_vec()
}

/// Every certificate of the environment's domains, for a client in this process that calls the
/// listener by a domain (the Test page) to trust.
pub async fn chains(db: &DatabaseConnection, environment_id: i32) -> Result<Vec<rustls::pki_types::CertificateDer<'static>>> {
    let mut all = Vec::new();
    for row in rows(db, environment_id).await? {
        all.extend(input::read_certificates("certificate", row.certificate_pem.as_bytes()).unwrap_or_default());
    }
    Ok(all)
}

fn binding(environment_id: i32, hostname: &str, fingerprint: &str) -> Vec<u8> {
    format!("gatehouse/domain-key/v1/{environment_id}/{hostname}/{fingerprint}").into_bytes()
}

pub(crate) fn describe(services: &Services, env: &environment::Model, row: domain::Model) -> Domain {
    let now = time::OffsetDateTime::now_utc();
    let chain_length = input::read_certificates("certificate", row.certificate_pem.as_bytes()).map(|c| served(&c).len()).unwrap_or(0);
    let invoke_url =
        (!row.hostname.starts_with("*.")).then(|| services.gateway.address(&env.slug)).flatten().map(|addr| gateway::edge::url_for(&row.hostname, addr.port()));
    let acme = (row.source == "acme").then(|| crate::model::AcmeStatus {
        directory_url: row.acme_directory_url.clone().unwrap_or_default(),
        state: row.acme_state.clone().unwrap_or_else(|| "pending".into()),
        detail: row.acme_detail.clone().unwrap_or_default(),
    });
    Domain {
        acme,
        environment: env.slug.clone(),
        source: row.source,
        issuer: row.issuer,
        chain_length,
        days_left: row.not_after.map(|t| (t - now).whole_days()),
        not_after: row.not_after,
        fingerprint_sha256: row.fingerprint_sha256,
        invoke_url,
        created_at: row.created_at,
        hostname: row.hostname,
    }
}

/// A DNS hostname as RFC 1123 has it (letters, digits and hyphens; labels of 1 to 63; at most
/// 253 in all; at least two labels), or one with a leading `*.` label. Returned lowercase,
/// without a trailing dot. Internationalized names are taken in their `xn--` form.
pub fn check_hostname(text: &str) -> Result<String> {
    let name = text.trim().trim_end_matches('.').to_ascii_lowercase();
    let bad = |why: &str| Error::invalid("hostname", format!("\"{}\" is not a hostname: {why}", text.trim().chars().take(80).collect::<String>()));
    if name.is_empty() {
        return Err(Error::invalid("hostname", "enter the hostname callers will use, such as api.example.com"));
    }
    if name.len() > 253 {
        return Err(bad("it is longer than 253 characters"));
    }
    if name.parse::<std::net::IpAddr>().is_ok() || name.trim_start_matches('[').trim_end_matches(']').parse::<std::net::Ipv6Addr>().is_ok() {
        return Err(bad("it is an IP address; domains are names (the default certificate already covers the listener's address)"));
    }
    let plain = name.strip_prefix("*.").unwrap_or(&name);
    let labels: Vec<&str> = plain.split('.').collect();
    if labels.len() < 2 {
        return Err(bad("use a fully qualified name with a dot, such as api.example.com"));
    }
    for label in &labels {
        if label.is_empty() || label.len() > 63 {
            return Err(bad("each part between dots must be 1 to 63 characters"));
        }
        if label.contains('*') {
            return Err(bad("a wildcard may only be the whole first part (*.example.com)"));
        }
        if !label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(bad("use letters, digits, hyphens and dots only (write internationalized names in their xn-- form)"));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(bad("a part may not start or end with a hyphen"));
        }
    }
    if labels.last().is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit())) {
        return Err(bad("the last part may not be all digits"));
    }
    Ok(name)
}

#[cfg(test)]
mod tests;
