//! Deploying: a deploy takes an immutable revision of a proxy's saved configuration for one
//! environment and has the running gateway serve it before the call returns. A revision the
//! gateway cannot compile is recorded as failed, with the reason, and what was live stays live.
//! What is live is published again when the server starts.
pub mod snapshot;

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
    let gateway = services.gateway()?;
    let _one_at_a_time = services.deploy_lock.lock().await;
    let started = Instant::now();
    let config = endpoint_config::Entity::find()
        .filter(endpoint_config::Column::ProxyId.eq(found.proxy.id))
        .filter(endpoint_config::Column::EnvironmentId.eq(env.id))
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("the {} endpoint has not been saved yet: configure it on the Endpoints page first", env.name)))?;
    let snapshot = snapshot::take(db, &found.proxy, &config).await?;
    let number = next_number(db, found.proxy.id).await?;
    let revision = revision::ActiveModel {
        proxy_id: Set(found.proxy.id),
        environment_id: Set(env.id),
        number: Set(number),
        snapshot: Set(serde_json::to_string(&snapshot).map_err(|e| Error::Internal(format!("revision: {e}")))?),
        created_by: Set(Some(actor.id)),
        created_at: Set(time::OffsetDateTime::now_utc()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let published = snapshot.route(found.proxy.id, &services.master_key).and_then(|route| gateway.upsert(&env.slug, route));
    let elapsed_ms = started.elapsed().as_millis() as i32;
    let name = format!("{} {}", found.proxy.name, found.proxy.version);
    let (outcome, message) = match &published {
        Ok(()) => ("live", format!("Revision {number} of {name} is live in {} ({elapsed_ms} ms).", env.name)),
        Err(e) => ("failed", format!("Revision {number} of {name} was not deployed to {}: {e}. What was live there stays live.", env.name)),
    };
    let row = deployment::ActiveModel {
        proxy_id: Set(found.proxy.id),
        environment_id: Set(env.id),
        revision_id: Set(Some(revision.id)),
        action: Set("deploy".into()),
        outcome: Set(outcome.into()),
        message: Set(message.clone()),
        elapsed_ms: Set(elapsed_ms),
        deployed_by: Set(Some(actor.id)),
        deployed_at: Set(time::OffsetDateTime::now_utc()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    activity::record(db, actor, found.access.project.id, Some(found.proxy.id), &format!("deployment.{outcome}"), message.clone()).await?;
    match published {
        Ok(()) => Ok(describe(row, &found.proxy.name, &env, Some(number as u32), Some(actor.name.clone()))),
        Err(_) => Err(Error::Conflict(message)),
    }
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

/// Each proxy's live revision in an environment: the latest deploy or undeploy that took effect.
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

/// The names of the environments where the proxy has a live revision.
pub async fn live_environments(db: &DatabaseConnection, proxy_id: i32) -> Result<Vec<String>> {
    let mut live = Vec::new();
    for env in environment::Entity::find().order_by_asc(environment::Column::Position).all(db).await? {
        if live_revisions(db, env.id).await?.iter().any(|(p, _)| *p == proxy_id) {
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
