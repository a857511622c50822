//! API proxies and their activity log. Contract uploads with a file go through the multipart
//! handlers in `server/src/console_forms.rs`.
use crate::AppError;
use leptos::prelude::*;
use services::model::{Activity, Page, Proxy};

#[server]
pub async fn list_proxies(project: String, filter: String, page: u64) -> Result<Page<Proxy>, AppError> {
    let (services, actor) = super::guard::actor().await?;
    Ok(services::proxies::list(&services.db, &actor, &project, &filter, page, services::model::DEFAULT_PER_PAGE).await?)
}

#[server]
pub async fn get_proxy(project: String, proxy: String) -> Result<Proxy, AppError> {
    let (services, actor) = super::guard::actor().await?;
    Ok(services::proxies::get(&services.db, &actor, &project, &proxy).await?)
}

/// Creates the proxy and opens its Endpoints page.
#[server]
#[allow(clippy::too_many_arguments)]
pub async fn create_proxy(
    project: String,
    name: String,
    slug: String,
    version: String,
    context_path: String,
    description: String,
    backend_url: String,
    contract: String,
) -> Result<Proxy, AppError> {
    use super::guard;
    let (services, actor) = guard::actor().await?;
    let contract = Some(contract).filter(|c| !c.trim().is_empty());
    let new = services::model::NewProxy { name, slug, version, context_path, description, backend_url, contract, access: None };
    let proxy = services::proxies::create(&services.db, &actor, &project, new).await?;
    guard::flash(format!(
        "Created {} {} at {}. Configure its endpoints below; nothing is live until it is deployed.",
        proxy.name, proxy.version, proxy.context_path
    ))
    .await?;
    leptos_axum::redirect(&format!("/projects/{project}/proxies/{}/endpoints", proxy.slug));
    Ok(proxy)
}

#[server]
pub async fn update_proxy(project: String, proxy: String, name: String, version: String, context_path: String, description: String) -> Result<Proxy, AppError> {
    use super::guard;
    let (services, actor) = guard::actor().await?;
    let changes = services::model::ProxyChanges {
        name: Some(name),
        version: Some(version),
        context_path: Some(context_path),
        description: Some(description),
        ..Default::default()
    };
    let updated = services::proxies::update(&services.db, &actor, &project, &proxy, changes).await?;
    guard::flash(format!("Saved {} {}.", updated.name, updated.version)).await?;
    Ok(updated)
}

#[server]
pub async fn remove_contract(project: String, proxy: String) -> Result<(), AppError> {
    use super::guard;
    let (services, actor) = guard::actor().await?;
    let changes = services::model::ProxyChanges { contract: Some(String::new()), ..Default::default() };
    services::proxies::update(&services.db, &actor, &project, &proxy, changes).await?;
    guard::flash("Removed the contract.").await?;
    Ok(())
}

#[server]
pub async fn delete_proxy(project: String, proxy: String) -> Result<(), AppError> {
    use super::guard;
    let (services, actor) = guard::actor().await?;
    let deleted = services::proxies::delete(&services.db, &actor, &project, &proxy).await?;
    guard::flash(format!("Deleted {} {}.", deleted.name, deleted.version)).await?;
    leptos_axum::redirect(&format!("/projects/{project}"));
    Ok(())
}

#[server]
pub async fn list_activity(project: String, proxy: String, page: u64) -> Result<Page<Activity>, AppError> {
    use services::projects::Need;
    let (services, actor) = super::guard::actor().await?;
    let found = services::proxies::find(&services.db, &actor, &project, &proxy, Need::See).await?;
    Ok(services::activity::list(&services.db, &actor, &project, Some(found.proxy.id), page, services::model::DEFAULT_PER_PAGE).await?)
}
