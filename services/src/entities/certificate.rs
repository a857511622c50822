use sea_orm::entity::prelude::*;

/// A certificate store entry. `sealed_key`/`key_nonce` hold a client pair's private key,
/// encrypted under the master key named by `master_key_id`; never returned by any API.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "certificates")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub project_id: i32,
    pub kind: String,
    pub name: String,
    pub subject: String,
    pub issuer: String,
    pub subject_alt_names: String,
    pub serial: String,
    pub not_before: TimeDateTimeWithTimeZone,
    pub not_after: TimeDateTimeWithTimeZone,
    pub key_type: String,
    pub is_ca: bool,
    pub self_signed: bool,
    pub fingerprint_sha256: String,
    pub certificate_pem: String,
    pub chain_length: i32,
    pub sealed_key: Option<Vec<u8>>,
    pub key_nonce: Option<Vec<u8>>,
    pub master_key_id: Option<String>,
    pub source: String,
    pub created_by: Option<i32>,
    pub created_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "super::project::Entity", from = "Column::ProjectId", to = "super::project::Column::Id", on_delete = "Cascade")]
    Project,
}

impl Related<super::project::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Project.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
