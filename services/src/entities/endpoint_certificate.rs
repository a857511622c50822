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

/// The ids of the endpoint certificates a configuration trusts.
pub async fn ids_for(db: &impl ConnectionTrait, endpoint_config_id: i32) -> Result<Vec<i32>, DbErr> {
    let rows = Entity::find().filter(Column::EndpointConfigId.eq(endpoint_config_id)).all(db).await?;
    Ok(rows.into_iter().map(|t| t.certificate_id).collect())
}
