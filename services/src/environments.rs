//! Environments: Development and Production by default, in promotion order, each with its own
//! gateway listener and that listener's certificate.
use crate::auth::Actor;
use crate::certificates::{read_pem_chain, seal};
use crate::entities::environment;
use crate::model::{Environment, EnvironmentChanges};
use crate::secrets::MasterKey;
use crate::{Error, Result};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, QueryOrder, Set};

/// Every environment, in promotion order. Visible to every signed-in user.
pub async fn list(db: &DatabaseConnection) -> Result<Vec<Environment>> {
    Ok(environment::Entity::find().order_by_asc(environment::Column::Position).all(db).await?.into_iter().map(Environment::from).collect())
}

/// The environments with the URLs their gateways take calls on in this process, and their
/// domains.
pub async fn list_with_gateways(services: &crate::Services) -> Result<Vec<Environment>> {
    let mut found = Vec::new();
    for env in all(&services.db).await? {
        found.push(with_gateway(services, env).await?);
    }
    Ok(found)
}

/// Changes where `environment`'s backends may be (admins only). Both lists are read, then
/// every live route of the environment is compiled with them and swapped in at once, and only
/// then are they stored: a live backend whose address the new lists refuse fails the change,
/// with nothing stored and nothing swapped. They hold from the next connection on (no pooled
/// connection made under the old lists is reused).
///
/// `tls` (the listener's TLS settings) is checked before anything changes and applied last,
/// at once, by `domains::set_tls`.
pub async fn update(services: &crate::Services, actor: &Actor, environment: &str, changes: EnvironmentChanges) -> Result<Environment> {
    if !actor.is_admin {
        return Err(Error::Forbidden("only an administrator can change an environment".into()));
    }
    if let Some(tls) = &changes.tls {
        crate::domains::read_settings(tls)?;
    }
    if changes.allowed_destinations.is_some() || changes.denied_destinations.is_some() {
        update_destinations(services, actor, environment, &changes).await?;
    }
    if let Some(tls) = &changes.tls {
        crate::domains::set_tls(services, actor, environment, tls).await?;
    }
    let env = crate::proxies::endpoints::find_environment(&services.db, environment).await?;
    with_gateway(services, env).await
}

async fn update_destinations(services: &crate::Services, actor: &Actor, environment: &str, changes: &EnvironmentChanges) -> Result<()> {
    let read = |field: &'static str, list: &Option<Vec<String>>| -> Result<Option<String>> {
        let Some(list) = list else { return Ok(None) };
        let text = list.join("\n");
        if text.len() > 64 * 1024 {
            return Err(Error::invalid(field, "the list is longer than 64 KB"));
        }
        gateway::destinations::parse_ranges(&text).map(|ranges| Some(show(&ranges))).map_err(|e| Error::invalid(field, e))
    };
    let allow = read("allowed_destinations", &changes.allowed_destinations)?;
    let deny = read("denied_destinations", &changes.denied_destinations)?;
    // Deploys read the lists under the same lock, so none compiles with the old lists after this.
    let _one_at_a_time = services.deploy_lock.lock().await;
    let old = crate::proxies::endpoints::find_environment(&services.db, environment).await?;
    let mut new = old.clone();
    new.allowed_destinations = allow.unwrap_or(new.allowed_destinations);
    new.denied_destinations = deny.unwrap_or(new.denied_destinations);
    if new == old {
        return Ok(());
    }
    let republished = crate::deployments::publish(services, &new)
        .await
        .map_err(|e| Error::Conflict(format!("the lists were not saved: {e}. Undeploy that proxy or change its backend first")))?;
    let mut row: environment::ActiveModel = old.clone().into();
    row.allowed_destinations = Set(new.allowed_destinations.clone());
    row.denied_destinations = Set(new.denied_destinations.clone());
    if let Err(e) = row.update(&services.db).await {
        // Serve what the database still says.
        if let Err(back) = crate::deployments::publish(services, &old).await {
            tracing::error!(environment = %old.slug, error = %back, "the old destination lists could not be put back; the next start settles it");
        }
        return Err(e.into());
    }
    crate::cluster::announce(services, crate::cluster::Change::Environment(new.id)).await;
    tracing::info!(actor = actor.id, environment = %new.slug, allow = %new.allowed_destinations.replace('\n', " "), deny = %new.denied_destinations.replace('\n', " "), routes = ?republished, "destination lists changed");
    Ok(())
}

async fn with_gateway(services: &crate::Services, env: environment::Model) -> Result<Environment> {
    let mut shown = Environment::from(env);
    shown.gateway_url = services.gateway.invoke_url(&shown.slug);
    shown.domains = crate::domains::list(services, &shown.slug).await?;
    Ok(shown)
}

fn show<T: ToString>(ranges: &[T]) -> String {
    ranges.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
}

/// What the gateway's listeners start with: each environment that has an address in `addrs`,
/// with its default certificate (made self-signed for the address on first start, then kept),
/// its domains and its TLS settings.
pub async fn listeners(
    db: &DatabaseConnection,
    master_key: &MasterKey,
    addrs: &std::collections::HashMap<String, std::net::SocketAddr>,
) -> Result<Vec<gateway::ListenerSpec>> {
    let mut specs = Vec::new();
    for env in all(db).await? {
        let Some(addr) = addrs.get(&env.slug) else { continue };
        let identity = gateway_identity(db, master_key, &env, &[addr.ip().to_string()])
            .await
            .map_err(|e| Error::Internal(format!("cannot prepare the {} gateway's certificate: {e}", env.name)))?;
        let default = gateway::edge::Identity { chain: identity.chain, key: identity.key };
        let edge = crate::domains::edge(db, master_key, &env, default).await?;
        specs.push(gateway::ListenerSpec { slug: env.slug, name: env.name, addr: *addr, edge });
    }
    Ok(specs)
}

/// The models themselves, for the gateway's listeners.
pub async fn all(db: &DatabaseConnection) -> Result<Vec<environment::Model>> {
    Ok(environment::Entity::find().order_by_asc(environment::Column::Position).all(db).await?)
}

/// What a gateway listener presents to API consumers.
pub struct GatewayIdentity {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
    pub certificate_pem: String,
}

/// The environment's listener certificate and key, created self-signed (for `hosts`) the first
/// time and kept in the database, so clients that trusted it keep trusting it after a restart.
pub async fn gateway_identity(db: &DatabaseConnection, master_key: &MasterKey, env: &environment::Model, hosts: &[String]) -> Result<GatewayIdentity> {
    let aad = format!("gatehouse/gateway-key/v1/{}", env.id).into_bytes();
    if let (Some(pem), Some(sealed), Some(nonce)) = (&env.gateway_certificate_pem, &env.gateway_sealed_key, &env.gateway_key_nonce) {
        let der = seal::open(master_key, &aad, nonce, sealed)?;
        let key = PrivateKeyDer::try_from(der.to_vec()).map_err(|_| Error::Internal(format!("the stored gateway key of {} is damaged", env.name)))?;
        return Ok(GatewayIdentity { chain: read_pem_chain(pem)?, key, certificate_pem: pem.clone() });
    }
    let mut names: Vec<String> = vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
    names.extend(hosts.iter().filter(|h| !h.is_empty() && !names.contains(h)).cloned().collect::<Vec<_>>());
    let mut params = rcgen::CertificateParams::new(names).map_err(|e| Error::Internal(format!("gateway certificate: {e}")))?;
    params.distinguished_name.push(rcgen::DnType::CommonName, format!("Gatehouse {} gateway", env.name));
    params.distinguished_name.push(rcgen::DnType::OrganizationName, "Gatehouse (self-signed)");
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(825);
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
    let mut serial = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut serial);
    serial[0] &= 0x7f;
    params.serial_number = Some(rcgen::SerialNumber::from_slice(&serial));
    let key_pair = rcgen::KeyPair::generate().map_err(|e| Error::Internal(format!("gateway key: {e}")))?;
    let cert = params.self_signed(&key_pair).map_err(|e| Error::Internal(format!("gateway certificate: {e}")))?;
    let sealed = seal::seal(master_key, &aad, &key_pair.serialize_der())?;
    let pem = cert.pem();
    let mut row: environment::ActiveModel = env.clone().into();
    row.gateway_certificate_pem = Set(Some(pem.clone()));
    row.gateway_sealed_key = Set(Some(sealed.ciphertext));
    row.gateway_key_nonce = Set(Some(sealed.nonce));
    row.gateway_master_key_id = Set(Some(master_key.id()));
    row.update(db).await?;
    let key = PrivateKeyDer::try_from(key_pair.serialize_der()).map_err(|_| Error::Internal("gateway key encoding".into()))?;
    Ok(GatewayIdentity { chain: vec![cert.der().clone()], key, certificate_pem: pem })
}

#[cfg(test)]
mod tests {
    use crate::secrets::MasterKey;

    #[tokio::test]
    async fn development_then_production_are_seeded() {
        let db = crate::testing::db().await;
        let names: Vec<String> = super::list(&db).await.unwrap().into_iter().map(|e| e.slug).collect();
        assert_eq!(names, ["development", "production"]);
    }

    #[tokio::test]
    async fn a_gateway_identity_is_made_once_and_kept() {
        let db = crate::testing::db().await;
        let key = MasterKey::parse(&"42".repeat(32)).unwrap();
        let dev = super::all(&db).await.unwrap().remove(0);
        let first = super::gateway_identity(&db, &key, &dev, &["gateway.test".into()]).await.unwrap();
        let dev = super::all(&db).await.unwrap().remove(0);
        let again = super::gateway_identity(&db, &key, &dev, &[]).await.unwrap();
        assert_eq!(first.certificate_pem, again.certificate_pem);
        assert_eq!(first.key.secret_der(), again.key.secret_der());
        let info = crate::certificates::inspect::inspect(first.chain[0].as_ref()).unwrap();
        assert!(info.subject_alt_names.contains(&"DNS:gateway.test".to_string()), "{:?}", info.subject_alt_names);
        assert!(!dev.gateway_sealed_key.unwrap().windows(16).any(|w| first.key.secret_der().windows(16).any(|k| k == w)));
    }
}
