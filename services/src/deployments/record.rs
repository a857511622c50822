//! The deployments table. A row is written pending before the gateway is touched and settled
//! (live or failed) after, so the database never calls live what the gateway does not serve; a
//! row still pending at the next start is settled by `restore`.
use crate::activity;
use crate::auth::Actor;
use crate::entities::{deployment, environment};
use crate::model::{Deployment, DeploymentAction as Action, DeploymentOutcome as Outcome};
use crate::proxies::Found;
use crate::Result;
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set, TransactionTrait};

/// Records a deployment as pending: nothing has changed in the gateway yet.
pub(super) async fn pending(
    db: &DatabaseConnection,
    actor: &Actor,
    found: &Found,
    env: &environment::Model,
    revision_id: Option<i32>,
    action: Action,
) -> Result<deployment::Model> {
    Ok(deployment::ActiveModel {
        proxy_id: Set(found.proxy.id),
        environment_id: Set(env.id),
        revision_id: Set(revision_id),
        action: Set(action),
        outcome: Set(Outcome::Pending),
        message: Set(format!(
            "{} in progress: the gateway has not swapped it in yet.",
            match action {
                Action::Deploy => "Deploy",
                Action::Undeploy => "Undeploy",
            }
        )),
        elapsed_ms: Set(0),
        deployed_by: Set(Some(actor.id)),
        deployed_at: Set(time::OffsetDateTime::now_utc()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Settles a pending deployment with what the gateway did, and logs it in the project's
/// activity, in one transaction.
pub(super) async fn settle(
    db: &DatabaseConnection,
    actor: &Actor,
    found: &Found,
    row: deployment::Model,
    outcome: Outcome,
    message: &str,
    elapsed_ms: i32,
) -> Result<deployment::Model> {
    let action = row.action;
    let txn = db.begin().await?;
    let mut active: deployment::ActiveModel = row.into();
    active.outcome = Set(outcome);
    active.message = Set(message.to_string());
    active.elapsed_ms = Set(elapsed_ms);
    let settled = active.update(&txn).await?;
    let kind = match (action, outcome) {
        (Action::Undeploy, Outcome::Live) => "deployment.undeployed".to_string(),
        (_, outcome) => format!("deployment.{}", outcome.as_str()),
    };
    activity::record(&txn, actor, found.access.project.id, Some(found.proxy.id), &kind, message).await?;
    txn.commit().await?;
    Ok(settled)
}

/// A row as the Deploy page and the REST API show it.
pub(super) fn describe(row: deployment::Model, proxy: &str, env: &environment::Model, revision: Option<u32>, deployed_by: Option<String>) -> Deployment {
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
        live_on: None,
    }
}
