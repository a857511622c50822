use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "environments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub name: String,
    #[sea_orm(unique)]
    pub slug: String,
    #[sea_orm(unique)]
    pub position: i32,
    /// The gateway listener's certificate (and chain), PEM; created on first start.
    pub gateway_certificate_pem: Option<String>,
    pub gateway_sealed_key: Option<Vec<u8>>,
    pub gateway_key_nonce: Option<Vec<u8>>,
    pub gateway_master_key_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl From<Model> for crate::model::Environment {
    fn from(m: Model) -> Self {
        crate::model::Environment {
            id: m.id,
            name: m.name,
            slug: m.slug,
            position: m.position,
            gateway_url: None,
            gateway_certificate_pem: m.gateway_certificate_pem,
        }
    }
}
