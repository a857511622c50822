use sea_orm::entity::prelude::*;

/// An API proxy: what the gateway routes by `context_path`, per environment once deployed.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "proxies")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub project_id: i32,
    pub name: String,
    pub slug: String,
    pub version: String,
    #[sea_orm(unique)]
    pub context_path: String,
    pub description: String,
    /// The OpenAPI document as uploaded (YAML or JSON).
    pub contract: Option<String>,
    /// JSON array of `model::Operation`, read from the contract when it was saved.
    pub operations: String,
    /// "open" or "subscription" (`model::AccessMode`).
    pub access_mode: String,
    pub key_header: String,
    pub key_query: String,
    /// Whether a client certificate is accepted as the caller's credential.
    pub client_certificate: bool,
    /// JSON array of `model::Policy`, checked when saved.
    pub policies: String,
    /// "created", "published", "deprecated" or "retired" (`model::Lifecycle`).
    pub lifecycle: String,
    pub deprecated_at: Option<TimeDateTimeWithTimeZone>,
    pub sunset: Option<TimeDateTimeWithTimeZone>,
    pub created_by: Option<i32>,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
