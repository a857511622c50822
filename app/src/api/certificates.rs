//! The project's certificate store. Uploads with files go through the multipart form handlers
//! in `server/src/console_forms.rs`; everything else is here.
use crate::AppError;
use leptos::prelude::*;
use services::model::{Certificate, Page};

#[server]
pub async fn list_certificates(project: String, kind: String, text: String, page: u64) -> Result<Page<Certificate>, AppError> {
    let (services, actor) = super::guard::actor().await?;
    let filter = services::certificates::CertificateFilter { kind: services::model::CertificateKind::parse(&kind), text };
    Ok(services::certificates::list(&services.db, &actor, &project, &filter, page, services::model::DEFAULT_PER_PAGE).await?)
}

#[server]
pub async fn get_certificate(project: String, id: i32) -> Result<(Certificate, String), AppError> {
    let (services, actor) = super::guard::actor().await?;
    let cert = services::certificates::get(&services.db, &actor, &project, id).await?;
    let pem = services::certificates::pem(&services.db, &actor, &project, id).await?;
    Ok((cert, pem.pem))
}

/// "Generate new key pair". Empty optional fields are left out of the subject.
#[server]
#[allow(clippy::too_many_arguments)]
pub async fn generate_key_pair(
    project: String,
    common_name: String,
    organization: String,
    organizational_unit: String,
    country: String,
    state: String,
    locality: String,
    validity_days: String,
    key_algorithm: String,
) -> Result<Certificate, AppError> {
    use super::guard;
    use services::model::{GenerateKeyPair, KeyAlgorithm};
    let (services, actor) = guard::actor().await?;
    let some = |s: String| Some(s).filter(|s| !s.trim().is_empty());
    let validity_days = match validity_days.trim() {
        "" => None,
        text => Some(text.parse::<u32>().map_err(|_| services::Error::invalid("validity_days", "enter a whole number of days"))?),
    };
    let key_algorithm = KeyAlgorithm::parse(&key_algorithm).unwrap_or_default();
    let request = GenerateKeyPair {
        common_name,
        organization: some(organization),
        organizational_unit: some(organizational_unit),
        country: some(country),
        state: some(state),
        locality: some(locality),
        validity_days,
        key_algorithm,
    };
    let cert = services::certificates::generate_client_pair(&services.db, &services.master_key, &actor, &project, request).await?;
    guard::flash(format!(
        "Generated the key pair \"{}\" ({}). Download its certificate and add it to your backend's trusted clients.",
        cert.name, cert.key_type
    ))
    .await?;
    Ok(cert)
}

/// Deletes an entry. From a list (`stay` set), the page stays where it is; from the entry's own
/// page, it goes back to the certificate list.
#[server]
pub async fn delete_certificate(project: String, id: i32, stay: Option<String>) -> Result<(), AppError> {
    use super::guard;
    let (services, actor) = guard::actor().await?;
    let cert = services::certificates::delete(&services.db, &actor, &project, id).await?;
    guard::flash(format!("Deleted \"{}\".", cert.name)).await?;
    if stay.is_none() {
        leptos_axum::redirect(&format!("/projects/{project}/certificates"));
    }
    Ok(())
}
