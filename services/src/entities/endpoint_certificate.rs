use sea_orm::entity::prelude::*;

/// An endpoint certificate an endpoint configuration trusts (one row per certificate).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "endpoint_certificates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub endpoint_config_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub certificate_id: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
