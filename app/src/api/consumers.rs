//! Products and subscriptions of a project. Keys travel back once, in the flash message (as
//! for API tokens), which the next page shows with a Copy button and forgets.
use crate::AppError;
use leptos::prelude::*;
use services::model::{Page, Product, Subscription};

#[server]
pub async fn list_products(project: String, page: u64) -> Result<Page<Product>, AppError> {
    let (services, actor) = super::guard::actor().await?;
    Ok(services::products::list(&services.db, &actor, &project, page, services::model::DEFAULT_PER_PAGE).await?)
}

/// Every product of the project (for the subscription form's choice), by name.
#[server]
pub async fn all_products(project: String) -> Result<Vec<Product>, AppError> {
    let (services, actor) = super::guard::actor().await?;
    Ok(services::products::list(&services.db, &actor, &project, 1, 100).await?.items)
}

#[server]
pub async fn get_product(project: String, product: String) -> Result<Product, AppError> {
    let (services, actor) = super::guard::actor().await?;
    Ok(services::products::get(&services.db, &actor, &project, &product).await?)
}

/// The product form's fields as typed: empty limit fields mean "no limit".
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct PlanFields {
    #[serde(default)]
    pub rate_requests: String,
    #[serde(default)]
    pub rate_seconds: String,
    #[serde(default)]
    pub quota_requests: String,
    #[serde(default)]
    pub quota_period: String,
}

#[cfg(feature = "ssr")]
fn number(field: &str, text: &str) -> Result<Option<i64>, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<i64>().map(Some).map_err(|_| services::Error::invalid(field, "enter a whole number, or leave it empty for no limit").into())
}

#[cfg(feature = "ssr")]
impl PlanFields {
    fn read(&self) -> Result<(Option<services::model::RateLimitSetting>, Option<services::model::QuotaSetting>), AppError> {
        use services::model::{QuotaPeriod, QuotaSetting, RateLimitSetting};
        let rate = match (number("rate_limit", &self.rate_requests)?, number("rate_limit", &self.rate_seconds)?) {
            (None, None) => None,
            (Some(requests), Some(per_seconds)) => Some(RateLimitSetting { requests, per_seconds }),
            _ => return Err(services::Error::invalid("rate_limit", "a rate limit needs both the number of requests and the seconds").into()),
        };
        let quota = match number("quota", &self.quota_requests)? {
            None => None,
            Some(requests) => {
                let period = QuotaPeriod::parse(&self.quota_period).ok_or_else(|| services::Error::invalid("quota", "choose per day or per month"))?;
                Some(QuotaSetting { requests, period })
            }
        };
        Ok((rate, quota))
    }
}

/// `proxies` are the ticked proxies' slugs (absent when none is ticked).
#[server]
pub async fn create_product(project: String, name: String, description: String, proxies: Option<Vec<String>>, plan: PlanFields) -> Result<(), AppError> {
    use super::guard;
    let (services, actor) = guard::actor().await?;
    let (rate_limit, quota) = plan.read()?;
    let new = services::model::NewProduct { name, slug: String::new(), description, proxies: proxies.unwrap_or_default(), rate_limit, quota };
    let created = services::products::create(&services, &actor, &project, new).await?;
    guard::flash(format!("Created product {}.", created.name)).await?;
    Ok(())
}

#[server]
pub async fn update_product(
    project: String,
    product: String,
    name: String,
    description: String,
    proxies: Option<Vec<String>>,
    plan: PlanFields,
) -> Result<(), AppError> {
    use super::guard;
    let (services, actor) = guard::actor().await?;
    let (rate_limit, quota) = plan.read()?;
    let changes = services::model::ProductChanges {
        name: Some(name),
        description: Some(description),
        proxies: Some(proxies.unwrap_or_default()),
        rate_limit: Some(rate_limit),
        quota: Some(quota),
    };
    let updated = services::products::update(&services, &actor, &project, &product, changes).await?;
    guard::flash(format!("Saved product {}: the gateway applies it now.", updated.name)).await?;
    Ok(())
}

#[server]
pub async fn delete_product(project: String, product: String) -> Result<(), AppError> {
    use super::guard;
    let (services, actor) = guard::actor().await?;
    let deleted = services::products::delete(&services, &actor, &project, &product).await?;
    guard::flash(format!("Deleted product {}.", deleted.name)).await?;
    leptos_axum::redirect(&format!("/projects/{project}/products"));
    Ok(())
}

#[server]
pub async fn list_subscriptions(project: String, state: String, product: String, q: String, page: u64) -> Result<Page<Subscription>, AppError> {
    let (services, actor) = super::guard::actor().await?;
    let filter = services::subscriptions::SubscriptionFilter {
        state: services::model::SubscriptionState::parse(&state),
        product: (!product.is_empty()).then_some(product),
        text: q,
    };
    Ok(services::subscriptions::list(&services.db, &actor, &project, &filter, page, services::model::DEFAULT_PER_PAGE).await?)
}

#[server]
pub async fn create_subscription(project: String, name: String, product: String, contact_email: String) -> Result<(), AppError> {
    use super::guard;
    let (services, actor) = guard::actor().await?;
    let new = services::model::NewSubscription { name, product, contact_email, ..Default::default() };
    let created = services::subscriptions::create(&services, &actor, &project, new).await?;
    let text = format!("Subscribed {} to {}. Copy the keys now: they will not be shown again.", created.subscription.name, created.subscription.product.name);
    guard::flash_secrets(text, vec![("Primary key".into(), created.primary_key), ("Secondary key".into(), created.secondary_key)]).await?;
    Ok(())
}

/// `key` is "primary" or "secondary".
#[server]
pub async fn regenerate_key(project: String, id: i32, key: String) -> Result<(), AppError> {
    use super::guard;
    use services::model::KeyName;
    let (services, actor) = guard::actor().await?;
    let which = match key.as_str() {
        "primary" => KeyName::Primary,
        "secondary" => KeyName::Secondary,
        _ => return Err(services::Error::invalid("key", "choose the primary or the secondary key").into()),
    };
    let made = services::subscriptions::regenerate(&services, &actor, &project, id, which).await?;
    let label = if which == KeyName::Primary { "New primary key" } else { "New secondary key" };
    guard::flash_secrets(
        format!("Regenerated the {key} key; the old one no longer works. Copy the new one now: it will not be shown again."),
        vec![(label.into(), made.key)],
    )
    .await?;
    Ok(())
}

/// `state` is "active", "suspended" or "cancelled".
#[server]
pub async fn set_subscription_state(project: String, id: i32, state: String) -> Result<(), AppError> {
    use super::guard;
    let (services, actor) = guard::actor().await?;
    let state = services::model::SubscriptionState::parse(&state).ok_or_else(|| services::Error::invalid("state", "choose active, suspended or cancelled"))?;
    let changed = services::subscriptions::set_state(&services, &actor, &project, id, state).await?;
    guard::flash(format!("{} is now {}: the gateway applies it from the next request.", changed.name, changed.state.as_str())).await?;
    Ok(())
}

/// The project's proxies a product form offers (the first 100 by name).
#[server]
pub async fn proxy_choices(project: String) -> Result<Vec<services::model::ProductProxy>, AppError> {
    let (services, actor) = super::guard::actor().await?;
    let page = services::proxies::list(&services.db, &actor, &project, "", 1, 100).await?;
    Ok(page.items.into_iter().map(|p| services::model::ProductProxy { id: p.id, slug: p.slug, name: p.name, version: p.version }).collect())
}

/// A proxy's Access setting (Policies page); `mode` is "open" or "subscription";
/// `client_certificate` is the checkbox (present when ticked). Part of the revision: it holds
/// from the next deploy.
#[server]
pub async fn set_access(
    project: String,
    proxy: String,
    mode: String,
    key_header: String,
    key_query: String,
    client_certificate: Option<String>,
) -> Result<(), AppError> {
    use super::guard;
    use services::model::{Access, AccessMode};
    let (services, actor) = guard::actor().await?;
    let mode = match mode.as_str() {
        "open" => AccessMode::Open,
        "subscription" => AccessMode::Subscription,
        _ => return Err(services::Error::invalid("mode", "choose open or subscription").into()),
    };
    let access = Access { mode, key_header, key_query, client_certificate: client_certificate.is_some() };
    let changes = services::model::ProxyChanges { access: Some(access), ..Default::default() };
    let updated = services::proxies::update(&services.db, &actor, &project, &proxy, changes).await?;
    guard::flash(format!("Saved the access setting of {} {}: deploy to make it live.", updated.name, updated.version)).await?;
    Ok(())
}

#[server]
pub async fn get_subscription(project: String, id: i32) -> Result<Subscription, AppError> {
    let (services, actor) = super::guard::actor().await?;
    Ok(services::subscriptions::get(&services.db, &actor, &project, id).await?)
}

#[server]
pub async fn subscription_usage(project: String, id: i32, days: u32) -> Result<services::model::SubscriptionUsage, AppError> {
    let (services, actor) = super::guard::actor().await?;
    Ok(services::usage::of_subscription(&services, &actor, &project, id, days).await?)
}

/// Binds a subscription's client certificate: `fingerprint` (one certificate) or `client_ca`
/// (a trusted client CA's id); both empty unbinds.
#[server]
pub async fn bind_client_certificate(project: String, id: i32, fingerprint: String, client_ca: String) -> Result<(), AppError> {
    use super::guard;
    let (services, actor) = guard::actor().await?;
    let client_ca = match client_ca.trim() {
        "" => None,
        text => Some(text.parse::<i32>().map_err(|_| services::Error::invalid("client_ca", "choose a trusted client CA from the list"))?),
    };
    let changes =
        services::model::SubscriptionChanges { client_certificate_fingerprint: Some(Some(fingerprint)), client_ca: Some(client_ca), ..Default::default() };
    let changed = services::subscriptions::update(&services, &actor, &project, id, changes).await?;
    let text = match &changed.client_certificate {
        Some(b) if b.fingerprint.is_some() => format!("{} is bound to one client certificate: the gateway accepts it from the next request.", changed.name),
        Some(b) => format!(
            "{} is bound to certificates issued by {}: the gateway accepts them from the next request.",
            changed.name,
            b.ca.as_ref().map_or("", |c| c.name.as_str())
        ),
        None => format!("{} has no client certificate now: only its keys call as it.", changed.name),
    };
    guard::flash(text).await?;
    Ok(())
}

/// The project's trusted client CAs, for the binding form (the first 100).
#[server]
pub async fn client_cas(project: String) -> Result<Vec<services::model::Certificate>, AppError> {
    let (services, actor) = super::guard::actor().await?;
    let filter = services::certificates::CertificateFilter { kind: Some(services::model::CertificateKind::ClientCa), text: String::new() };
    Ok(services::certificates::list(&services.db, &actor, &project, &filter, 1, 100).await?.items)
}
