//! Endpoint configurations: how a proxy reaches its backend in each environment. Saving checks
//! the consistency rules here, once, for the console and the REST API alike; nothing saved is
//! live until it is deployed.
mod notices;
pub(crate) mod tls;

use super::{find, paths, Found};
use crate::activity;
use crate::auth::Actor;
use crate::certificates::{self, describe_configured};
use crate::entities::{certificate, endpoint_certificate, endpoint_config, environment, proxy};
use crate::model::{
    Certificate, CertificateKind, EndpointConfig, EndpointSettings, Environment, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_READ_TIMEOUT_MS, MAX_CONNECT_TIMEOUT_MS,
    MAX_READ_TIMEOUT_MS, MIN_TIMEOUT_MS,
};
use crate::projects::Need;
use crate::{Error, Result};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait};

pub use notices::listing_warnings;

/// A new environment's configuration: verification on, Mutual SSL off, default timeouts.
pub(crate) fn default_row(proxy_id: i32, environment_id: i32, url: &str, actor: &Actor, now: time::OffsetDateTime) -> endpoint_config::ActiveModel {
    endpoint_config::ActiveModel {
        proxy_id: Set(proxy_id),
        environment_id: Set(environment_id),
        url: Set(url.to_string()),
        verify_hostname: Set(true),
        verify_chain: Set(true),
        mutual_ssl: Set(false),
        client_certificate_id: Set(None),
        connect_timeout_ms: Set(DEFAULT_CONNECT_TIMEOUT_MS as i32),
        read_timeout_ms: Set(DEFAULT_READ_TIMEOUT_MS as i32),
        host_mismatch_accepted: Set(false),
        tls_min_version: Set("1.2".into()),
        tls_max_version: Set("1.3".into()),
        tls_cipher_suites: Set(String::new()),
        spki_pins: Set(String::new()),
        updated_by: Set(Some(actor.id)),
        updated_at: Set(now),
        ..Default::default()
    }
}

/// Every environment's configuration for the proxy, in promotion order.
pub async fn list(db: &DatabaseConnection, actor: &Actor, project: &str, proxy: &str) -> Result<Vec<EndpointConfig>> {
    let found = find(db, actor, project, proxy, Need::See).await?;
    let mut configs = Vec::new();
    for env in environment::Entity::find().order_by_asc(environment::Column::Position).all(db).await? {
        configs.push(load(db, &found.proxy, env).await?);
    }
    Ok(configs)
}

pub async fn get(db: &DatabaseConnection, actor: &Actor, project: &str, proxy: &str, environment: &str) -> Result<EndpointConfig> {
    let found = find(db, actor, project, proxy, Need::See).await?;
    let env = find_environment(db, environment).await?;
    load(db, &found.proxy, env).await
}

/// Saves one environment's configuration after checking every rule.
pub async fn save(db: &DatabaseConnection, actor: &Actor, project: &str, proxy: &str, environment: &str, settings: EndpointSettings) -> Result<EndpointConfig> {
    let Found { access, proxy } = find(db, actor, project, proxy, Need::Edit).await?;
    let env = find_environment(db, environment).await?;
    let checked = check(db, access.project.id, &settings).await?;
    let txn = db.begin().await?;
    let now = time::OffsetDateTime::now_utc();
    let existing = endpoint_config::of(&txn, proxy.id, env.id).await?;
    let mut row: endpoint_config::ActiveModel = match existing {
        Some(found) => found.into(),
        None => default_row(proxy.id, env.id, &checked.url, actor, now),
    };
    row.url = Set(checked.url.clone());
    row.verify_hostname = Set(settings.verify_hostname);
    row.verify_chain = Set(settings.verify_chain);
    row.mutual_ssl = Set(settings.mutual_ssl);
    row.client_certificate_id = Set(checked.client.as_ref().map(|c| c.id));
    row.connect_timeout_ms = Set(settings.connect_timeout_ms as i32);
    row.read_timeout_ms = Set(settings.read_timeout_ms as i32);
    row.host_mismatch_accepted = Set(checked.host_mismatch);
    row.tls_min_version = Set(checked.tls.min_version.clone());
    row.tls_max_version = Set(checked.tls.max_version.clone());
    row.tls_cipher_suites = Set(checked.tls.cipher_suites.join("\n"));
    row.spki_pins = Set(checked.pins.join("\n"));
    row.updated_by = Set(Some(actor.id));
    row.updated_at = Set(now);
    let saved = sea_orm::TryIntoModel::try_into_model(row.save(&txn).await?)?;
    set_endpoint_certificates(&txn, saved.id, checked.endpoint_certificates.iter().map(|c| c.id)).await?;
    let mut summary = format!("Saved the {} endpoint: {}", env.name, checked.url);
    summary.push_str(&match &checked.client {
        Some(client) if settings.mutual_ssl => format!(", Mutual SSL on with \"{}\"", client.name),
        _ => ", Mutual SSL off".to_string(),
    });
    match checked.endpoint_certificates.len() {
        0 => {}
        n => summary.push_str(&format!(", {n} endpoint certificate{}", if n == 1 { "" } else { "s" })),
    }
    match (settings.verify_chain, checked.pins.len()) {
        (true, 0) => {}
        (true, n) => summary.push_str(&format!(", {n} pinned key{}", if n == 1 { "" } else { "s" })),
        (false, 0) => summary.push_str(", chain verification OFF"),
        (false, n) => summary.push_str(&format!(", chain verification off, {n} pinned key{} instead", if n == 1 { "" } else { "s" })),
    }
    if checked.tls != crate::model::EndpointTls::default() {
        summary.push_str(&format!(", {}", tls::describe_versions(&checked.tls)));
    }
    activity::record(&txn, actor, access.project.id, Some(proxy.id), "endpoint.saved", summary).await?;
    txn.commit().await?;
    load(db, &proxy, env).await
}

/// "Upload Endpoint Certificate" on the Endpoints page: adds the upload to the project's store
/// (or finds it there) and makes it the default for every environment that trusts no endpoint
/// certificate yet. Returns the certificates and the environments that took them.
pub async fn upload_endpoint_certificate(
    db: &DatabaseConnection,
    actor: &Actor,
    project: &str,
    proxy: &str,
    upload: &[u8],
) -> Result<(Vec<Certificate>, Vec<String>)> {
    let Found { access, proxy } = find(db, actor, project, proxy, Need::Edit).await?;
    let (added, existing) = certificates::import_endpoint(db, actor, project, upload).await?;
    let certs: Vec<Certificate> = added.into_iter().chain(existing).collect();
    let txn = db.begin().await?;
    let mut took = Vec::new();
    for env in environment::Entity::find().order_by_asc(environment::Column::Position).all(&txn).await? {
        let Some(config) = endpoint_config::of(&txn, proxy.id, env.id).await? else { continue };
        let trusted = endpoint_certificate::Entity::find().filter(endpoint_certificate::Column::EndpointConfigId.eq(config.id)).all(&txn).await?;
        if trusted.is_empty() {
            set_endpoint_certificates(&txn, config.id, certs.iter().map(|c| c.id)).await?;
            took.push(env.name);
        }
    }
    let names: Vec<String> = certs.iter().map(|c| format!("\"{}\"", c.name)).collect();
    let summary = match took.is_empty() {
        true => format!("Uploaded endpoint certificate {}; every environment already had its own", names.join(", ")),
        false => format!("Uploaded endpoint certificate {} as the default for {}", names.join(", "), took.join(" and ")),
    };
    activity::record(&txn, actor, access.project.id, Some(proxy.id), "endpoint.certificate_uploaded", summary).await?;
    txn.commit().await?;
    Ok((certs, took))
}

/// Removes a proxy's configurations and their certificate links (inside the caller's transaction).
pub(crate) async fn delete_for_proxy(db: &impl ConnectionTrait, proxy_id: i32) -> Result<()> {
    let ids: Vec<i32> =
        endpoint_config::Entity::find().filter(endpoint_config::Column::ProxyId.eq(proxy_id)).all(db).await?.into_iter().map(|c| c.id).collect();
    endpoint_certificate::Entity::delete_many().filter(endpoint_certificate::Column::EndpointConfigId.is_in(ids)).exec(db).await?;
    endpoint_config::Entity::delete_many().filter(endpoint_config::Column::ProxyId.eq(proxy_id)).exec(db).await?;
    Ok(())
}

/// An environment by id or slug.
pub async fn find_environment(db: &impl ConnectionTrait, key: &str) -> Result<environment::Model> {
    let by_key = match key.parse::<i32>() {
        Ok(id) => environment::Column::Id.eq(id),
        Err(_) => environment::Column::Slug.eq(key),
    };
    environment::Entity::find().filter(by_key).one(db).await?.ok_or_else(|| Error::NotFound(format!("there is no environment \"{key}\"")))
}

async fn set_endpoint_certificates(db: &impl ConnectionTrait, config_id: i32, ids: impl Iterator<Item = i32>) -> Result<()> {
    endpoint_certificate::Entity::delete_many().filter(endpoint_certificate::Column::EndpointConfigId.eq(config_id)).exec(db).await?;
    for certificate_id in ids {
        endpoint_certificate::ActiveModel { endpoint_config_id: Set(config_id), certificate_id: Set(certificate_id) }.insert(db).await?;
    }
    Ok(())
}

/// One environment's configuration as shown. An environment added after the proxy was created
/// has no row yet: it starts as a copy of the first environment's URL with the defaults.
async fn load(db: &DatabaseConnection, proxy: &proxy::Model, env: environment::Model) -> Result<EndpointConfig> {
    let row = match endpoint_config::of(db, proxy.id, env.id).await? {
        Some(row) => row,
        None => {
            let first = endpoint_config::Entity::find().filter(endpoint_config::Column::ProxyId.eq(proxy.id)).one(db).await?;
            endpoint_config::Model {
                id: 0,
                proxy_id: proxy.id,
                environment_id: env.id,
                url: first.map(|f| f.url).unwrap_or_default(),
                verify_hostname: true,
                verify_chain: true,
                mutual_ssl: false,
                client_certificate_id: None,
                connect_timeout_ms: DEFAULT_CONNECT_TIMEOUT_MS as i32,
                read_timeout_ms: DEFAULT_READ_TIMEOUT_MS as i32,
                host_mismatch_accepted: false,
                tls_min_version: "1.2".into(),
                tls_max_version: "1.3".into(),
                tls_cipher_suites: String::new(),
                spki_pins: String::new(),
                updated_by: None,
                updated_at: proxy.updated_at,
            }
        }
    };
    let trusted_ids: Vec<i32> = endpoint_certificate::ids_for(db, row.id).await?;
    let mut wanted = trusted_ids.clone();
    wanted.extend(row.client_certificate_id);
    let rows = certificate::Entity::find().filter(certificate::Column::Id.is_in(wanted)).order_by_asc(certificate::Column::NotAfter).all(db).await?;
    let described = describe_configured(db, rows).await?;
    let endpoint_certificates: Vec<Certificate> = described.iter().filter(|c| trusted_ids.contains(&c.id)).cloned().collect();
    let client = described.iter().find(|c| Some(c.id) == row.client_certificate_id);
    let notices = notices::for_config(&row, &endpoint_certificates, client);
    let (tls, pins) = tls::of_row(&row);
    Ok(EndpointConfig {
        environment: Environment::from(env),
        url: row.url,
        endpoint_certificate_ids: endpoint_certificates.iter().map(|c| c.id).collect(),
        endpoint_certificates,
        verify_hostname: row.verify_hostname,
        verify_chain: row.verify_chain,
        mutual_ssl: row.mutual_ssl,
        client_certificate_id: row.client_certificate_id,
        connect_timeout_ms: u32::try_from(row.connect_timeout_ms).unwrap_or(DEFAULT_CONNECT_TIMEOUT_MS),
        read_timeout_ms: u32::try_from(row.read_timeout_ms).unwrap_or(DEFAULT_READ_TIMEOUT_MS),
        host_mismatch_accepted: row.host_mismatch_accepted,
        tls,
        pins,
        notices,
        updated_at: row.updated_at,
    })
}

/// Settings that passed every rule, with the certificates they refer to.
struct Checked {
    url: String,
    endpoint_certificates: Vec<certificate::Model>,
    client: Option<certificate::Model>,
    host_mismatch: bool,
    tls: crate::model::EndpointTls,
    pins: Vec<String>,
}

/// The consistency rules. Each refusal names the field to fix and how.
async fn check(db: &DatabaseConnection, project_id: i32, s: &EndpointSettings) -> Result<Checked> {
    let url = paths::backend_url("url", &s.url)?;
    let https = url.scheme() == "https";
    if !(MIN_TIMEOUT_MS..=MAX_CONNECT_TIMEOUT_MS).contains(&s.connect_timeout_ms) {
        return Err(Error::invalid("connect_timeout_ms", format!("the connect timeout must be between {MIN_TIMEOUT_MS} and {MAX_CONNECT_TIMEOUT_MS} ms")));
    }
    if !(MIN_TIMEOUT_MS..=MAX_READ_TIMEOUT_MS).contains(&s.read_timeout_ms) {
        return Err(Error::invalid("read_timeout_ms", format!("the read timeout must be between {MIN_TIMEOUT_MS} and {MAX_READ_TIMEOUT_MS} ms")));
    }
    let (tls, pins) = tls::check(&s.tls, &s.pins)?;
    let mut ids = s.endpoint_certificate_ids.clone();
    ids.sort_unstable();
    ids.dedup();
    let mut endpoint_certificates = Vec::new();
    for id in ids {
        let cert = project_certificate(db, project_id, id, "endpoint_certificate_ids").await?;
        if cert.kind != CertificateKind::Endpoint.as_str() {
            return Err(Error::invalid(
                "endpoint_certificate_ids",
                format!("\"{}\" is a client key pair, which Gatehouse presents rather than trusts: pick it under Existing Certificates instead", cert.name),
            ));
        }
        endpoint_certificates.push(cert);
    }
    if s.mutual_ssl && !https {
        return Err(Error::invalid("mutual_ssl", MUTUAL_SSL_NEEDS_HTTPS));
    }
    let client = match s.client_certificate_id {
        None => None,
        Some(id) => Some(client_key_pair(db, project_id, id).await?),
    };
    if s.mutual_ssl && client.is_none() {
        return Err(Error::invalid(
            "client_certificate_id",
            "Mutual SSL is on, so choose the client certificate to present under Existing Certificates (or add one with Add Client Certificate)",
        ));
    }
    let host_mismatch = https && s.verify_hostname && notices::host_not_covered(&url, &endpoint_certificates).is_some();
    if host_mismatch && !s.accept_host_mismatch {
        let problem = notices::host_not_covered(&url, &endpoint_certificates).unwrap_or_default();
        return Err(Error::invalid(
            "endpoint_certificate_ids",
            format!("{problem}. The gateway's hostname check would refuse this backend: choose the backend's own certificate, turn off Verify hostname, or save anyway to keep it"),
        ));
    }
    Ok(Checked { url: paths::normalized(&url), endpoint_certificates, client, host_mismatch, tls, pins })
}

const MUTUAL_SSL_NEEDS_HTTPS: &str = "Mutual SSL needs an https:// backend URL: a client certificate is presented during the TLS handshake";

/// A client key pair of the project that Gatehouse can present.
async fn client_key_pair(db: &DatabaseConnection, project_id: i32, id: i32) -> Result<certificate::Model> {
    let cert = project_certificate(db, project_id, id, "client_certificate_id").await?;
    if cert.kind != CertificateKind::Client.as_str() || cert.sealed_key.is_none() {
        return Err(Error::invalid(
            "client_certificate_id",
            format!("\"{}\" has no private key, so Gatehouse cannot present it: choose a client key pair, or add one with Add Client Certificate", cert.name),
        ));
    }
    Ok(cert)
}

/// The rules for presenting client key pair `id` to the backend at `url` (Mutual SSL on), as
/// Save checks them: Promote's choice of a certificate goes through here too.
pub(crate) async fn mutual_tls_client(db: &DatabaseConnection, project_id: i32, url: &str, id: i32) -> Result<certificate::Model> {
    if !url.starts_with("https://") {
        return Err(Error::invalid("client_certificate_id", MUTUAL_SSL_NEEDS_HTTPS));
    }
    client_key_pair(db, project_id, id).await
}

async fn project_certificate(db: &DatabaseConnection, project_id: i32, id: i32, field: &str) -> Result<certificate::Model> {
    certificate::Entity::find_by_id(id)
        .filter(certificate::Column::ProjectId.eq(project_id))
        .one(db)
        .await?
        .ok_or_else(|| Error::invalid(field, format!("there is no certificate {id} in this project's store")))
}

#[cfg(test)]
mod tests;
