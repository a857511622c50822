//! A proxy's policies (Policies page) and lifecycle (Overview). Each form change reads the
//! list, changes one entry and saves the whole list through the one service that checks it,
//! so the console and `PUT …/policies` follow the same rules.
use crate::AppError;
use leptos::prelude::*;

/// The fields of the policy form; which ones count depends on `kind`. Lists are one entry per
/// line (or comma-separated).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct PolicyFields {
    pub kind: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub value: String,
    #[serde(default)]
    pub allow: String,
    #[serde(default)]
    pub deny: String,
    #[serde(default)]
    pub allow_origins: String,
    #[serde(default)]
    pub allow_methods: String,
    #[serde(default)]
    pub allow_headers: String,
    #[serde(default)]
    pub max_age: String,
}

#[cfg(feature = "ssr")]
impl PolicyFields {
    fn read(&self) -> Result<services::model::Policy, services::Error> {
        use services::model::Policy;
        let list = |text: &str| text.split(['\n', ',']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect::<Vec<_>>();
        Ok(match self.kind.as_str() {
            "set_request_header" => Policy::SetRequestHeader { name: self.name.clone(), value: self.value.clone() },
            "remove_request_header" => Policy::RemoveRequestHeader { name: self.name.clone() },
            "set_response_header" => Policy::SetResponseHeader { name: self.name.clone(), value: self.value.clone() },
            "remove_response_header" => Policy::RemoveResponseHeader { name: self.name.clone() },
            "remove_fingerprinting_headers" => Policy::RemoveFingerprintingHeaders,
            "mask_backend_urls" => Policy::MaskBackendUrls,
            "ip_filter" => Policy::IpFilter { allow: list(&self.allow), deny: list(&self.deny) },
            "cors" => Policy::Cors {
                allow_origins: list(&self.allow_origins),
                allow_methods: list(&self.allow_methods),
                allow_headers: list(&self.allow_headers),
                max_age: match self.max_age.trim() {
                    "" => None,
                    text => Some(text.parse().map_err(|_| services::Error::invalid("max_age", "the max age is a number of seconds, 0 to 86400"))?),
                },
            },
            _ => return Err(services::Error::invalid("kind", "choose what the policy does")),
        })
    }
}

/// The service's error, with `policies[i].field` made `field` when `i` is the policy this form
/// edits, so the console shows it beside the field.
#[cfg(feature = "ssr")]
fn beside(err: services::Error, index: usize) -> AppError {
    let prefix = format!("policies[{index}].");
    match err {
        services::Error::Invalid { field: Some(field), message } if field.starts_with(&prefix) => {
            services::Error::Invalid { field: Some(field[prefix.len()..].to_string()), message }.into()
        }
        other => other.into(),
    }
}

/// Adds a policy at the end, or replaces the one at `index` (the form's edit mode).
#[server]
pub async fn save_policy(project: String, proxy: String, index: String, fields: PolicyFields) -> Result<(), AppError> {
    use super::guard;
    let (services, actor) = guard::actor().await?;
    let db = &services.db;
    let policy = fields.read()?;
    let mut list = services::proxies::get_policies(db, &actor, &project, &proxy).await?.policies;
    let at = match index.trim() {
        "" => {
            list.push(policy);
            list.len() - 1
        }
        text => {
            let i: usize =
                text.parse().ok().filter(|i| *i < list.len()).ok_or_else(|| services::Error::Conflict("that policy is gone: reload the page".into()))?;
            list[i] = policy;
            i
        }
    };
    services::proxies::set_policies(db, &actor, &project, &proxy, &list).await.map_err(|e| beside(e, at))?;
    guard::flash(format!("Saved policy {}: deploy to make it live.", at + 1)).await?;
    leptos_axum::redirect(&format!("/projects/{project}/proxies/{proxy}/policies"));
    Ok(())
}

/// The one-click "Remove fingerprinting headers" (nothing changes when it is already listed).
#[server]
pub async fn add_fingerprinting_policy(project: String, proxy: String) -> Result<(), AppError> {
    use super::guard;
    use services::model::Policy;
    let (services, actor) = guard::actor().await?;
    let db = &services.db;
    let mut list = services::proxies::get_policies(db, &actor, &project, &proxy).await?.policies;
    if !list.contains(&Policy::RemoveFingerprintingHeaders) {
        list.push(Policy::RemoveFingerprintingHeaders);
        services::proxies::set_policies(db, &actor, &project, &proxy, &list).await?;
    }
    guard::flash("Server, X-Powered-By, X-AspNet-Version and X-AspNetMvc-Version will leave every answer: deploy to make it live.".to_string()).await?;
    Ok(())
}

/// Moves the policy at `index` one place `up` or `down`.
#[server]
pub async fn move_policy(project: String, proxy: String, index: usize, direction: String) -> Result<(), AppError> {
    use super::guard;
    let (services, actor) = guard::actor().await?;
    let db = &services.db;
    let mut list = services::proxies::get_policies(db, &actor, &project, &proxy).await?.policies;
    let other = match direction.as_str() {
        "up" => index.checked_sub(1),
        _ => Some(index + 1),
    };
    if let Some(other) = other.filter(|o| *o < list.len() && index < list.len()) {
        list.swap(index, other);
        services::proxies::set_policies(db, &actor, &project, &proxy, &list).await?;
        guard::flash(format!("Moved policy {} to place {}: deploy to make the new order live.", index + 1, other + 1)).await?;
    }
    Ok(())
}

#[server]
pub async fn remove_policy(project: String, proxy: String, index: usize) -> Result<(), AppError> {
    use super::guard;
    let (services, actor) = guard::actor().await?;
    let db = &services.db;
    let mut list = services::proxies::get_policies(db, &actor, &project, &proxy).await?.policies;
    if index >= list.len() {
        return Err(services::Error::Conflict("that policy is gone: reload the page".into()).into());
    }
    let removed = list.remove(index);
    services::proxies::set_policies(db, &actor, &project, &proxy, &list).await?;
    guard::flash(format!("Removed \"{}\": deploy to make it live.", removed.describe())).await?;
    Ok(())
}

/// `lifecycle` is created, published, deprecated or retired; `sunset` a date for deprecated.
#[server]
pub async fn set_lifecycle(project: String, proxy: String, lifecycle: String, sunset: String) -> Result<(), AppError> {
    use super::guard;
    use services::model::{Lifecycle, LifecycleChange};
    let (services, actor) = guard::actor().await?;
    let lifecycle = Lifecycle::parse(&lifecycle).ok_or_else(|| services::Error::invalid("lifecycle", "choose created, published, deprecated or retired"))?;
    // The form keeps the date field filled: it only counts for a deprecated API.
    let sunset = (lifecycle == Lifecycle::Deprecated && !sunset.trim().is_empty()).then_some(sunset);
    let updated = services::proxies::lifecycle::set(&services, &actor, &project, &proxy, LifecycleChange { lifecycle, sunset }).await?;
    let text = match lifecycle {
        Lifecycle::Retired => format!("{} {} is retired: callers get 410 api_retired from now on.", updated.name, updated.version),
        Lifecycle::Deprecated => format!("{} {} is deprecated: its answers say so from now on.", updated.name, updated.version),
        _ => format!("{} {} is {}.", updated.name, updated.version, lifecycle.as_str()),
    };
    guard::flash(text).await?;
    Ok(())
}
