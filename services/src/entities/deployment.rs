use crate::model::{DeploymentAction, DeploymentOutcome};
use sea_orm::entity::prelude::*;

/// One deploy or undeploy of a proxy in an environment, and whether it took effect.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "deployments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub proxy_id: i32,
    pub environment_id: i32,
    /// `None` for an undeploy.
    pub revision_id: Option<i32>,
    pub action: DeploymentAction,
    /// Pending from before the swap until it took effect (live) or not (failed).
    pub outcome: DeploymentOutcome,
    pub message: String,
    pub elapsed_ms: i32,
    pub deployed_by: Option<i32>,
    pub deployed_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
