//! A revision's content: the proxy, one environment's endpoint configuration and the
//! certificates it uses, copied as they are when deployed (the client key stays sealed). Later
//! changes to the proxy or the certificate store never change a deployed revision.
//!
//! The one path from saved configuration to what the gateway compiles: `saved` takes the
//! snapshot, `decode` reads a stored one, `Snapshot::route` turns either into the gateway's
//! plain `RouteSpec`. Deploys, restores and Check connection all go through it.
use crate::certificates::{read_pem_chain, seal};
use crate::entities::{certificate, endpoint_certificate, endpoint_config, environment, proxy, revision};
use crate::secrets::MasterKey;
use crate::{Error, Result};
use gateway::{ClientIdentity, RouteSpec, UpstreamSettings};
use rustls::pki_types::PrivateKeyDer;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub proxy_name: String,
    pub proxy_version: String,
    pub context_path: String,
    pub url: String,
    pub verify_hostname: bool,
    pub verify_chain: bool,
    pub mutual_ssl: bool,
    pub connect_timeout_ms: u32,
    pub read_timeout_ms: u32,
    pub endpoint_certificates: Vec<SnapshotCertificate>,
    pub client_certificate: Option<SnapshotClient>,
    /// Who may call (revisions from before access settings existed are open).
    #[serde(default)]
    pub access: crate::model::Access,
    /// What the gateway does with requests and answers (revisions from before policies had none).
    #[serde(default)]
    pub policies: Vec<crate::model::Policy>,
    /// TLS versions and suites to the backend (revisions from before had the defaults).
    #[serde(default)]
    pub tls: crate::model::EndpointTls,
    /// The backend's pinned keys (revisions from before had none).
    #[serde(default)]
    pub pins: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotCertificate {
    pub id: i32,
    pub name: String,
    pub fingerprint_sha256: String,
    pub pem: String,
}

/// The client key pair, its key still sealed (bound to the project and fingerprint it was
/// sealed for, so the copy opens exactly as the original does).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotClient {
    pub id: i32,
    pub name: String,
    pub fingerprint_sha256: String,
    pub pem: String,
    pub project_id: i32,
    pub sealed_key: String,
    pub key_nonce: String,
}

/// The proxy's saved endpoint configuration for `env`: what Save on its Endpoints card wrote.
pub async fn saved_config(db: &DatabaseConnection, proxy: &proxy::Model, env: &environment::Model) -> Result<endpoint_config::Model> {
    endpoint_config::of(db, proxy.id, env.id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("the {} endpoint has not been saved yet: configure it on the Endpoints page first", env.name)))
}

/// What a deploy of the saved configuration for `env` would make live.
pub async fn saved(db: &DatabaseConnection, proxy: &proxy::Model, env: &environment::Model) -> Result<Snapshot> {
    take(db, proxy, &saved_config(db, proxy, env).await?).await
}

/// A stored revision's content.
pub fn decode(revision: &revision::Model) -> Result<Snapshot> {
    serde_json::from_str(&revision.snapshot).map_err(|e| Error::Internal(format!("revision {} cannot be read: {e}", revision.number)))
}

/// The text a revision stores.
pub fn encode(snapshot: &Snapshot) -> Result<String> {
    serde_json::to_string(snapshot).map_err(|e| Error::Internal(format!("the revision cannot be written: {e}")))
}

/// A snapshot of the proxy with the endpoint configuration `config`.
pub async fn take(db: &DatabaseConnection, proxy: &proxy::Model, config: &endpoint_config::Model) -> Result<Snapshot> {
    let ids: Vec<i32> = endpoint_certificate::ids_for(db, config.id).await?;
    let endpoint_certificates = certificate::Entity::find()
        .filter(certificate::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|c| SnapshotCertificate { id: c.id, name: c.name, fingerprint_sha256: c.fingerprint_sha256, pem: c.certificate_pem })
        .collect();
    let client_certificate = match (config.mutual_ssl, config.client_certificate_id) {
        (true, Some(id)) => {
            let row = certificate::Entity::find_by_id(id).one(db).await?.ok_or_else(|| Error::NotFound(format!("client certificate {id} no longer exists")))?;
            let (Some(sealed), Some(nonce)) = (row.sealed_key, row.key_nonce) else {
                return Err(Error::invalid("client_certificate_id", format!("\"{}\" has no private key", row.name)));
            };
            Some(SnapshotClient {
                id: row.id,
                name: row.name,
                fingerprint_sha256: row.fingerprint_sha256,
                pem: row.certificate_pem,
                project_id: row.project_id,
                sealed_key: hex::encode(sealed),
                key_nonce: hex::encode(nonce),
            })
        }
        (true, None) => {
            return Err(Error::invalid("client_certificate_id", "Mutual SSL is on but no client certificate is chosen: fix it on the Endpoints page"))
        }
        (false, _) => None,
    };
    let (tls, pins) = crate::proxies::endpoints::tls::of_row(config);
    Ok(Snapshot {
        proxy_name: proxy.name.clone(),
        proxy_version: proxy.version.clone(),
        context_path: proxy.context_path.clone(),
        url: config.url.clone(),
        verify_hostname: config.verify_hostname,
        verify_chain: config.verify_chain,
        mutual_ssl: config.mutual_ssl,
        connect_timeout_ms: u32::try_from(config.connect_timeout_ms).unwrap_or(5_000),
        read_timeout_ms: u32::try_from(config.read_timeout_ms).unwrap_or(30_000),
        endpoint_certificates,
        client_certificate,
        access: crate::proxies::access::of(proxy),
        policies: crate::proxies::policies::of(proxy),
        tls,
        pins,
    })
}

impl Snapshot {
    /// What the gateway compiles for this revision, with the proxy's current `lifecycle` (which
    /// is not part of a revision: it holds at once); unseals the client key.
    pub fn route(
        &self,
        proxy_id: i32,
        lifecycle: gateway::policies::LifecycleSpec,
        master_key: &MasterKey,
        destinations: &std::sync::Arc<gateway::Destinations>,
    ) -> Result<RouteSpec> {
        let mut trusted = Vec::new();
        for cert in &self.endpoint_certificates {
            trusted.push((cert.name.clone(), read_pem_chain(&cert.pem)?));
        }
        let client = match &self.client_certificate {
            None => None,
            Some(c) => {
                let damaged = || Error::Internal(format!("the deployed copy of \"{}\" is damaged", c.name));
                let sealed = hex::decode(&c.sealed_key).map_err(|_| damaged())?;
                let nonce = hex::decode(&c.key_nonce).map_err(|_| damaged())?;
                let der = seal::open(master_key, &seal::binding(c.project_id, &c.fingerprint_sha256), &nonce, &sealed)?;
                let key = PrivateKeyDer::try_from(der.to_vec()).map_err(|_| damaged())?;
                Some(ClientIdentity { name: c.name.clone(), chain: read_pem_chain(&c.pem)?, key })
            }
        };
        Ok(RouteSpec {
            proxy_id,
            name: format!("{} {}", self.proxy_name, self.proxy_version),
            context_path: self.context_path.clone(),
            upstream: UpstreamSettings {
                url: self.url.clone(),
                trusted,
                verify_hostname: self.verify_hostname,
                verify_chain: self.verify_chain,
                client,
                connect_timeout_ms: self.connect_timeout_ms,
                read_timeout_ms: self.read_timeout_ms,
                tls: crate::proxies::endpoints::tls::spec(&self.tls, &self.pins)?,
                destinations: destinations.clone(),
            },
            access: crate::proxies::access::spec(&self.access),
            policies: crate::proxies::policies::spec(&self.policies),
            lifecycle,
        })
    }
}

impl Snapshot {
    /// What differs from `other` (this is what is live), field by field, in the console's words.
    pub fn changes_to(&self, saved: &Snapshot) -> Vec<crate::model::Change> {
        let on_off = |b: bool| if b { "on" } else { "off" }.to_string();
        let certs = |s: &Snapshot| {
            let names: Vec<&str> = s.endpoint_certificates.iter().map(|c| c.name.as_str()).collect();
            if names.is_empty() {
                "public root CAs".to_string()
            } else {
                names.join(", ")
            }
        };
        let client = |s: &Snapshot| s.client_certificate.as_ref().map_or("none".to_string(), |c| c.name.clone());
        let pins = |s: &Snapshot| if s.pins.is_empty() { "none".to_string() } else { s.pins.join(", ") };
        use crate::proxies::endpoints::tls::{describe_suites, describe_versions};
        let fields = [
            ("Context path", self.context_path.clone(), saved.context_path.clone()),
            ("Backend URL", self.url.clone(), saved.url.clone()),
            ("Endpoint certificates", certs(self), certs(saved)),
            ("Verify hostname", on_off(self.verify_hostname), on_off(saved.verify_hostname)),
            ("Verify certificate chain", on_off(self.verify_chain), on_off(saved.verify_chain)),
            ("Mutual SSL", on_off(self.mutual_ssl), on_off(saved.mutual_ssl)),
            ("Client certificate", client(self), client(saved)),
            ("Connect timeout", format!("{} ms", self.connect_timeout_ms), format!("{} ms", saved.connect_timeout_ms)),
            ("Read timeout", format!("{} ms", self.read_timeout_ms), format!("{} ms", saved.read_timeout_ms)),
            ("TLS versions", describe_versions(&self.tls), describe_versions(&saved.tls)),
            ("TLS 1.2 cipher suites", describe_suites(&self.tls), describe_suites(&saved.tls)),
            ("Pinned keys", pins(self), pins(saved)),
            ("Access", crate::proxies::access::describe(&self.access), crate::proxies::access::describe(&saved.access)),
            ("Policies", crate::proxies::policies::describe(&self.policies), crate::proxies::policies::describe(&saved.policies)),
        ];
        fields
            .into_iter()
            .filter(|(_, live, saved)| live != saved)
            .map(|(field, live, saved)| crate::model::Change { field: field.into(), live, saved })
            .collect()
    }
}
