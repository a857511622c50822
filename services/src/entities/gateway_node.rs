use sea_orm::entity::prelude::*;

/// One running node: its gateway listeners (and console, unless `role` is "gateway"), what
/// configuration version it has applied per scope (JSON), and its last heartbeat.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "gateway_nodes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub role: String,
    pub address: String,
    pub version: String,
    pub serving: String,
    pub limits: String,
    pub started_at: TimeDateTimeWithTimeZone,
    pub heartbeat_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
