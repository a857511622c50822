//! The Deploy page's data: per environment, in promotion order, the live deploy, the invoke
//! URL, what Save & Deploy would change, the revisions and the history; and the history alone.
use super::record::describe;
use crate::auth::Actor;
use crate::entities::{deployment, environment, revision, user};
use crate::live::{live_revision, states};
use crate::model::{Deployment, DeploymentAction as Action, DeploymentOutcome as Outcome, DeploymentState, EnvironmentDeployment, Page, RevisionSummary};
use crate::projects::Need;
use crate::proxies::find;
use crate::{revisions, Result, Services};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use std::collections::HashMap;

/// Everything the Deploy page shows for each environment, in promotion order.
pub async fn overview(services: &Services, actor: &Actor, project: &str, proxy: &str) -> Result<Vec<EnvironmentDeployment>> {
    let db = &services.db;
    let found = find(db, actor, project, proxy, Need::See).await?;
    let mut states = states(db, found.proxy.id).await?;
    let all = history(db, actor, project, proxy, 1, 100).await?.items;
    let revisions = revision::Entity::find().filter(revision::Column::ProxyId.eq(found.proxy.id)).order_by_desc(revision::Column::Number).all(db).await?;
    let people: HashMap<i32, String> = user::Entity::find().all(db).await?.into_iter().map(|u| (u.id, u.name)).collect();
    let models: HashMap<i32, environment::Model> = environment::Entity::find().all(db).await?.into_iter().map(|e| (e.id, e)).collect();
    let mut serving = crate::cluster::serving_environments(db).await?;
    let mut out = Vec::new();
    for env in crate::environments::list_with_gateways(services).await? {
        let Some(model) = models.get(&env.id) else { continue };
        let live_now = live_revision(db, found.proxy.id, env.id).await?;
        let live_snapshot = live_now.as_ref().and_then(|r| revisions::decode(r).ok());
        let history: Vec<Deployment> = all.iter().filter(|d| d.environment == env.slug).cloned().collect();
        let live = live_now
            .as_ref()
            .and_then(|r| history.iter().find(|d| d.revision == Some(r.number as u32) && d.outcome == Outcome::Live && d.action == Action::Deploy).cloned());
        let saved = revisions::saved(db, &found.proxy, model).await.ok();
        let changes = match (&live_snapshot, &saved) {
            (Some(live), Some(saved)) => live.changes_to(saved),
            _ => Vec::new(),
        };
        let summaries = revisions
            .iter()
            .filter(|r| r.environment_id == env.id)
            .filter_map(|r| {
                let s = revisions::decode(r).ok()?;
                Some(RevisionSummary {
                    number: r.number as u32,
                    environment: env.slug.clone(),
                    url: s.url,
                    client_certificate: s.client_certificate.map(|c| c.name),
                    created_by: r.created_by.and_then(|id| people.get(&id).cloned()),
                    created_at: r.created_at,
                })
            })
            .collect();
        let invoke_url = live_snapshot.map(|s| s.context_path).zip(env.gateway_url.as_ref()).map(|(path, base)| format!("{base}{path}"));
        let live_on = serving.remove(&env.id).filter(|on| live.is_some() && (on.of > 1 || !on.lagging.is_empty()));
        out.push(EnvironmentDeployment {
            state: states.remove(&env.id).unwrap_or(DeploymentState::NotDeployed),
            environment: env,
            live,
            invoke_url,
            saved_url: saved.map(|s| s.url),
            changes,
            revisions: summaries,
            history,
            live_on,
        });
    }
    Ok(out)
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
    let numbers: HashMap<i32, i32> =
        revision::Entity::find().filter(revision::Column::ProxyId.eq(found.proxy.id)).all(db).await?.into_iter().map(|r| (r.id, r.number)).collect();
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
