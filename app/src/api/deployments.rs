//! The Deploy page: each environment's live revision and history, Configure & Deploy,
//! Promote, redeploy (rollback) and undeploy. Every one is live (or refused) when it answers.
use crate::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use services::model::{Certificate, Deployment, EnvironmentDeployment};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeployView {
    pub environments: Vec<EnvironmentDeployment>,
    /// Client key pairs, for the Promote pane's Mutual TLS list.
    pub client_certificates: Vec<Certificate>,
    pub can_edit: bool,
}

#[server]
pub async fn deploy_data(project: String, proxy: String) -> Result<DeployView, AppError> {
    use services::certificates::CertificateFilter;
    use services::model::CertificateKind;
    let (services, actor) = super::guard::actor().await?;
    let environments = services::deployments::overview(&services, &actor, &project, &proxy).await?;
    let filter = CertificateFilter { kind: Some(CertificateKind::Client), text: String::new() };
    let client_certificates = services::certificates::list(&services.db, &actor, &project, &filter, 1, 100).await?.items;
    let can_edit = services::projects::get(&services.db, &actor, &project).await?.can_edit(actor.is_admin);
    Ok(DeployView { environments, client_certificates, can_edit })
}

/// The deploy's message and, with more than one gateway node, how many serve it ("Deployed
/// revision 3 …: live in Development (2 ms); live on 2 of 3 gateways; https://… lags.").
#[cfg(feature = "ssr")]
fn said(done: &Deployment) -> String {
    match &done.live_on {
        Some(live_on) if live_on.of > 1 || !live_on.lagging.is_empty() => format!("{} Now {}.", done.message, live_on.describe()),
        _ => done.message.clone(),
    }
}

#[server]
pub async fn deploy_proxy(project: String, proxy: String, environment: String) -> Result<Deployment, AppError> {
    let (services, actor) = super::guard::actor().await?;
    let done = services::deployments::deploy(&services, &actor, &project, &proxy, &environment).await?;
    super::guard::flash(said(&done)).await?;
    Ok(done)
}

#[server]
pub async fn redeploy_revision(project: String, proxy: String, environment: String, revision: u32) -> Result<Deployment, AppError> {
    let (services, actor) = super::guard::actor().await?;
    let done = services::deployments::redeploy(&services, &actor, &project, &proxy, &environment, revision).await?;
    super::guard::flash(said(&done)).await?;
    Ok(done)
}

/// Promote; an empty `client_certificate_id` keeps the target's saved choice.
#[server]
pub async fn promote_proxy(project: String, proxy: String, from: String, to: String, client_certificate_id: Option<String>) -> Result<Deployment, AppError> {
    let (services, actor) = super::guard::actor().await?;
    let client = match client_certificate_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(id) => Some(id.parse::<i32>().map_err(|_| services::Error::invalid("client_certificate_id", "choose a certificate from the list"))?),
    };
    let done = services::deployments::promote(&services, &actor, &project, &proxy, &from, &to, client).await?;
    super::guard::flash(said(&done)).await?;
    Ok(done)
}

#[server]
pub async fn undeploy_proxy(project: String, proxy: String, environment: String) -> Result<Deployment, AppError> {
    let (services, actor) = super::guard::actor().await?;
    let done = services::deployments::undeploy(&services, &actor, &project, &proxy, &environment).await?;
    super::guard::flash(said(&done)).await?;
    Ok(done)
}
