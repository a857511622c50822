use sea_orm::entity::prelude::*;

/// One subscription's requests on one UTC day, by outcome.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "subscription_usage")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub subscription_id: i32,
    /// "2026-12-03".
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: String,
    pub allowed: i64,
    pub rate_limited: i64,
    pub quota: i64,
    pub refused: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
