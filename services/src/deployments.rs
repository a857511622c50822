//! Deploying: a deploy takes an immutable revision of a proxy's saved configuration for one
//! environment and has the running gateway serve it before the call returns. A revision the
//! gateway cannot compile is recorded as failed, with the reason, and what was live stays live.
//! What is live is published again when the server starts.
pub mod snapshot;
#[cfg(test)]
mod tests;

use crate::activity;
use crate::auth::Actor;
use crate::entities::{deployment, endpoint_config, environment, revision, user};
use crate::model::{DeploymentState, Deployment, Page};
use crate::projects::Need;
use crate::proxies::{endpoints::find_environment, find};
use crate::{Error, Result, Services};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use snapshot::Snapshot;
use std::collections::HashMap;
use std::time::Instant;

/// Deploys the proxy's saved configuration for `environment` as a new revision.
pub async fn deploy(services: &Services, actor: &Actor, project: &str, proxy: &str, environment: &str) -> Result<Deployment> {
    let db = &services.db;
    let found = find(db, actor, project, proxy, Need::Edit).await?;
    let env = find_environment(db, environment).await?;
    let _one_at_a_time = services.deploy_lock.lock().await;
    let started = Instant::now();
    let snapshot = saved_snapshot(db, &found.proxy, &env).await?;
    go_live(services, actor, &found, &env, Revision::New(snapshot), started, "Deployed").await
}

/// Rollback (or roll forward): makes an earlier revision of this environment live again.
pub async fn redeploy(services: &Services, actor: &Actor, project: &str, proxy: &str, environment: &str, number: u32) -> Result<Deployment> {
    let db = &services.db;
    let found = find(db, actor, project, proxy, Need::Edit).await?;
    let env = find_environment(db, environment).await?;
    let _one_at_a_time = services.deploy_lock.lock().await;
    let started = Instant::now();
    let existing = revision::Entity::find()
        .filter(revision::Column::ProxyId.eq(found.proxy.id))
        .filter(revision::Column::Number.eq(number as i32))
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("{} has no revision {number}", found.proxy.name)))?;
    if existing.environment_id != env.id {
        return Err(Error::invalid("revision", format!("revision {number} carries another environment's endpoint configuration: promote instead")));
    }
    go_live(services, actor, &found, &env, Revision::Existing(existing), started, "Redeployed").await
}

/// Promote: the revision live in `from` goes live in `to`, with `to`'s saved endpoint
/// configuration, and the client certificate chosen for it (Mutual SSL on) when one is given.
pub async fn promote(
    services: &Services,
    actor: &Actor,
    project: &str,
    proxy: &str,
    from: &str,
    to: &str,
    client_certificate_id: Option<i32>,
) -> Result<Deployment> {
    let db = &services.db;
    let found = find(db, actor, project, proxy, Need::Edit).await?;
    let (source, target) = (find_environment(db, from).await?, find_environment(db, to).await?);
    if source.id == target.id {
        return Err(Error::invalid("to", "promote to another environment than the one it is live in"));
    }
    let _one_at_a_time = services.deploy_lock.lock().await;
    let started = Instant::now();
    let live = live_revision(db, found.proxy.id, source.id).await?;
    let live = live.ok_or_else(|| Error::Conflict(format!("{} is not live in {}: deploy it there first", found.proxy.name, source.name)))?;
    let definition: Snapshot = serde_json::from_str(&live.snapshot).map_err(|e| Error::Internal(format!("revision {} cannot be read: {e}", live.number)))?;
    let mut config = saved_config(db, &found.proxy, &target).await?;
    if let Some(id) = client_certificate_id {
        let cert = crate::entities::certificate::Entity::find_by_id(id)
            .filter(crate::entities::certificate::Column::ProjectId.eq(found.access.project.id))
            .one(db)
            .await?
            .ok_or_else(|| Error::invalid("client_certificate_id", format!("there is no certificate {id} in this project")))?;
        if cert.sealed_key.is_none() {
            return Err(Error::invalid("client_certificate_id", format!("\"{}\" has no private key: choose a client key pair", cert.name)));
        }
        if !config.url.starts_with("https://") {
            return Err(Error::invalid("client_certificate_id", format!("the {} endpoint is http, where no client certificate can be presented", target.name)));
        }
        config.mutual_ssl = true;
        config.client_certificate_id = Some(id);
    }
    let mut snapshot = snapshot::take(db, &found.proxy, &config).await?;
    snapshot.proxy_name = definition.proxy_name;
    snapshot.proxy_version = definition.proxy_version;
    snapshot.context_path = definition.context_path;
    let verb = format!("Promoted revision {} from {} as", live.number, source.name);
    go_live(services, actor, &found, &target, Revision::New(snapshot), started, &verb).await
}

/// Takes the proxy out of the environment's gateway.
pub async fn undeploy(services: &Services, actor: &Actor, project: &str, proxy: &str, environment: &str) -> Result<Deployment> {
    let db = &services.db;
    let found = find(db, actor, project, proxy, Need::Edit).await?;
    let env = find_environment(db, environment).await?;
    let gateway = services.gateway()?;
    let _one_at_a_time = services.deploy_lock.lock().await;
    let started = Instant::now();
    if live_revision(db, found.proxy.id, env.id).await?.is_none() {
        return Err(Error::Conflict(format!("{} is not live in {}", found.proxy.name, env.name)));
    }
    gateway.remove(&env.slug, found.proxy.id)?;
    let elapsed_ms = started.elapsed().as_millis() as i32;
    let message = format!("Undeployed {} {} from {}: requests to {} there now get no_route.", found.proxy.name, found.proxy.version, env.name, found.proxy.context_path);
    let row = record(db, actor, &found, &env, None, "undeploy", "live", &message, elapsed_ms).await?;
    Ok(describe(row, &found.proxy.name, &env, None, Some(actor.name.clone())))
}

enum Revision {
    New(Snapshot),
    Existing(revision::Model),
}

/// Stores the revision (when new), has the gateway serve it, and records the outcome.
async fn go_live(services: &Services, actor: &Actor, found: &crate::proxies::Found, env: &environment::Model, revision: Revision, started: Instant, verb: &str) -> Result<Deployment> {
    let db = &services.db;
    let gateway = services.gateway()?;
    let revision = match revision {
        Revision::Existing(existing) => existing,
        Revision::New(snapshot) => {
            revision::ActiveModel {
                proxy_id: Set(found.proxy.id),
                environment_id: Set(env.id),
                number: Set(next_number(db, found.proxy.id).await?),
                snapshot: Set(serde_json::to_string(&snapshot).map_err(|e| Error::Internal(format!("revision: {e}")))?),
                created_by: Set(Some(actor.id)),
                created_at: Set(time::OffsetDateTime::now_utc()),
                ..Default::default()
            }
            .insert(db)
            .await?
        }
    };
    let number = revision.number;
    let published = serde_json::from_str::<Snapshot>(&revision.snapshot)
        .map_err(|e| Error::Internal(format!("revision {number} cannot be read: {e}")))
        .and_then(|s| s.route(found.proxy.id, &services.master_key))
        .and_then(|route| gateway.upsert(&env.slug, route));
    let elapsed_ms = started.elapsed().as_millis() as i32;
    let name = format!("{} {}", found.proxy.name, found.proxy.version);
    let (outcome, message) = match &published {
        Ok(()) => ("live", format!("{verb} revision {number} of {name}: live in {} ({elapsed_ms} ms).", env.name)),
        Err(e) => ("failed", format!("Revision {number} of {name} was not deployed to {}: {e}. What was live there stays live.", env.name)),
    };
    let row = record(db, actor, found, env, Some(revision.id), "deploy", outcome, &message, elapsed_ms).await?;
    match published {
        Ok(()) => Ok(describe(row, &found.proxy.name, env, Some(number as u32), Some(actor.name.clone()))),
        Err(_) => Err(Error::Conflict(message)),
    }
}

#[allow(clippy::too_many_arguments)]
async fn record(
    db: &DatabaseConnection,
    actor: &Actor,
    found: &crate::proxies::Found,
    env: &environment::Model,
    revision_id: Option<i32>,
    action: &str,
    outcome: &str,
    message: &str,
    elapsed_ms: i32,
) -> Result<deployment::Model> {
    let row = deployment::ActiveModel {
        proxy_id: Set(found.proxy.id),
        environment_id: Set(env.id),
        revision_id: Set(revision_id),
        action: Set(action.into()),
        outcome: Set(outcome.into()),
        message: Set(message.into()),
        elapsed_ms: Set(elapsed_ms),
        deployed_by: Set(Some(actor.id)),
        deployed_at: Set(time::OffsetDateTime::now_utc()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let kind = if action == "undeploy" { "deployment.undeployed".to_string() } else { format!("deployment.{outcome}") };
    activity::record(db, actor, found.access.project.id, Some(found.proxy.id), &kind, message).await?;
    Ok(row)
}

async fn saved_config(db: &DatabaseConnection, proxy: &crate::entities::proxy::Model, env: &environment::Model) -> Result<endpoint_config::Model> {
    endpoint_config::Entity::find()
        .filter(endpoint_config::Column::ProxyId.eq(proxy.id))
        .filter(endpoint_config::Column::EnvironmentId.eq(env.id))
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("the {} endpoint has not been saved yet: configure it on the Endpoints page first", env.name)))
}

async fn saved_snapshot(db: &DatabaseConnection, proxy: &crate::entities::proxy::Model, env: &environment::Model) -> Result<Snapshot> {
    let config = saved_config(db, proxy, env).await?;
    snapshot::take(db, proxy, &config).await
}

/// Everything the Deploy page shows for each environment, in promotion order.
pub async fn overview(services: &Services, actor: &Actor, project: &str, proxy: &str) -> Result<Vec<crate::model::EnvironmentDeployment>> {
    let db = &services.db;
    let found = find(db, actor, project, proxy, Need::See).await?;
    let mut states = states(db, found.proxy.id).await?;
    let all = history(db, actor, project, proxy, 1, 100).await?.items;
    let revisions = revision::Entity::find().filter(revision::Column::ProxyId.eq(found.proxy.id)).order_by_desc(revision::Column::Number).all(db).await?;
    let people: HashMap<i32, String> = user::Entity::find().all(db).await?.into_iter().map(|u| (u.id, u.name)).collect();
    let mut out = Vec::new();
    for env in crate::environments::list_with_gateways(services).await? {
        let live_now = live_revision(db, found.proxy.id, env.id).await?;
        let history: Vec<Deployment> = all.iter().filter(|d| d.environment == env.slug).cloned().collect();
        let live = live_now.as_ref().and_then(|r| history.iter().find(|d| d.revision == Some(r.number as u32) && d.outcome == "live" && d.action == "deploy").cloned());
        let model = env_model(db, env.id).await?;
        let saved_url = match &model {
            Some(m) => saved_config(db, &found.proxy, m).await.ok().map(|c| c.url),
            None => None,
        };
        let changes = match (&live_now, model) {
            (Some(rev), Some(model)) => match (serde_json::from_str::<Snapshot>(&rev.snapshot), saved_snapshot(db, &found.proxy, &model).await) {
                (Ok(live), Ok(saved)) => live.changes_to(&saved),
                _ => Vec::new(),
            },
            _ => Vec::new(),
        };
        let summaries = revisions
            .iter()
            .filter(|r| r.environment_id == env.id)
            .filter_map(|r| {
                let s: Snapshot = serde_json::from_str(&r.snapshot).ok()?;
                Some(crate::model::RevisionSummary {
                    number: r.number as u32,
                    environment: env.slug.clone(),
                    url: s.url,
                    client_certificate: s.client_certificate.map(|c| c.name),
                    created_by: r.created_by.and_then(|id| people.get(&id).cloned()),
                    created_at: r.created_at,
                })
            })
            .collect();
        let live_path = live_now.as_ref().and_then(|r| serde_json::from_str::<Snapshot>(&r.snapshot).ok()).map(|s| s.context_path);
        let invoke_url = live_path.zip(env.gateway_url.as_ref()).map(|(path, base)| format!("{base}{path}"));
        out.push(crate::model::EnvironmentDeployment {
            state: states.remove(&env.id).unwrap_or(DeploymentState::NotDeployed),
            environment: env,
            live,
            invoke_url,
            saved_url,
            changes,
            revisions: summaries,
            history,
        });
    }
    Ok(out)
}

async fn env_model(db: &DatabaseConnection, id: i32) -> Result<Option<environment::Model>> {
    Ok(environment::Entity::find_by_id(id).one(db).await?)
}

/// Publishes what is live in every environment the gateway serves (at start). A revision that
/// no longer compiles is logged and left out; the others serve.
pub async fn restore(services: &Services) -> Result<usize> {
    let gateway = services.gateway()?;
    let mut total = 0;
    for env in environment::Entity::find().all(&services.db).await? {
        let mut routes = Vec::new();
        for (proxy_id, rev) in live_revisions(&services.db, env.id).await? {
            let restored = serde_json::from_str::<Snapshot>(&rev.snapshot)
                .map_err(|e| Error::Internal(format!("revision {} cannot be read: {e}", rev.number)))
                .and_then(|s| s.route(proxy_id, &services.master_key));
            match restored {
                Ok(route) => routes.push(route),
                Err(e) => tracing::error!(environment = %env.slug, proxy_id, revision = rev.number, error = %e, "a live revision could not be restored"),
            }
        }
        match gateway.replace_all(&env.slug, routes) {
            Ok(count) => total += count,
            Err(e) if matches!(e, Error::NotFound(_)) => {} // no listener for this environment here
            Err(e) => tracing::error!(environment = %env.slug, error = %e, "the live routes could not be published"),
        }
    }
    Ok(total)
}

/// The proxy's live revision in an environment: the revision of its latest deploy or undeploy
/// that took effect, if that was a deploy. Two indexed lookups, however many proxies exist.
async fn live_revision(db: &DatabaseConnection, proxy_id: i32, environment_id: i32) -> Result<Option<revision::Model>> {
    let latest = deployment::Entity::find()
        .filter(deployment::Column::ProxyId.eq(proxy_id))
        .filter(deployment::Column::EnvironmentId.eq(environment_id))
        .filter(deployment::Column::Outcome.eq("live"))
        .order_by_desc(deployment::Column::Id)
        .one(db)
        .await?;
    match latest.filter(|row| row.action == "deploy").and_then(|row| row.revision_id) {
        Some(id) => Ok(revision::Entity::find_by_id(id).one(db).await?),
        None => Ok(None),
    }
}

/// Each proxy's live revision in an environment (at start, to publish them all).
async fn live_revisions(db: &DatabaseConnection, environment_id: i32) -> Result<Vec<(i32, revision::Model)>> {
    let rows = deployment::Entity::find()
        .filter(deployment::Column::EnvironmentId.eq(environment_id))
        .filter(deployment::Column::Outcome.eq("live"))
        .order_by_asc(deployment::Column::Id)
        .all(db)
        .await?;
    let mut live: HashMap<i32, Option<i32>> = HashMap::new();
    for row in rows {
        live.insert(row.proxy_id, row.revision_id.filter(|_| row.action == "deploy"));
    }
    let ids: Vec<i32> = live.values().flatten().copied().collect();
    let revisions: HashMap<i32, revision::Model> = revision::Entity::find().filter(revision::Column::Id.is_in(ids)).all(db).await?.into_iter().map(|r| (r.id, r)).collect();
    Ok(live.into_iter().filter_map(|(proxy, rev)| Some((proxy, revisions.get(&rev?)?.clone()))).collect())
}

/// "Development: the live revision 3 differs from the saved configuration (Backend URL)", for
/// each environment where deploying again would change something.
pub async fn drift(db: &DatabaseConnection, proxy: &crate::entities::proxy::Model) -> Result<Vec<String>> {
    let mut warnings = Vec::new();
    for env in environment::Entity::find().order_by_asc(environment::Column::Position).all(db).await? {
        let Some(live) = live_revision(db, proxy.id, env.id).await? else { continue };
        let (Ok(live_snapshot), Ok(saved)) = (serde_json::from_str::<Snapshot>(&live.snapshot), saved_snapshot(db, proxy, &env).await) else { continue };
        let changes = live_snapshot.changes_to(&saved);
        if !changes.is_empty() {
            let fields: Vec<String> = changes.into_iter().map(|c| c.field).collect();
            warnings.push(format!("{}: the live revision {} differs from the saved configuration ({})", env.name, live.number, fields.join(", ")));
        }
    }
    Ok(warnings)
}

/// The names of the environments where the proxy has a live revision.
pub async fn live_environments(db: &DatabaseConnection, proxy_id: i32) -> Result<Vec<String>> {
    let mut live = Vec::new();
    for env in environment::Entity::find().order_by_asc(environment::Column::Position).all(db).await? {
        if live_revision(db, proxy_id, env.id).await?.is_some() {
            live.push(env.name);
        }
    }
    Ok(live)
}

/// Per environment id, where the proxy stands: its live revision, or the failure of its latest
/// deploy.
pub async fn states(db: &DatabaseConnection, proxy_id: i32) -> Result<HashMap<i32, DeploymentState>> {
    let rows = deployment::Entity::find().filter(deployment::Column::ProxyId.eq(proxy_id)).order_by_asc(deployment::Column::Id).all(db).await?;
    let numbers: HashMap<i32, i32> = revision::Entity::find()
        .filter(revision::Column::ProxyId.eq(proxy_id))
        .select_only()
        .column(revision::Column::Id)
        .column(revision::Column::Number)
        .into_tuple::<(i32, i32)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut states = HashMap::new();
    for row in rows {
        let state = match (row.outcome.as_str(), row.action.as_str(), row.revision_id) {
            ("live", "deploy", Some(id)) => DeploymentState::Deployed { revision: numbers.get(&id).copied().unwrap_or(0) as u32 },
            ("live", _, _) => DeploymentState::NotDeployed,
            _ => DeploymentState::Failed { reason: row.message },
        };
        states.insert(row.environment_id, state);
    }
    Ok(states)
}

/// Every deploy of the proxy, newest first.
pub async fn history(db: &DatabaseConnection, actor: &Actor, project: &str, proxy: &str, page: u64, per_page: u64) -> Result<Page<Deployment>> {
    let found = find(db, actor, project, proxy, Need::See).await?;
    let query = deployment::Entity::find().filter(deployment::Column::ProxyId.eq(found.proxy.id)).order_by_desc(deployment::Column::Id);
    let per_page = per_page.clamp(1, 100);
    let paginator = query.paginate(db, per_page);
    let total = paginator.num_items().await?;
    let page = page.max(1);
    let rows = paginator.fetch_page(page - 1).await?;
    let envs: HashMap<i32, environment::Model> = environment::Entity::find().all(db).await?.into_iter().map(|e| (e.id, e)).collect();
    let numbers: HashMap<i32, i32> = revision::Entity::find().filter(revision::Column::ProxyId.eq(found.proxy.id)).all(db).await?.into_iter().map(|r| (r.id, r.number)).collect();
    let people: HashMap<i32, String> = user::Entity::find().all(db).await?.into_iter().map(|u| (u.id, u.name)).collect();
    let items = rows
        .into_iter()
        .filter_map(|row| {
            let env = envs.get(&row.environment_id)?;
            let number = row.revision_id.and_then(|id| numbers.get(&id)).map(|n| *n as u32);
            let by = row.deployed_by.and_then(|id| people.get(&id).cloned());
            Some(describe(row, &found.proxy.name, env, number, by))
        })
        .collect();
    Ok(Page { items, total, page, per_page })
}

async fn next_number(db: &DatabaseConnection, proxy_id: i32) -> Result<i32> {
    let latest = revision::Entity::find().filter(revision::Column::ProxyId.eq(proxy_id)).order_by_desc(revision::Column::Number).one(db).await?;
    Ok(latest.map_or(1, |r| r.number + 1))
}

fn describe(row: deployment::Model, proxy: &str, env: &environment::Model, revision: Option<u32>, deployed_by: Option<String>) -> Deployment {
    Deployment {
        id: row.id,
        proxy: proxy.to_string(),
        environment: env.slug.clone(),
        environment_name: env.name.clone(),
        revision,
        action: row.action,
        outcome: row.outcome,
        message: row.message,
        elapsed_ms: u64::try_from(row.elapsed_ms).unwrap_or(0),
        deployed_by,
        deployed_at: row.deployed_at,
    }
}
