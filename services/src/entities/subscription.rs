use sea_orm::entity::prelude::*;

/// One consumer's access to one product. Its keys are stored only as SHA-256 (hex), with the
/// first characters of each to tell them apart.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "subscriptions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub project_id: i32,
    pub product_id: i32,
    pub name: String,
    pub contact_email: String,
    /// "active", "suspended" or "cancelled".
    pub state: String,
    #[sea_orm(unique)]
    pub primary_hash: String,
    pub primary_prefix: String,
    #[sea_orm(unique)]
    pub secondary_hash: String,
    pub secondary_prefix: String,
    /// The one client certificate (SHA-256, lower-case hex) that calls as this subscription.
    pub client_certificate_fingerprint: Option<String>,
    /// The trusted client CA (certificate store entry) whose certificates call as it.
    pub client_ca_id: Option<i32>,
    pub created_by: Option<i32>,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
