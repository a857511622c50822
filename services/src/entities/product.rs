use sea_orm::entity::prelude::*;

/// A product of a project: the proxies it grants (`product_proxy`) and its plan.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "products")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub project_id: i32,
    pub name: String,
    pub slug: String,
    pub description: String,
    pub rate_requests: Option<i32>,
    pub rate_per_seconds: Option<i32>,
    pub quota_requests: Option<i64>,
    /// "day" or "month".
    pub quota_period: Option<String>,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
