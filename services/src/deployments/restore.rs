//! At start: deploys the server stopped in the middle of are settled as failed (the gateway
//! never kept their swap: it starts empty), then what is live in every environment the gateway
//! serves is published again, so the gateway serves exactly what the database calls live.
use crate::entities::{deployment, environment, proxy};
use crate::live::live_revisions;
use crate::model::DeploymentOutcome as Outcome;
use crate::{revisions, Result, Services};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

/// What an interrupted deploy says in the history.
pub const INTERRUPTED: &str = "The server stopped before this deploy finished; what was live before it stays live. Deploy again.";

/// Settles interrupted deploys, then publishes what is live. A revision that no longer
/// compiles is logged and left out; the others serve.
pub async fn restore(services: &Services) -> Result<usize> {
    let interrupted = settle_interrupted(services).await?;
    if interrupted > 0 {
        tracing::warn!(deployments = interrupted, "deploys interrupted by the last stop were marked failed");
    }
    let mut total = 0;
    for env in environment::Entity::find().all(&services.db).await? {
        match publish(services, &env).await {
            Ok(count) => total += count.unwrap_or(0),
            Err(e) => tracing::error!(environment = %env.slug, error = %e, "the live routes could not be published"),
        }
    }
    Ok(total)
}

/// Hands the gateway every live revision of `env` again, compiled with the environment's
/// current settings (its destination lists), in one swap. A revision that no longer compiles
/// is logged and left out; the others serve. `None` when this process has no listener for it.
pub async fn publish(services: &Services, env: &environment::Model) -> Result<Option<usize>> {
    let destinations = std::sync::Arc::new(env.destinations());
    let live = live_revisions(&services.db, env.id).await?;
    // Only deprecated and retired proxies compile differently: read those (few), not every proxy.
    let lifecycles: std::collections::HashMap<i32, gateway::policies::LifecycleSpec> = proxy::Entity::find()
        .filter(proxy::Column::Lifecycle.is_in(["deprecated", "retired"]))
        .all(&services.db)
        .await?
        .iter()
        .map(|p| (p.id, crate::proxies::lifecycle::spec(p)))
        .collect();
    let mut routes = Vec::new();
    for (proxy_id, rev) in live {
        let lifecycle = lifecycles.get(&proxy_id).copied().unwrap_or_default();
        match revisions::decode(&rev).and_then(|s| s.route(proxy_id, lifecycle, &services.master_key, &destinations)) {
            Ok(route) => routes.push(route),
            Err(e) => tracing::error!(environment = %env.slug, proxy_id, revision = rev.number, error = %e, "a live revision could not be published"),
        }
    }
    match services.gateway.replace_all(&env.slug, routes) {
        Ok(count) => Ok(Some(count)),
        Err(gateway::Error::NotServed(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Hands the gateway one proxy's route in `env` as the database has it now: its live
/// revision compiled with its lifecycle, or no route when it has none (another node undeployed
/// it). Call under the deploy lock.
pub async fn publish_one(services: &Services, env: &environment::Model, proxy_id: i32) -> Result<()> {
    let live = crate::live::live_revision(&services.db, proxy_id, env.id).await?;
    let proxy = proxy::Entity::find_by_id(proxy_id).one(&services.db).await?;
    let applied = match (live, proxy) {
        (Some(rev), Some(proxy)) => {
            let destinations = std::sync::Arc::new(env.destinations());
            let route = revisions::decode(&rev)?.route(proxy_id, crate::proxies::lifecycle::spec(&proxy), &services.master_key, &destinations)?;
            services.gateway.upsert(&env.slug, route)
        }
        _ => services.gateway.remove(&env.slug, proxy_id),
    };
    match applied {
        Ok(()) | Err(gateway::Error::NotServed(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

async fn settle_interrupted(services: &Services) -> Result<u64> {
    let db = &services.db;
    let mut stale = deployment::Entity::update_many()
        .col_expr(deployment::Column::Outcome, Expr::value(Outcome::Failed.as_str()))
        .col_expr(deployment::Column::Message, Expr::value(INTERRUPTED))
        .filter(deployment::Column::Outcome.eq(Outcome::Pending));
    if crate::cluster::others_up(services).await? {
        // Other nodes may be deploying right now: only what no deploy takes this long for.
        stale = stale.filter(deployment::Column::DeployedAt.lt(time::OffsetDateTime::now_utc() - time::Duration::minutes(1)));
    }
    let settled = stale.exec(db).await?;
    Ok(settled.rows_affected)
}
