//! Schema migrations, written with sea-orm's schema builder so the same code creates the
//! tables on SQLite (the default) and PostgreSQL. This crate never depends on `app`.
pub use sea_orm_migration::prelude::*;

mod m20261125_000001_create_accounts;
mod m20261125_000002_create_environments;
mod m20261125_000003_create_certificates;
mod m20261125_000004_create_proxies;
mod m20261125_000005_add_gateway_certificates;
mod m20261125_000006_create_deployments;
mod m20261125_000007_index_lookups;
mod m20261203_000008_destinations_and_settings;
mod m20261203_000009_create_consumers;
mod m20261203_000010_create_subscription_usage;
mod m20261203_000011_client_certificates;
mod m20261203_000012_policies_and_lifecycle;
mod m20261203_000013_domains_and_listener_tls;
mod m20261204_000014_endpoint_tls;
mod m20261204_000015_cluster;
mod m20261204_000016_node_limits;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_create_accounts::Migration),
            Box::new(m20261125_000002_create_environments::Migration),
            Box::new(m20261125_000003_create_certificates::Migration),
            Box::new(m20261125_000004_create_proxies::Migration),
            Box::new(m20261125_000005_add_gateway_certificates::Migration),
            Box::new(m20261125_000006_create_deployments::Migration),
            Box::new(m20261125_000007_index_lookups::Migration),
            Box::new(m20261203_000008_destinations_and_settings::Migration),
            Box::new(m20261203_000009_create_consumers::Migration),
            Box::new(m20261203_000010_create_subscription_usage::Migration),
            Box::new(m20261203_000011_client_certificates::Migration),
            Box::new(m20261203_000012_policies_and_lifecycle::Migration),
            Box::new(m20261203_000013_domains_and_listener_tls::Migration),
            Box::new(m20261204_000014_endpoint_tls::Migration),
            Box::new(m20261204_000015_cluster::Migration),
            Box::new(m20261204_000016_node_limits::Migration),
        ]
    }
}
