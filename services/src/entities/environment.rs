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
    /// Where this environment's backends may be: ranges one per line ("" for no list).
    pub allowed_destinations: String,
    /// Where they may never be, whatever else is allowed.
    pub denied_destinations: String,
    /// The listener's oldest TLS version: "1.2" or "1.3".
    pub tls_min_version: String,
    /// The TLS 1.2 suites the listener allows, one per line ("" for all Gatehouse offers).
    pub tls_cipher_suites: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// The lists as the gateway checks them. They were validated when saved; a list that no
    /// longer reads (edited by hand in the database) refuses everything rather than nothing.
    pub fn destinations(&self) -> gateway::Destinations {
        let read = |text: &str| gateway::destinations::parse_ranges(text);
        match (read(&self.allowed_destinations), read(&self.denied_destinations)) {
            (Ok(allow), Ok(deny)) => gateway::Destinations { allow, deny },
            _ => {
                tracing::error!(environment = %self.slug, "the destination lists cannot be read: every backend is refused until an admin saves them again");
                gateway::Destinations { allow: vec![], deny: vec!["0.0.0.0/0".parse().expect("a range"), "::/0".parse().expect("a range")] }
            }
        }
    }
}

impl From<Model> for crate::model::Environment {
    fn from(m: Model) -> Self {
        let tls = crate::domains::show_settings(&m);
        crate::model::Environment {
            id: m.id,
            name: m.name,
            slug: m.slug,
            position: m.position,
            gateway_url: None,
            gateway_certificate_pem: m.gateway_certificate_pem,
            allowed_destinations: m.allowed_destinations.lines().map(str::to_string).collect(),
            denied_destinations: m.denied_destinations.lines().map(str::to_string).collect(),
            tls,
            domains: Vec::new(),
        }
    }
}
