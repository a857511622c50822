use sea_orm::entity::prelude::*;

/// How one proxy reaches its backend in one environment. Saved here; live only once deployed.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "endpoint_configs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub proxy_id: i32,
    pub environment_id: i32,
    pub url: String,
    pub verify_hostname: bool,
    pub verify_chain: bool,
    pub mutual_ssl: bool,
    pub client_certificate_id: Option<i32>,
    pub connect_timeout_ms: i32,
    pub read_timeout_ms: i32,
    pub host_mismatch_accepted: bool,
    /// "1.2" or "1.3".
    pub tls_min_version: String,
    pub tls_max_version: String,
    /// TLS 1.2 suite names, one per line; empty for all.
    pub tls_cipher_suites: String,
    /// `sha256/<base64>` pins, one per line.
    pub spki_pins: String,
    pub updated_by: Option<i32>,
    pub updated_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// The one lookup of a proxy's saved configuration for an environment.
pub async fn of(db: &impl ConnectionTrait, proxy_id: i32, environment_id: i32) -> Result<Option<Model>, DbErr> {
    Entity::find().filter(Column::ProxyId.eq(proxy_id)).filter(Column::EnvironmentId.eq(environment_id)).one(db).await
}
