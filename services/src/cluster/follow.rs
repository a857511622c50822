//! Each node's half of the cluster, one task: LISTEN for announced changes and apply each from
//! the database; every `HEARTBEAT`, compare every scope's version with what this node has
//! applied and read the scopes it is behind on whole (a missed notification, a lost
//! connection, changes made while it was down), then write its heartbeat. Applying reads the
//! same services a deploy uses, so a node serves exactly what the deploying node serves.
//! While the database is unreachable the node keeps serving what it has, and catches up when
//! the database is back.
use super::{parse_announcement, Node, CHANNEL, HEARTBEAT};
use crate::entities::environment;
use crate::{Error, Result, Services};
use sea_orm::EntityTrait;
use sqlx::postgres::PgListener;
use std::time::Duration;

/// Starts following (and, on SQLite, only the heartbeat) for as long as the process runs.
pub fn start(services: Services) {
    tokio::spawn(run(services));
}

async fn run(services: Services) {
    let postgres = super::is_postgres(&services.db);
    let mut listener: Option<PgListener> = None;
    let mut tick = tokio::time::interval(HEARTBEAT);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        if postgres && listener.is_none() {
            listener = listen(&services).await;
            if listener.is_some() {
                // Whatever changed while nobody listened.
                reconcile(&services).await;
            }
        }
        tokio::select! {
            _ = tick.tick() => {
                reconcile(&services).await;
                beat(&services).await;
            }
            message = next(&mut listener) => match message {
                Ok(Some(notification)) => {
                    if let Err(e) = on_notification(&services, notification.payload()).await {
                        tracing::warn!(error = %e, "an announced change could not be applied; the next reconcile retries");
                    }
                    beat(&services).await;
                }
                Ok(None) => {
                    tracing::warn!("the connection that listens for changes was lost; catching up once it is back");
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for changes (the database is unreachable?); serving what this node has");
                    listener = None;
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }
}

async fn listen(services: &Services) -> Option<PgListener> {
    let pool = services.db.get_postgres_connection_pool();
    let attempt = async {
        let mut listener = PgListener::connect_with(pool).await?;
        listener.listen(CHANNEL).await?;
        Ok::<_, sqlx::Error>(listener)
    };
    match attempt.await {
        Ok(listener) => Some(listener),
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for changes yet; retrying");
            None
        }
    }
}

async fn next(listener: &mut Option<PgListener>) -> std::result::Result<Option<sqlx::postgres::PgNotification>, sqlx::Error> {
    match listener {
        Some(listener) => listener.try_recv().await,
        None => std::future::pending().await,
    }
}

async fn beat(services: &Services) {
    if let Err(e) = super::heartbeat(services).await {
        tracing::debug!(error = %e, "the heartbeat could not be written");
    }
}

/// `origin|scope|version|detail`: the next version of a scope is applied as announced (by
/// the node that made it, already), one further ahead means one was missed: the scope whole.
async fn on_notification(services: &Services, payload: &str) -> Result<()> {
    let Some((origin, scope, version, detail)) = parse_announcement(payload) else {
        tracing::warn!(payload, "an announcement that does not parse was ignored");
        return Ok(());
    };
    let node: &Node = &services.cluster;
    let applied = node.applied(scope);
    if version <= applied {
        return Ok(());
    }
    if version == applied + 1 {
        if origin != node.id {
            apply_change(services, scope, detail).await?;
        }
    } else {
        apply_scope(services, scope).await?;
    }
    node.set_applied(scope.to_string(), version);
    Ok(())
}

/// Reads whole every scope whose version is ahead of what this node applied.
async fn reconcile(services: &Services) {
    let latest = match super::versions(&services.db).await {
        Ok(latest) => latest,
        Err(e) => return tracing::debug!(error = %e, "cannot read the configuration versions"),
    };
    for (scope, version) in latest {
        if version > services.cluster.applied(&scope) {
            match apply_scope(services, &scope).await {
                Ok(()) => {
                    tracing::info!(%scope, version, "caught up with changes announced while this node was not listening");
                    services.cluster.set_applied(scope, version);
                }
                Err(e) => tracing::warn!(%scope, error = %e, "could not catch up; retrying at the next heartbeat"),
            }
        }
    }
}

async fn environment(services: &Services, scope: &str) -> Result<environment::Model> {
    let id: i32 = scope.strip_prefix("environment:").and_then(|id| id.parse().ok()).ok_or_else(|| Error::Internal(format!("unknown scope {scope}")))?;
    environment::Entity::find_by_id(id).one(&services.db).await?.ok_or_else(|| Error::NotFound(format!("environment {id}")))
}

/// One proxy's route from what the database calls live, or the scope whole.
async fn apply_change(services: &Services, scope: &str, detail: &str) -> Result<()> {
    match detail.strip_prefix("proxy:").and_then(|id| id.parse::<i32>().ok()) {
        Some(proxy) => {
            let env = environment(services, scope).await?;
            let _one_at_a_time = services.deploy_lock.lock().await;
            crate::deployments::publish_one(services, &env, proxy).await
        }
        None => apply_scope(services, scope).await,
    }
}

/// An environment's routes and edge, or every credential, read whole and swapped in.
async fn apply_scope(services: &Services, scope: &str) -> Result<()> {
    if scope == "credentials" {
        return crate::credentials::apply(services).await.map(|_| ());
    }
    let env = environment(services, scope).await?;
    let _one_at_a_time = services.deploy_lock.lock().await;
    crate::deployments::publish(services, &env).await?;
    crate::domains::apply_edge(services, &env).await
}
