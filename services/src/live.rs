//! What is live where, read from the deployments table: a proxy's live revision per
//! environment, where it stands (deployed, failed, not deployed) and how the live revision
//! differs from the saved configuration. Its own module, below both `proxies` (whose listing
//! shows it) and `deployments` (whose commands and Deploy page read it), so neither imports the
//! other's caller.
use crate::entities::{deployment, environment, proxy, revision};
use crate::model::{DeploymentAction as Action, DeploymentOutcome as Outcome, DeploymentState};
use crate::{revisions, Result};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait};
use std::collections::HashMap;

/// The proxy's live revision in an environment: the revision of its latest deploy or undeploy
/// that took effect, if that was a deploy. Two indexed lookups, however many proxies exist.
pub async fn live_revision(db: &DatabaseConnection, proxy_id: i32, environment_id: i32) -> Result<Option<revision::Model>> {
    let latest = deployment::Entity::find()
        .filter(deployment::Column::ProxyId.eq(proxy_id))
        .filter(deployment::Column::EnvironmentId.eq(environment_id))
        .filter(deployment::Column::Outcome.eq(Outcome::Live))
        .order_by_desc(deployment::Column::Id)
        .one(db)
        .await?;
    match latest.filter(|row| row.action == Action::Deploy).and_then(|row| row.revision_id) {
        Some(id) => Ok(revision::Entity::find_by_id(id).one(db).await?),
        None => Ok(None),
    }
}

/// Each proxy's live revision in an environment (at start, to publish them all).
pub async fn live_revisions(db: &DatabaseConnection, environment_id: i32) -> Result<Vec<(i32, revision::Model)>> {
    let rows = deployment::Entity::find()
        .filter(deployment::Column::EnvironmentId.eq(environment_id))
        .filter(deployment::Column::Outcome.eq(Outcome::Live))
        .order_by_asc(deployment::Column::Id)
        .all(db)
        .await?;
    let mut live: HashMap<i32, Option<i32>> = HashMap::new();
    for row in rows {
        live.insert(row.proxy_id, row.revision_id.filter(|_| row.action == Action::Deploy));
    }
    let ids: Vec<i32> = live.values().flatten().copied().collect();
    let revisions: HashMap<i32, revision::Model> =
        revision::Entity::find().filter(revision::Column::Id.is_in(ids)).all(db).await?.into_iter().map(|r| (r.id, r)).collect();
    Ok(live.into_iter().filter_map(|(proxy, rev)| Some((proxy, revisions.get(&rev?)?.clone()))).collect())
}

/// Every live revision of the proxies of a project, with its environment id: one query over
/// the project's deployments, one for the revisions.
pub async fn live_revisions_in_project(db: &impl sea_orm::ConnectionTrait, project_id: i32) -> Result<Vec<(i32, revision::Model)>> {
    let proxies = proxy::Entity::find().select_only().column(proxy::Column::Id).filter(proxy::Column::ProjectId.eq(project_id)).into_query();
    let rows = deployment::Entity::find()
        .filter(deployment::Column::ProxyId.in_subquery(proxies))
        .filter(deployment::Column::Outcome.eq(Outcome::Live))
        .order_by_asc(deployment::Column::Id)
        .all(db)
        .await?;
    let mut live: HashMap<(i32, i32), Option<i32>> = HashMap::new();
    for row in rows {
        live.insert((row.proxy_id, row.environment_id), row.revision_id.filter(|_| row.action == Action::Deploy));
    }
    let ids: Vec<i32> = live.values().flatten().copied().collect();
    let mut found: Vec<(i32, revision::Model)> =
        revision::Entity::find().filter(revision::Column::Id.is_in(ids)).all(db).await?.into_iter().map(|r| (r.environment_id, r)).collect();
    found.sort_by_key(|(env, r)| (r.proxy_id, *env));
    Ok(found)
}

/// "Development: the live revision 3 differs from the saved configuration (Backend URL)", for
/// each environment where deploying again would change something.
pub async fn drift(db: &DatabaseConnection, proxy: &proxy::Model) -> Result<Vec<String>> {
    let mut warnings = Vec::new();
    for env in environment::Entity::find().order_by_asc(environment::Column::Position).all(db).await? {
        let Some(live) = live_revision(db, proxy.id, env.id).await? else { continue };
        let (Ok(live_snapshot), Ok(saved)) = (revisions::decode(&live), revisions::saved(db, proxy, &env).await) else { continue };
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
/// deploy. A deploy still pending does not change where it stands.
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
        let state = match (row.outcome, row.action, row.revision_id) {
            (Outcome::Pending, _, _) => continue,
            (Outcome::Live, Action::Deploy, Some(id)) => DeploymentState::Deployed { revision: numbers.get(&id).copied().unwrap_or(0) as u32 },
            (Outcome::Live, _, _) => DeploymentState::NotDeployed,
            (Outcome::Failed, _, _) => DeploymentState::Failed { reason: row.message },
        };
        states.insert(row.environment_id, state);
    }
    Ok(states)
}
