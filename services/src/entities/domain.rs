use sea_orm::entity::prelude::*;

/// A custom domain of an environment's listener. `sealed_key`/`key_nonce` hold the private key,
/// encrypted under the master key named by `master_key_id`; never returned by any API.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "domains")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub environment_id: i32,
    /// Lowercase, no trailing dot; `*.example.com` for a wildcard.
    pub hostname: String,
    /// "uploaded" or "acme".
    pub source: String,
    /// Leaf first, then each issuer; empty while an ACME order is pending.
    pub certificate_pem: String,
    pub sealed_key: Option<Vec<u8>>,
    pub key_nonce: Option<Vec<u8>>,
    pub master_key_id: Option<String>,
    pub issuer: String,
    pub not_after: Option<TimeDateTimeWithTimeZone>,
    pub fingerprint_sha256: String,
    pub acme_directory_url: Option<String>,
    pub acme_contact_email: Option<String>,
    pub acme_state: Option<String>,
    pub acme_detail: Option<String>,
    pub created_by: Option<i32>,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "super::environment::Entity", from = "Column::EnvironmentId", to = "super::environment::Column::Id", on_delete = "Cascade")]
    Environment,
}

impl Related<super::environment::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Environment.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
