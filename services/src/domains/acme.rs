//! Certificates for domains from an ACME server (RFC 8555; instant-acme), Let's Encrypt by
//! default. A request is checked and the directory reached before anything is stored; then
//! the domain is stored "pending" and ordered in the background: the TLS-ALPN-01 challenge is
//! answered by the environment's own listener (a challenge certificate handed to the gateway
//! for that name, `gateway::edge`), and the issued chain and key go live and are stored as an
//! upload would be. A renewal runs when a third of the certificate's life (at most 30 days) is
//! left; until it succeeds the old certificate keeps serving. Every outcome is on the domain:
//! pending, issued, or failed with the ACME server's own words.
use super::{admin_only, check_hostname, describe, rows};
use crate::auth::Actor;
use crate::certificates::{input, seal};
use crate::entities::{domain, environment, setting};
use crate::model::{AcmeRequest, DomainAdded};
use crate::{Error, Result, Services};
use gateway::edge::Identity;
use http_body_util::BodyExt;
use instant_acme::{Account, AuthorizationStatus, ChallengeType, Identifier, NewAccount, NewOrder, OrderStatus, RetryPolicy};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use std::time::Duration;

pub const LETS_ENCRYPT: &str = crate::model::LETS_ENCRYPT_DIRECTORY;

/// How Gatehouse talks to ACME servers: which CAs it trusts for their HTTPS beside the public
/// roots (GATEHOUSE_ACME_CA_FILE, for a private or test ACME server) and how often it looks for
/// certificates to renew (GATEHOUSE_ACME_CHECK_SECS).
#[derive(Debug, Clone)]
pub struct AcmeSettings {
    pub extra_roots: Vec<CertificateDer<'static>>,
    pub check_every: Duration,
}

impl Default for AcmeSettings {
    fn default() -> Self {
        AcmeSettings { extra_roots: Vec::new(), check_every: Duration::from_secs(3600) }
    }
}

/// The longest an ACME server is given for one step (reaching it, validating, issuing).
const STEP: Duration = Duration::from_secs(60);

/// Asks for a certificate for `hostname` from the ACME server: the account is made (or found)
/// now, so an unreachable or refusing directory stores nothing; the order runs in the
/// background and its state is on the domain.
pub async fn request(services: &Services, actor: &Actor, environment: &str, hostname: &str, request: &AcmeRequest) -> Result<DomainAdded> {
    admin_only(actor, "add a domain to an environment")?;
    let hostname = check_hostname(hostname)?;
    if hostname.starts_with("*.") {
        return Err(Error::invalid(
            "hostname",
            "a wildcard needs the DNS-01 challenge, which Gatehouse does not answer: upload a wildcard certificate instead",
        ));
    }
    let directory_url = check_directory(request.directory_url.as_deref())?;
    let contact = check_contact(request.contact_email.as_deref())?;
    let env = crate::proxies::endpoints::find_environment(&services.db, environment).await?;
    account(services, &directory_url, contact.as_deref()).await?;

    let row = {
        let _one_at_a_time = services.deploy_lock.lock().await;
        let existing = rows(&services.db, env.id).await?;
        let now = time::OffsetDateTime::now_utc();
        let mut row: domain::ActiveModel = match existing.iter().find(|d| d.hostname == hostname) {
            Some(old) if old.source != "acme" => {
                return Err(Error::Conflict(format!("{hostname} has an uploaded certificate: delete the domain first to have its certificate issued by ACME")))
            }
            Some(old) => old.clone().into(),
            None if existing.len() >= super::MAX_DOMAINS => {
                return Err(Error::Conflict(format!("{} has {} domains, the most an environment takes: delete one first", env.name, super::MAX_DOMAINS)))
            }
            None => domain::ActiveModel {
                environment_id: Set(env.id),
                hostname: Set(hostname.clone()),
                source: Set("acme".into()),
                certificate_pem: Set(String::new()),
                sealed_key: Set(None),
                key_nonce: Set(None),
                master_key_id: Set(None),
                issuer: Set(String::new()),
                not_after: Set(None),
                fingerprint_sha256: Set(String::new()),
                created_by: Set(Some(actor.id)),
                created_at: Set(now),
                ..Default::default()
            },
        };
        row.acme_directory_url = Set(Some(directory_url.clone()));
        row.acme_contact_email = Set(contact.clone());
        row.acme_state = Set(Some("pending".into()));
        row.acme_detail = Set(Some(format!("ordering from {directory_url}")));
        row.updated_at = Set(now);
        match row.id {
            sea_orm::ActiveValue::NotSet => row.insert(&services.db).await?,
            _ => row.update(&services.db).await?,
        }
    };
    tracing::info!(actor = actor.id, environment = %env.slug, %hostname, directory = %directory_url, "ACME order started");
    let id = row.id;
    let background = services.clone();
    tokio::spawn(async move { issue(&background, id).await });
    Ok(DomainAdded { domain: describe(services, &env, row), replaced: false, notes: Vec::new() })
}

fn check_directory(url: Option<&str>) -> Result<String> {
    let text = url.map(str::trim).filter(|u| !u.is_empty()).unwrap_or(LETS_ENCRYPT);
    let parsed =
        url::Url::parse(text).map_err(|_| Error::invalid("acme.directory_url", format!("\"{text}\" is not a URL: use the ACME directory's https:// URL")))?;
    if parsed.scheme() != "https" || parsed.host().is_none() || text.len() > 2048 {
        return Err(Error::invalid("acme.directory_url", "ACME directories are https:// URLs, such as https://acme-v02.api.letsencrypt.org/directory"));
    }
    Ok(text.to_string())
}

fn check_contact(email: Option<&str>) -> Result<Option<String>> {
    let Some(email) = email.map(str::trim).filter(|e| !e.is_empty()) else { return Ok(None) };
    let well_formed = email.len() <= 254 && email.split_once('@').is_some_and(|(user, host)| !user.is_empty() && host.contains('.'));
    if !well_formed || email.chars().any(|c| c.is_whitespace() || c.is_control() || c == ',') {
        return Err(Error::invalid("acme.contact_email", format!("\"{email}\" is not an email address")));
    }
    Ok(Some(email.to_string()))
}

/// The ACME account for a directory: made once, its key sealed in the settings, reused.
async fn account(services: &Services, directory_url: &str, contact: Option<&str>) -> Result<Account> {
    let name = format!("acme_account:{directory_url}");
    let unreachable =
        |e: instant_acme::Error| Error::invalid("acme.directory_url", format!("the ACME server at {directory_url} could not be used: {}", problem(&e)));
    let stored = setting::Entity::find().filter(setting::Column::Name.eq(name.clone())).one(&services.db).await?;
    if let Some(stored) = stored {
        let credentials = open_credentials(services, &name, &stored.value)?;
        return tokio::time::timeout(STEP, builder(services).from_credentials(credentials))
            .await
            .map_err(|_| Error::invalid("acme.directory_url", format!("the ACME server at {directory_url} did not answer within {} s", STEP.as_secs())))?
            .map_err(unreachable);
    }
    let mailto = contact.map(|c| format!("mailto:{c}"));
    let contacts: Vec<&str> = mailto.iter().map(String::as_str).collect();
    let new = NewAccount { contact: &contacts, terms_of_service_agreed: true, only_return_existing: false };
    let (account, credentials) = tokio::time::timeout(STEP, builder(services).create(&new, directory_url.to_string(), None))
        .await
        .map_err(|_| Error::invalid("acme.directory_url", format!("the ACME server at {directory_url} did not answer within {} s", STEP.as_secs())))?
        .map_err(unreachable)?;
    let json = serde_json::to_vec(&credentials).map_err(|e| Error::Internal(format!("ACME account: {e}")))?;
    let sealed = seal::seal(&services.master_key, name.as_bytes(), &json)?;
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let value = serde_json::json!({"nonce": b64.encode(&sealed.nonce), "sealed": b64.encode(&sealed.ciphertext), "master_key_id": services.master_key.id()})
        .to_string();
    setting::ActiveModel { name: Set(name), value: Set(value), updated_at: Set(time::OffsetDateTime::now_utc()) }.insert(&services.db).await?;
    Ok(account)
}

fn open_credentials(services: &Services, name: &str, value: &str) -> Result<instant_acme::AccountCredentials> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let damaged = || Error::Internal(format!("the stored ACME account ({name}) is damaged"));
    let stored: serde_json::Value = serde_json::from_str(value).map_err(|_| damaged())?;
    let field = |key: &str| stored[key].as_str().and_then(|s| b64.decode(s).ok()).ok_or_else(damaged);
    let json = seal::open(&services.master_key, name.as_bytes(), &field("nonce")?, &field("sealed")?)?;
    serde_json::from_slice(&json).map_err(|_| damaged())
}

fn builder(services: &Services) -> instant_acme::AccountBuilder {
    Account::builder_with_http(Box::new(AcmeHttp::new(&services.acme.extra_roots)))
}

/// The ACME server's own words for an error.
fn problem(e: &instant_acme::Error) -> String {
    match e {
        instant_acme::Error::Api(p) => {
            let kind = p.r#type.as_deref().map(|t| t.trim_start_matches("urn:ietf:params:acme:error:")).unwrap_or("error");
            format!("{kind}: {}", p.detail.as_deref().unwrap_or("no detail given"))
        }
        instant_acme::Error::Timeout(_) => format!("no answer within {} s", STEP.as_secs()),
        other => other.to_string(),
    }
}

/// Orders, validates, issues and serves the domain's certificate; any failure is recorded on
/// the domain (the certificate it had, if any, keeps serving).
pub(crate) async fn issue(services: &Services, domain_id: i32) {
    let Ok(Some(row)) = domain::Entity::find_by_id(domain_id).one(&services.db).await else { return };
    let Ok(Some(env)) = environment::Entity::find_by_id(row.environment_id).one(&services.db).await else { return };
    let outcome = order(services, &env, &row).await;
    // Whatever happened, the challenge is no longer answered.
    let _ = services.gateway.set_acme_challenge(&env.slug, &row.hostname, None);
    let (state, detail) = match outcome {
        Ok(issuer) => ("issued", issuer),
        Err(e) => {
            tracing::warn!(environment = %env.slug, hostname = %row.hostname, error = %e, "ACME order failed");
            ("failed", e.to_string())
        }
    };
    if let Ok(Some(current)) = domain::Entity::find_by_id(domain_id).one(&services.db).await {
        let mut update: domain::ActiveModel = current.into();
        update.acme_state = Set(Some(state.into()));
        update.acme_detail = Set(Some(detail.chars().take(2000).collect()));
        update.updated_at = Set(time::OffsetDateTime::now_utc());
        if let Err(e) = update.update(&services.db).await {
            tracing::error!(hostname = %row.hostname, error = %e, "the ACME outcome could not be recorded");
        }
    }
}

async fn order(services: &Services, env: &environment::Model, row: &domain::Model) -> Result<String> {
    let directory_url = row.acme_directory_url.clone().unwrap_or_else(|| LETS_ENCRYPT.to_string());
    let account = account(services, &directory_url, row.acme_contact_email.as_deref()).await?;
    let failed = |step: &str, e: instant_acme::Error| Error::Conflict(format!("{step}: {}", problem(&e)));
    let identifiers = [Identifier::Dns(row.hostname.clone())];
    let mut order = account.new_order(&NewOrder::new(&identifiers)).await.map_err(|e| failed("the order was refused", e))?;
    let mut authorizations = order.authorizations();
    while let Some(authorization) = authorizations.next().await {
        let mut authorization = authorization.map_err(|e| failed("the authorization could not be read", e))?;
        match authorization.status {
            AuthorizationStatus::Valid => continue,
            AuthorizationStatus::Pending => {}
            other => return Err(Error::Conflict(format!("the authorization is {other:?}"))),
        }
        let mut challenge = authorization
            .challenge(ChallengeType::TlsAlpn01)
            .ok_or_else(|| Error::Conflict("the ACME server offers no TLS-ALPN-01 challenge for this name".into()))?;
        let digest = challenge.key_authorization().digest();
        let answer = challenge_certificate(&row.hostname, digest.as_ref())?;
        services.gateway.set_acme_challenge(&env.slug, &row.hostname, Some(answer))?;
        challenge.set_ready().await.map_err(|e| failed("the challenge was refused", e))?;
    }
    let retries = RetryPolicy::new().timeout(STEP);
    let status = order.poll_ready(&retries).await.map_err(|e| failed("validation failed", e))?;
    if status != OrderStatus::Ready {
        let why = order.state().error.as_ref().and_then(|p| p.detail.clone()).unwrap_or_else(|| format!("the order is {status:?}"));
        return Err(Error::Conflict(format!("validation failed: {why}")));
    }
    let key_pem = order.finalize().await.map_err(|e| failed("the certificate was not issued", e))?;
    let chain_pem = order.poll_certificate(&retries).await.map_err(|e| failed("the certificate could not be fetched", e))?;
    let chain = input::read_certificates("certificate", chain_pem.as_bytes())?;
    let key = input::read_private_key("private_key", key_pem.as_bytes())?;
    let checked = super::chain::check_issued(&row.hostname, chain, time::OffsetDateTime::now_utc())?;
    crate::certificates::keys::check_key_matches(&checked.chain[0], &key)?;
    let issuer = checked.leaf.issuer.clone();
    let not_after = checked.leaf.not_after;
    super::serve_and_store(services, env, row, &checked, key).await?;
    Ok(format!("issued by {issuer}; renewed from {}", renew_at(checked.leaf.not_before, not_after).date()))
}

/// A self-signed certificate for the name with the acmeIdentifier extension (RFC 8737).
fn challenge_certificate(hostname: &str, digest: &[u8]) -> Result<Identity> {
    let internal = |e: rcgen::Error| Error::Internal(format!("the challenge certificate could not be made: {e}"));
    let key = rcgen::KeyPair::generate().map_err(internal)?;
    let mut params = rcgen::CertificateParams::new(vec![hostname.to_string()]).map_err(internal)?;
    params.custom_extensions = vec![rcgen::CustomExtension::new_acme_identifier(digest)];
    let cert = params.self_signed(&key).map_err(internal)?;
    let key = PrivateKeyDer::try_from(key.serialize_der()).map_err(|_| Error::Internal("challenge key encoding".into()))?;
    Ok(Identity { chain: vec![cert.der().clone()], key })
}

/// When a certificate is renewed: a third of its life before it ends, and at most 30 days.
pub fn renew_at(not_before: time::OffsetDateTime, not_after: time::OffsetDateTime) -> time::OffsetDateTime {
    let life: time::Duration = not_after - not_before;
    let third: time::Duration = life / 3_i32;
    let ahead = third.min(time::Duration::days(30));
    not_after - ahead
}

/// Renews what is due and resumes orders a stop interrupted, every `check_every`.
pub fn start_renewing(services: Services) {
    tokio::spawn(async move {
        let mut first = true;
        loop {
            if let Err(e) = renew_due(&services, first).await {
                tracing::warn!(error = %e, "the ACME renewal check failed");
            }
            first = false;
            tokio::time::sleep(services.acme.check_every).await;
        }
    });
}

async fn renew_due(services: &Services, resume_pending: bool) -> Result<()> {
    let now = time::OffsetDateTime::now_utc();
    let all = domain::Entity::find().filter(domain::Column::Source.eq("acme")).all(&services.db).await?;
    for row in all {
        let due = match (row.acme_state.as_deref(), row.not_after) {
            (Some("pending"), _) => resume_pending,
            (_, Some(not_after)) => {
                let not_before = input::read_certificates("certificate", row.certificate_pem.as_bytes())
                    .ok()
                    .and_then(|c| crate::certificates::inspect::inspect(c[0].as_ref()).ok())
                    .map(|i| i.not_before)
                    .unwrap_or(not_after - time::Duration::days(90));
                now >= renew_at(not_before, not_after) && row.acme_state.as_deref() != Some("pending")
            }
            (_, None) => false,
        };
        if due {
            tracing::info!(hostname = %row.hostname, "renewing the ACME certificate");
            let mut pending: domain::ActiveModel = row.clone().into();
            pending.acme_state = Set(Some("pending".into()));
            pending.acme_detail = Set(Some("renewing".into()));
            pending.update(&services.db).await?;
            issue(services, row.id).await;
        }
    }
    Ok(())
}

/// instant-acme's HTTP client: hyper over rustls with the public roots and any extra ones.
struct AcmeHttp(
    hyper_util::client::legacy::Client<
        hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
        instant_acme::BodyWrapper<hyper::body::Bytes>,
    >,
);

impl AcmeHttp {
    fn new(extra_roots: &[CertificateDer<'static>]) -> AcmeHttp {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for root in extra_roots {
            let _ = roots.add(root.clone());
        }
        let tls = rustls::ClientConfig::builder_with_provider(gateway::upstream::provider())
            .with_safe_default_protocol_versions()
            .expect("the default protocol versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        let connector = hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(tls).https_only().enable_http1().build();
        AcmeHttp(hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build(connector))
    }
}

impl instant_acme::HttpClient for AcmeHttp {
    fn request(
        &self,
        req: hyper::Request<instant_acme::BodyWrapper<hyper::body::Bytes>>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = std::result::Result<instant_acme::BytesResponse, instant_acme::Error>> + Send>> {
        let sent = self.0.request(req);
        Box::pin(async move {
            let response = tokio::time::timeout(STEP, sent)
                .await
                .map_err(|_| instant_acme::Error::Str("no answer within 60 s"))?
                .map_err(|e| instant_acme::Error::Other(Box::new(e)))?;
            // Bounded: ACME answers are small (a chain is a few KB).
            let (parts, body) = response.into_parts();
            let bytes = http_body_util::Limited::new(body, 1024 * 1024).collect().await.map_err(instant_acme::Error::Other)?.to_bytes();
            Ok(instant_acme::BytesResponse::from(hyper::Response::from_parts(parts, http_body_util::Full::new(bytes))))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renewals_come_a_third_of_the_life_before_the_end_and_at_most_30_days() {
        let start = time::OffsetDateTime::UNIX_EPOCH;
        assert_eq!(renew_at(start, start + time::Duration::days(90)), start + time::Duration::days(60));
        assert_eq!(renew_at(start, start + time::Duration::days(365)), start + time::Duration::days(335));
        assert_eq!(renew_at(start, start + time::Duration::seconds(30)), start + time::Duration::seconds(20));
    }

    #[test]
    fn requests_are_checked() {
        assert_eq!(check_directory(None).unwrap(), LETS_ENCRYPT);
        assert!(check_directory(Some("http://acme.example/dir")).is_err());
        assert!(check_directory(Some("not a url")).is_err());
        assert_eq!(check_contact(Some(" ops@example.com ")).unwrap().as_deref(), Some("ops@example.com"));
        assert_eq!(check_contact(Some("")).unwrap(), None);
        for bad in ["ops", "ops@localhost", "a b@example.com", "a@example.com,b@example.com"] {
            assert!(check_contact(Some(bad)).is_err(), "{bad}");
        }
    }
}
