use sea_orm::entity::prelude::*;

/// An immutable snapshot of a proxy for one environment, as it was deployed.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "revisions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub proxy_id: i32,
    pub environment_id: i32,
    /// 1, 2, 3… per proxy.
    pub number: i32,
    /// JSON of `revisions::Snapshot`.
    pub snapshot: String,
    pub created_by: Option<i32>,
    pub created_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
