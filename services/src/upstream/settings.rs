//! An endpoint configuration as the upstream needs it: the URL, the trusted certificates as
//! DER, the client identity unsealed. Read from what is saved (for Check connection) or, once
//! deployments exist, from a revision.
use crate::certificates::client_identity;
use crate::entities::{certificate, endpoint_certificate, endpoint_config};
use crate::secrets::MasterKey;
use crate::{Error, Result};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

pub struct ClientIdentity {
    pub name: String,
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

impl std::fmt::Debug for ClientIdentity {
    // Never the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientIdentity").field("name", &self.name).field("chain", &self.chain.len()).finish_non_exhaustive()
    }
}

#[derive(Debug)]
pub struct UpstreamSettings {
    pub url: String,
    /// Each trusted endpoint certificate's name and its certificates.
    pub trusted: Vec<(String, Vec<CertificateDer<'static>>)>,
    pub verify_hostname: bool,
    pub verify_chain: bool,
    /// Presented only when Mutual SSL is on.
    pub client: Option<ClientIdentity>,
    pub connect_timeout_ms: u32,
    pub read_timeout_ms: u32,
}

/// The saved configuration of one proxy in one environment.
pub async fn load_settings(db: &DatabaseConnection, master_key: &MasterKey, config: &endpoint_config::Model) -> Result<UpstreamSettings> {
    let ids: Vec<i32> = endpoint_certificate::Entity::find()
        .filter(endpoint_certificate::Column::EndpointConfigId.eq(config.id))
        .all(db)
        .await?
        .into_iter()
        .map(|t| t.certificate_id)
        .collect();
    let mut trusted = Vec::new();
    for row in certificate::Entity::find().filter(certificate::Column::Id.is_in(ids)).all(db).await? {
        let chain = crate::certificates::read_pem_chain(&row.certificate_pem)?;
        trusted.push((row.name, chain));
    }
    let client = match (config.mutual_ssl, config.client_certificate_id) {
        (true, Some(id)) => {
            let (chain, key) = client_identity(db, master_key, id).await?;
            let name = certificate::Entity::find_by_id(id).one(db).await?.map(|c| c.name).unwrap_or_default();
            Some(ClientIdentity { name, chain, key })
        }
        (true, None) => return Err(Error::invalid("client_certificate_id", "Mutual SSL is on but no client certificate is chosen")),
        (false, _) => None,
    };
    Ok(UpstreamSettings {
        url: config.url.clone(),
        trusted,
        verify_hostname: config.verify_hostname,
        verify_chain: config.verify_chain,
        client,
        connect_timeout_ms: u32::try_from(config.connect_timeout_ms).unwrap_or(5_000),
        read_timeout_ms: u32::try_from(config.read_timeout_ms).unwrap_or(30_000),
    })
}
