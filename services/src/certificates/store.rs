//! The certificate store's service functions. Reading needs membership; changing needs the
//! publisher or owner role (see `projects::access`).
use super::{generate, input, inspect, keys, seal};
use crate::auth::Actor;
use crate::entities::certificate;
use crate::model::{Certificate, CertificateKind, CertificatePem, GenerateKeyPair, Page};
use crate::projects::{access, Need};
use crate::secrets::MasterKey;
use crate::{Error, Result};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set, TransactionTrait};

#[derive(Debug, Clone, Default)]
pub struct CertificateFilter {
    pub kind: Option<CertificateKind>,
    /// Matches the name, subject, issuer or fingerprint.
    pub text: String,
}

/// The project's certificates, soonest expiry first.
pub async fn list(db: &DatabaseConnection, actor: &Actor, project: &str, filter: &CertificateFilter, page: u64, per_page: u64) -> Result<Page<Certificate>> {
    let access = access(db, actor, project, Need::See).await?;
    let mut query = certificate::Entity::find()
        .filter(certificate::Column::ProjectId.eq(access.project.id))
        .order_by_asc(certificate::Column::NotAfter)
        .order_by_asc(certificate::Column::Id);
    if let Some(kind) = filter.kind {
        query = query.filter(certificate::Column::Kind.eq(kind.as_str()));
    }
    let text = filter.text.trim();
    if !text.is_empty() {
        use certificate::Column as C;
        query = query.filter(crate::search::any_column_contains(&[C::Name, C::Subject, C::Issuer, C::FingerprintSha256], text));
    }
    let per_page = per_page.clamp(1, 100);
    let paginator = query.paginate(db, per_page);
    let total = paginator.num_items().await?;
    let page = page.max(1);
    let items = describe_rows(db, paginator.fetch_page(page - 1).await?).await?;
    Ok(Page { items, total, page, per_page })
}

pub async fn get(db: &DatabaseConnection, actor: &Actor, project: &str, id: i32) -> Result<Certificate> {
    let row = find(db, actor, project, id, Need::See).await?;
    Ok(describe_rows(db, vec![row]).await?.remove(0))
}

/// The public certificate and its chain, for download. Viewers may download.
pub async fn pem(db: &DatabaseConnection, actor: &Actor, project: &str, id: i32) -> Result<CertificatePem> {
    let row = find(db, actor, project, id, Need::See).await?;
    let pem = row.certificate_pem.clone();
    Ok(CertificatePem { file_name: describe(row, Vec::new()).pem_file_name(), pem })
}

/// Adds every certificate in the upload (a PEM bundle gives several entries). Certificates
/// already in the store are skipped; if nothing is new, that is an error naming the entry.
pub async fn upload_endpoint(db: &DatabaseConnection, actor: &Actor, project: &str, upload: &[u8]) -> Result<Vec<Certificate>> {
    upload_public(db, actor, project, CertificateKind::Endpoint, upload).await
}

/// The upload's certificates: those added now, and those the store already held.
pub async fn import_endpoint(db: &DatabaseConnection, actor: &Actor, project: &str, upload: &[u8]) -> Result<(Vec<Certificate>, Vec<Certificate>)> {
    import(db, actor, project, CertificateKind::Endpoint, upload).await
}

/// Adds trusted client CAs (every certificate in the upload must be a CA); as
/// `upload_endpoint`, certificates already in the store are skipped.
pub async fn upload_client_ca(db: &DatabaseConnection, actor: &Actor, project: &str, upload: &[u8]) -> Result<Vec<Certificate>> {
    upload_public(db, actor, project, CertificateKind::ClientCa, upload).await
}

/// Adds the certificates of an upload of a kind without private keys (endpoint certificates or
/// trusted client CAs). Certificates already in the store are skipped; if nothing is new, that
/// is an error naming the entry.
pub async fn upload_public(db: &DatabaseConnection, actor: &Actor, project: &str, kind: CertificateKind, upload: &[u8]) -> Result<Vec<Certificate>> {
    if kind == CertificateKind::Client {
        return Err(Error::invalid("private_key_pem", "a client key pair needs its private key: add it as a key pair"));
    }
    let (added, existing) = import(db, actor, project, kind, upload).await?;
    match (added.is_empty(), existing.first()) {
        (true, Some(found)) => {
            let what = if kind == CertificateKind::ClientCa { "this CA is already trusted" } else { "this certificate is already in the store" };
            Err(Error::Conflict(format!("{what} as \"{}\" (fingerprint {})", found.name, found.fingerprint_sha256)))
        }
        _ => Ok(added),
    }
}

/// Stores each certificate of the upload as `kind`, all or none: a bundle with one unusable
/// certificate stores nothing.
async fn import(db: &DatabaseConnection, actor: &Actor, project: &str, kind: CertificateKind, upload: &[u8]) -> Result<(Vec<Certificate>, Vec<Certificate>)> {
    let access = access(db, actor, project, Need::Edit).await?;
    let certs = input::read_certificates("certificate", upload)?;
    let mut new = Vec::new();
    let mut existing = Vec::new();
    for cert in &certs {
        let info = inspect::inspect(cert.as_ref())?;
        if kind == CertificateKind::ClientCa && !info.is_ca {
            return Err(Error::invalid(
                "certificate",
                format!(
                    "{} is not a CA (its basic constraints do not let it issue certificates): upload the CA that issues your consumers' certificates, or bind this one certificate to a subscription by its fingerprint",
                    info.display_name()
                ),
            ));
        }
        if let Some(found) = find_by_fingerprint(db, access.project.id, kind, &info.fingerprint_sha256).await? {
            existing.push(found);
            continue;
        }
        new.push(new_row(access.project.id, actor, kind, "uploaded", &info, input::to_pem(std::slice::from_ref(cert)), 0));
    }
    let txn = db.begin().await?;
    let mut added = Vec::new();
    for row in new {
        added.push(row.insert(&txn).await?);
    }
    txn.commit().await?;
    Ok((describe_rows(db, added).await?, describe_rows(db, existing).await?))
}

/// "Use my own key pair": the certificate (with its chain, if given) and its private key.
pub async fn add_client_pair(
    db: &DatabaseConnection,
    master_key: &MasterKey,
    actor: &Actor,
    project: &str,
    certificate_input: &[u8],
    private_key_input: &[u8],
) -> Result<Certificate> {
    let access = access(db, actor, project, Need::Edit).await?;
    let certs = input::read_certificates("certificate", certificate_input)?;
    let key = input::read_private_key("private_key", private_key_input)?;
    let leaf = &certs[0];
    keys::check_key_matches(leaf, &key)?;
    let info = inspect::inspect(leaf.as_ref())?;
    let now = time::OffsetDateTime::now_utc();
    if info.not_after < now {
        return Err(Error::invalid(
            "certificate",
            format!("this certificate expired on {}: a backend would refuse it; upload a current one", info.not_after.date()),
        ));
    }
    if info.not_before > now {
        return Err(Error::invalid("certificate", format!("this certificate is not valid until {}", info.not_before.date())));
    }
    store_pair(db, master_key, access.project.id, actor, "uploaded", &info, &certs, &key).await
}

/// "Generate new key pair". Key generation runs on a blocking thread: RSA 4096 takes seconds.
pub async fn generate_client_pair(
    db: &DatabaseConnection,
    master_key: &MasterKey,
    actor: &Actor,
    project: &str,
    request: GenerateKeyPair,
) -> Result<Certificate> {
    let access = access(db, actor, project, Need::Edit).await?;
    generate::validate(&request)?;
    let generated =
        tokio::task::spawn_blocking(move || generate::generate(&request)).await.map_err(|e| Error::Internal(format!("key generation stopped: {e}")))??;
    let info = inspect::inspect(generated.cert.as_ref())?;
    store_pair(db, master_key, access.project.id, actor, "generated", &info, &[generated.cert], &generated.key).await
}

/// A client key pair's certificate chain and private key, unsealed, for a TLS configuration
/// (never for display). Fails if the entry holds no key or the master key cannot open it.
pub async fn client_identity(
    db: &DatabaseConnection,
    master_key: &MasterKey,
    certificate_id: i32,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> {
    let row = certificate::Entity::find_by_id(certificate_id)
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("client certificate {certificate_id} no longer exists")))?;
    let (Some(sealed), Some(nonce)) = (row.sealed_key.as_deref(), row.key_nonce.as_deref()) else {
        return Err(Error::invalid("client_certificate_id", format!("\"{}\" has no private key: choose a client key pair", row.name)));
    };
    let der = seal::open(master_key, &seal::binding(row.project_id, &row.fingerprint_sha256), nonce, sealed)?;
    let key = PrivateKeyDer::try_from(der.to_vec()).map_err(|_| Error::Internal(format!("the stored private key of \"{}\" is damaged", row.name)))?;
    let chain = input::read_certificates("certificate", row.certificate_pem.as_bytes())?;
    Ok((chain, key))
}

/// Deletes an entry, unless something uses it; returns what was deleted.
pub async fn delete(db: &DatabaseConnection, actor: &Actor, project: &str, id: i32) -> Result<Certificate> {
    let row = find(db, actor, project, id, Need::Edit).await?;
    let described = describe_rows(db, vec![row]).await?.remove(0);
    if !described.used_by.is_empty() {
        return Err(Error::Conflict(format!(
            "\"{}\" is in use by {}: {}",
            described.name,
            described.used_by.join(", "),
            if described.kind == CertificateKind::ClientCa {
                "bind those subscriptions to another CA or cancel them first"
            } else {
                "choose another certificate on the Endpoints page (and deploy), or undeploy, first"
            }
        )));
    }
    certificate::Entity::delete_by_id(described.id).exec(db).await?;
    Ok(described)
}

#[allow(clippy::too_many_arguments)]
async fn store_pair(
    db: &DatabaseConnection,
    master_key: &MasterKey,
    project_id: i32,
    actor: &Actor,
    source: &str,
    info: &inspect::Inspected,
    chain: &[CertificateDer<'static>],
    key: &PrivateKeyDer<'static>,
) -> Result<Certificate> {
    if let Some(found) = find_by_fingerprint(db, project_id, CertificateKind::Client, &info.fingerprint_sha256).await? {
        return Err(Error::Conflict(format!("this client certificate is already in the store as \"{}\"", found.name)));
    }
    let sealed = seal::seal(master_key, &seal::binding(project_id, &info.fingerprint_sha256), key.secret_der())?;
    let mut row = new_row(project_id, actor, CertificateKind::Client, source, info, input::to_pem(chain), chain.len() - 1);
    row.sealed_key = Set(Some(sealed.ciphertext));
    row.key_nonce = Set(Some(sealed.nonce));
    row.master_key_id = Set(Some(master_key.id()));
    Ok(describe_rows(db, vec![row.insert(db).await?]).await?.remove(0))
}

fn new_row(
    project_id: i32,
    actor: &Actor,
    kind: CertificateKind,
    source: &str,
    info: &inspect::Inspected,
    certificate_pem: String,
    chain_length: usize,
) -> certificate::ActiveModel {
    certificate::ActiveModel {
        project_id: Set(project_id),
        kind: Set(kind.as_str().into()),
        name: Set(info.display_name().chars().take(400).collect()),
        subject: Set(info.subject.clone()),
        issuer: Set(info.issuer.clone()),
        subject_alt_names: Set(serde_json::to_string(&info.subject_alt_names).unwrap_or_else(|_| "[]".into())),
        serial: Set(info.serial.chars().take(200).collect()),
        not_before: Set(info.not_before),
        not_after: Set(info.not_after),
        key_type: Set(info.key_type.clone()),
        is_ca: Set(info.is_ca),
        self_signed: Set(info.self_signed),
        fingerprint_sha256: Set(info.fingerprint_sha256.clone()),
        certificate_pem: Set(certificate_pem),
        chain_length: Set(i32::try_from(chain_length).unwrap_or(i32::MAX)),
        sealed_key: Set(None),
        key_nonce: Set(None),
        master_key_id: Set(None),
        source: Set(source.into()),
        created_by: Set(Some(actor.id)),
        created_at: Set(time::OffsetDateTime::now_utc()),
        ..Default::default()
    }
}

async fn find(db: &DatabaseConnection, actor: &Actor, project: &str, id: i32, need: Need) -> Result<certificate::Model> {
    let access = access(db, actor, project, need).await?;
    certificate::Entity::find_by_id(id)
        .filter(certificate::Column::ProjectId.eq(access.project.id))
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("there is no certificate {id} in project {}", access.project.name)))
}

async fn find_by_fingerprint(db: &DatabaseConnection, project_id: i32, kind: CertificateKind, fingerprint: &str) -> Result<Option<certificate::Model>> {
    Ok(certificate::Entity::find()
        .filter(certificate::Column::ProjectId.eq(project_id))
        .filter(certificate::Column::Kind.eq(kind.as_str()))
        .filter(certificate::Column::FingerprintSha256.eq(fingerprint))
        .one(db)
        .await?)
}

/// Rows as the API shows them, with where each is used: endpoint configurations and live
/// revisions.
pub(crate) async fn describe_rows(db: &DatabaseConnection, rows: Vec<certificate::Model>) -> Result<Vec<Certificate>> {
    describe_with(db, rows, true).await
}

/// `describe_rows` naming endpoint configurations only: for the Endpoints cards, which every
/// endpoint save answers with (reading every live revision there made bulk saves quadratic).
pub(crate) async fn describe_configured(db: &DatabaseConnection, rows: Vec<certificate::Model>) -> Result<Vec<Certificate>> {
    describe_with(db, rows, false).await
}

async fn describe_with(db: &DatabaseConnection, rows: Vec<certificate::Model>, live: bool) -> Result<Vec<Certificate>> {
    let ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
    let Some(project_id) = rows.first().map(|r| r.project_id) else { return Ok(Vec::new()) };
    debug_assert!(rows.iter().all(|r| r.project_id == project_id), "one project's certificates at a time");
    let mut usage = super::usage::certificate_usage(db, project_id, &ids, live).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let used_by = usage.remove(&row.id).unwrap_or_default();
            describe(row, used_by)
        })
        .collect())
}

fn describe(row: certificate::Model, used_by: Vec<String>) -> Certificate {
    let days_left = (row.not_after - time::OffsetDateTime::now_utc()).whole_days();
    Certificate {
        id: row.id,
        kind: CertificateKind::parse(&row.kind).unwrap_or(CertificateKind::Endpoint),
        name: row.name,
        subject: row.subject,
        issuer: row.issuer,
        subject_alt_names: serde_json::from_str(&row.subject_alt_names).unwrap_or_default(),
        serial: row.serial,
        not_before: row.not_before,
        not_after: row.not_after,
        days_left,
        key_type: row.key_type,
        is_ca: row.is_ca,
        self_signed: row.self_signed,
        fingerprint_sha256: row.fingerprint_sha256,
        chain_length: u32::try_from(row.chain_length).unwrap_or(0),
        has_private_key: row.sealed_key.is_some(),
        source: row.source,
        used_by,
        created_at: row.created_at,
    }
}

#[cfg(test)]
mod tests;
