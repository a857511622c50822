//! A proxy's lifecycle (seed 001): created, published, deprecated (answers carry `Deprecation`,
//! and `Sunset` when a date is set), retired (410 `api_retired`). Unlike the policies it holds
//! at once: every environment where the proxy is live is handed its live revision again with
//! the new lifecycle, under the deploy lock, so no deploy can interleave.
use crate::auth::Actor;
use crate::entities::{environment, proxy};
use crate::model::{Lifecycle, LifecycleChange, LifecycleState, Proxy};
use crate::projects::Need;
use crate::{activity, live, revisions, Error, Result, Services};
use gateway::policies::LifecycleSpec;
use sea_orm::{ActiveModelTrait, EntityTrait, Set, TransactionTrait};
use std::sync::Arc;

pub fn of(row: &proxy::Model) -> LifecycleState {
    LifecycleState { lifecycle: Lifecycle::parse(&row.lifecycle).unwrap_or_default(), deprecated_at: row.deprecated_at, sunset: row.sunset }
}

/// What the gateway compiles for `row`'s routes.
pub fn spec(row: &proxy::Model) -> LifecycleSpec {
    match Lifecycle::parse(&row.lifecycle).unwrap_or_default() {
        Lifecycle::Created | Lifecycle::Published => LifecycleSpec::Current,
        Lifecycle::Deprecated => {
            LifecycleSpec::Deprecated { since: row.deprecated_at.unwrap_or(row.updated_at).unix_timestamp(), sunset: row.sunset.map(|s| s.unix_timestamp()) }
        }
        Lifecycle::Retired => LifecycleSpec::Retired,
    }
}

/// "2027-06-30" (midnight UTC) or an RFC 3339 time; in the future.
fn read_sunset(typed: Option<&str>) -> Result<Option<time::OffsetDateTime>> {
    let Some(text) = typed.map(str::trim).filter(|t| !t.is_empty()) else { return Ok(None) };
    let date_only = time::macros::format_description!("[year]-[month]-[day]");
    let at = time::Date::parse(text, &date_only)
        .map(|d| d.midnight().assume_utc())
        .or_else(|_| time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339))
        .map_err(|_| Error::invalid("sunset", "a sunset is a date such as 2027-06-30, or an RFC 3339 time"))?;
    if at <= time::OffsetDateTime::now_utc() {
        return Err(Error::invalid("sunset", "the sunset is in the past: choose a later date, or retire the API"));
    }
    Ok(Some(at))
}

/// The change checked: its sunset read.
pub fn check(change: &LifecycleChange) -> Result<Option<time::OffsetDateTime>> {
    let sunset = read_sunset(change.sunset.as_deref())?;
    if sunset.is_some() && change.lifecycle != Lifecycle::Deprecated {
        return Err(Error::invalid("sunset", "only a deprecated API has a sunset"));
    }
    Ok(sunset)
}

/// Changes the lifecycle and applies it to every live route of the proxy at once.
pub async fn set(services: &Services, actor: &Actor, project: &str, key: &str, change: LifecycleChange) -> Result<Proxy> {
    let db = &services.db;
    let sunset = check(&change)?;
    let _one_at_a_time = services.deploy_lock.lock().await;
    let found = super::find(db, actor, project, key, Need::Edit).await?;
    let row = found.proxy;
    let now = time::OffsetDateTime::now_utc();
    let mut model: proxy::ActiveModel = row.clone().into();
    model.lifecycle = Set(change.lifecycle.as_str().into());
    model.sunset = Set(sunset);
    model.deprecated_at = Set(match change.lifecycle {
        Lifecycle::Deprecated => Some(row.deprecated_at.filter(|_| row.lifecycle == Lifecycle::Deprecated.as_str()).unwrap_or(now)),
        _ => None,
    });
    model.updated_at = Set(now);
    let txn = db.begin().await?;
    let updated = model.update(&txn).await?;
    let mut said = format!("Set {} {} to {}", row.name, row.version, change.lifecycle.as_str());
    if let Some(at) = sunset {
        said.push_str(&format!(" (sunset {})", at.date()));
    }
    activity::record(&txn, actor, found.access.project.id, Some(row.id), "proxy.lifecycle", said).await?;
    txn.commit().await?;
    republish(services, &updated).await;
    super::get(db, actor, project, key).await
}

/// Hands each environment where `row` is live its live revision again, compiled with `row`'s
/// lifecycle. A failure is logged: the route keeps what it had, and the next start compiles
/// it with the stored lifecycle.
async fn republish(services: &Services, row: &proxy::Model) {
    let environments = match environment::Entity::find().all(&services.db).await {
        Ok(environments) => environments,
        Err(e) => return tracing::error!(proxy = row.id, error = %e, "the lifecycle could not be applied to the live routes"),
    };
    for env in environments {
        let revision = match live::live_revision(&services.db, row.id, env.id).await {
            Ok(Some(revision)) => revision,
            Ok(None) => continue,
            Err(e) => {
                tracing::error!(proxy = row.id, environment = %env.slug, error = %e, "the lifecycle could not be applied to a live route");
                continue;
            }
        };
        let applied = revisions::decode(&revision)
            .and_then(|s| s.route(row.id, spec(row), &services.master_key, &Arc::new(env.destinations())))
            .and_then(|r| Ok(services.gateway.upsert(&env.slug, r)?));
        if let Err(e) = applied {
            tracing::error!(proxy = row.id, environment = %env.slug, error = %e, "the lifecycle could not be applied to a live route");
        }
        crate::cluster::announce(services, crate::cluster::Change::Route { environment: env.id, proxy: row.id }).await;
    }
}
