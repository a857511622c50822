//! What a publisher does on the Deploy page: deploy the saved configuration, redeploy an
//! earlier revision (rollback), promote what is live to the next environment, undeploy. Each
//! runs under the deploy lock and goes: revision stored, deployment recorded pending, the
//! gateway swaps, the deployment settled live (or failed, and what was live stays live).
use super::record::{describe, pending, settle};
use crate::auth::Actor;
use crate::cluster::{self, Change};
use crate::entities::{environment, revision};
use crate::live::live_revision;
use crate::model::{Deployment, DeploymentAction as Action, DeploymentOutcome as Outcome};
use crate::projects::Need;
use crate::proxies::endpoints::{find_environment, mutual_tls_client};
use crate::proxies::{find, Found};
use crate::revisions::{self, Snapshot};
use crate::{Error, Result, Services};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::MutexGuard;

/// Deploys the proxy's saved configuration for `environment` as a new revision.
pub async fn deploy(services: &Services, actor: &Actor, project: &str, proxy: &str, environment: &str) -> Result<Deployment> {
    let db = &services.db;
    let found = find(db, actor, project, proxy, Need::Edit).await?;
    let env = served_environment(services, environment).await?;
    let turn = Turn::take(services).await;
    let snapshot = revisions::saved(db, &found.proxy, &env).await?;
    go_live(services, actor, &found, &env, Revision::New(Box::new(snapshot)), turn, "Deployed").await
}

/// Rollback (or roll forward): makes an earlier revision of this environment live again.
pub async fn redeploy(services: &Services, actor: &Actor, project: &str, proxy: &str, environment: &str, number: u32) -> Result<Deployment> {
    let db = &services.db;
    let found = find(db, actor, project, proxy, Need::Edit).await?;
    let env = served_environment(services, environment).await?;
    let turn = Turn::take(services).await;
    let existing = revision::Entity::find()
        .filter(revision::Column::ProxyId.eq(found.proxy.id))
        .filter(revision::Column::Number.eq(number as i32))
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("{} has no revision {number}", found.proxy.name)))?;
    if existing.environment_id != env.id {
        return Err(Error::invalid("revision", format!("revision {number} carries another environment's endpoint configuration: promote instead")));
    }
    go_live(services, actor, &found, &env, Revision::Existing(existing), turn, "Redeployed").await
}

/// Promote: the revision live in `from` goes live in `to`, with `to`'s saved endpoint
/// configuration, and the client certificate chosen for it (Mutual SSL on) when one is given;
/// that choice passes the same rules as on the Endpoints page.
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
    let source = find_environment(db, from).await?;
    let target = served_environment(services, to).await?;
    if source.id == target.id {
        return Err(Error::invalid("to", "promote to another environment than the one it is live in"));
    }
    let turn = Turn::take(services).await;
    let live = live_revision(db, found.proxy.id, source.id).await?;
    let live = live.ok_or_else(|| Error::Conflict(format!("{} is not live in {}: deploy it there first", found.proxy.name, source.name)))?;
    let definition = revisions::decode(&live)?;
    let mut config = revisions::saved_config(db, &found.proxy, &target).await?;
    if let Some(id) = client_certificate_id {
        mutual_tls_client(db, found.access.project.id, &config.url, id).await?;
        config.mutual_ssl = true;
        config.client_certificate_id = Some(id);
    }
    let mut snapshot = revisions::take(db, &found.proxy, &config).await?;
    snapshot.proxy_name = definition.proxy_name;
    snapshot.proxy_version = definition.proxy_version;
    snapshot.context_path = definition.context_path;
    let verb = format!("Promoted revision {} from {} as", live.number, source.name);
    go_live(services, actor, &found, &target, Revision::New(Box::new(snapshot)), turn, &verb).await
}

/// Takes the proxy out of the environment's gateway.
pub async fn undeploy(services: &Services, actor: &Actor, project: &str, proxy: &str, environment: &str) -> Result<Deployment> {
    let db = &services.db;
    let found = find(db, actor, project, proxy, Need::Edit).await?;
    let env = served_environment(services, environment).await?;
    let turn = Turn::take(services).await;
    if live_revision(db, found.proxy.id, env.id).await?.is_none() {
        return Err(Error::Conflict(format!("{} is not live in {}", found.proxy.name, env.name)));
    }
    let row = pending(db, actor, &found, &env, None, Action::Undeploy).await?;
    let removed = services.gateway.remove(&env.slug, found.proxy.id);
    let elapsed_ms = turn.started.elapsed().as_millis() as i32;
    let (outcome, message) = match &removed {
        Ok(()) => (
            Outcome::Live,
            format!(
                "Undeployed {} {} from {}: requests to {} there now get no_route.",
                found.proxy.name, found.proxy.version, env.name, found.proxy.context_path
            ),
        ),
        Err(e) => (Outcome::Failed, format!("{} {} was not undeployed from {}: {e}. It stays live.", found.proxy.name, found.proxy.version, env.name)),
    };
    let settled = settle(db, actor, &found, row, outcome, &message, elapsed_ms).await;
    match (removed, settled) {
        (Ok(()), Ok(row)) => Ok(announced(services, turn, &env, found.proxy.id, describe(row, &found.proxy.name, &env, None, Some(actor.name.clone()))).await),
        (Ok(()), Err(e)) => {
            put_back(services, &found, &env).await;
            Err(e)
        }
        (Err(_), Ok(_)) => Err(Error::Conflict(message)),
        (Err(_), Err(e)) => Err(e),
    }
}

/// The environment, when this process's gateway serves it: otherwise nothing is recorded.
async fn served_environment(services: &Services, key: &str) -> Result<environment::Model> {
    let env = find_environment(&services.db, key).await?;
    match services.gateway.base_url(&env.slug) {
        Some(_) => Ok(env),
        None => Err(gateway::Error::NotServed(env.slug).into()),
    }
}

/// A command's turn: the deploy lock held (deploys run one at a time, so two never build on
/// the same old route table), and when it was taken, which `elapsed_ms` counts from.
struct Turn<'a> {
    _lock: MutexGuard<'a, ()>,
    started: Instant,
}

impl<'a> Turn<'a> {
    async fn take(services: &'a Services) -> Turn<'a> {
        let lock = services.deploy_lock.lock().await;
        Turn { _lock: lock, started: Instant::now() }
    }
}

enum Revision {
    New(Box<Snapshot>),
    Existing(revision::Model),
}

/// Stores the revision (when new), records the deployment pending, has the gateway serve it,
/// and settles the record. Should the record not settle after the swap, the swap is taken back
/// (and a stop in between is settled by the next start's restore).
async fn go_live(
    services: &Services,
    actor: &Actor,
    found: &Found,
    env: &environment::Model,
    revision: Revision,
    turn: Turn<'_>,
    verb: &str,
) -> Result<Deployment> {
    let db = &services.db;
    let revision = match revision {
        Revision::Existing(existing) => existing,
        Revision::New(snapshot) => {
            revision::ActiveModel {
                proxy_id: Set(found.proxy.id),
                environment_id: Set(env.id),
                number: Set(next_number(db, found.proxy.id).await?),
                snapshot: Set(revisions::encode(&snapshot)?),
                created_by: Set(Some(actor.id)),
                created_at: Set(time::OffsetDateTime::now_utc()),
                ..Default::default()
            }
            .insert(db)
            .await?
        }
    };
    let number = revision.number;
    let snapshot = revisions::decode(&revision)?;
    context_path_still_ours(db, found, number, &snapshot.context_path).await?;
    // The lists as they are now, under the deploy lock (an admin may have changed them since `env` was read).
    let destinations = Arc::new(find_environment(db, &env.id.to_string()).await?.destinations());
    let route = snapshot.route(found.proxy.id, crate::proxies::lifecycle::spec(&found.proxy), &services.master_key, &destinations);
    let row = pending(db, actor, found, env, Some(revision.id), Action::Deploy).await?;
    let published = route.and_then(|route| Ok(services.gateway.upsert(&env.slug, route)?));
    let elapsed_ms = turn.started.elapsed().as_millis() as i32;
    let name = format!("{} {}", found.proxy.name, found.proxy.version);
    let (outcome, message) = match &published {
        Ok(()) => (Outcome::Live, format!("{verb} revision {number} of {name}: live in {} ({elapsed_ms} ms).", env.name)),
        Err(e) => (Outcome::Failed, format!("Revision {number} of {name} was not deployed to {}: {e}. What was live there stays live.", env.name)),
    };
    let settled = settle(db, actor, found, row, outcome, &message, elapsed_ms).await;
    match (published, settled) {
        (Ok(()), Ok(row)) => {
            Ok(announced(services, turn, env, found.proxy.id, describe(row, &found.proxy.name, env, Some(number as u32), Some(actor.name.clone()))).await)
        }
        (Ok(()), Err(e)) => {
            put_back(services, found, env).await;
            Err(e)
        }
        (Err(_), Ok(_)) => Err(Error::Conflict(message)),
        (Err(_), Err(e)) => Err(e),
    }
}

/// Tells the other gateway nodes (`cluster`) under the deploy lock, then, with the lock let go
/// so they (and this node) may apply it, waits for them and says how many serve it.
async fn announced(services: &Services, turn: Turn<'_>, env: &environment::Model, proxy: i32, mut shown: Deployment) -> Deployment {
    let change = Change::Route { environment: env.id, proxy };
    let version = cluster::announce(services, change).await;
    drop(turn);
    shown.live_on = Some(cluster::live_on(services, change, version).await);
    shown
}

/// An earlier revision carries the context path the proxy had then: once another proxy (of
/// this project or another) has taken that path, the revision may not bring it back, or one
/// tenant could take over the path another now serves or is about to.
async fn context_path_still_ours(db: &DatabaseConnection, found: &Found, number: i32, path: &str) -> Result<()> {
    use crate::entities::proxy;
    let owner = proxy::Entity::find().filter(proxy::Column::ContextPath.eq(path)).filter(proxy::Column::Id.ne(found.proxy.id)).one(db).await?;
    match owner {
        None => Ok(()),
        Some(other) if other.project_id == found.access.project.id => Err(Error::Conflict(format!(
            "revision {number} serves {path}, which is now the context path of {} {}: deploy the saved configuration instead",
            other.name, other.version
        ))),
        Some(_) => Err(Error::Conflict(format!(
            "revision {number} serves {path}, which another project's proxy now owns on this gateway: deploy the saved configuration instead"
        ))),
    }
}

/// Serves again what the database still calls live, when the record of a deploy's or an
/// undeploy's swap could not be written.
async fn put_back(services: &Services, found: &Found, env: &environment::Model) {
    let previous = match live_revision(&services.db, found.proxy.id, env.id).await {
        Ok(previous) => previous,
        Err(e) => {
            return tracing::error!(proxy = found.proxy.id, environment = %env.slug, error = %e, "a deploy's swap could not be taken back; the next start settles it")
        }
    };
    let put = match previous {
        Some(rev) => revisions::decode(&rev)
            .and_then(|s| s.route(found.proxy.id, crate::proxies::lifecycle::spec(&found.proxy), &services.master_key, &Arc::new(env.destinations())))
            .and_then(|r| Ok(services.gateway.upsert(&env.slug, r)?)),
        None => services.gateway.remove(&env.slug, found.proxy.id).map_err(Error::from),
    };
    if let Err(e) = put {
        tracing::error!(proxy = found.proxy.id, environment = %env.slug, error = %e, "a deploy's swap could not be taken back; the next start settles it");
    }
}

async fn next_number(db: &DatabaseConnection, proxy_id: i32) -> Result<i32> {
    let latest = revision::Entity::find().filter(revision::Column::ProxyId.eq(proxy_id)).order_by_desc(revision::Column::Number).one(db).await?;
    Ok(latest.map_or(1, |r| r.number + 1))
}
