use sea_orm::entity::prelude::*;

/// One recorded change: who did what, when.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "activities")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub project_id: i32,
    pub proxy_id: Option<i32>,
    pub actor_id: Option<i32>,
    pub actor_name: String,
    /// A stable name such as "proxy.created" or "endpoint.saved".
    pub action: String,
    pub summary: String,
    pub created_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
