//! Indexes for the lookups that run per proxy or per certificate: a proxy's deployments per
//! environment (the live revision, the listing badges), its activity, and where a certificate
//! is used. Without them each is a scan of every proxy's rows, and saving, listing and
//! creating slow down as proxies are added.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEXES: [(&str, &str, &[&str]); 4] = [
    ("ix_deployments_proxy_environment", "deployments", &["proxy_id", "environment_id", "id"]),
    ("ix_activities_proxy", "activities", &["proxy_id", "created_at", "id"]),
    ("ix_endpoint_certificates_certificate", "endpoint_certificates", &["certificate_id"]),
    ("ix_endpoint_configs_client_certificate", "endpoint_configs", &["client_certificate_id"]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, columns) in INDEXES {
            let mut index = Index::create();
            index.name(name).table(Alias::new(table));
            for column in columns {
                index.col(Alias::new(*column));
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, _) in INDEXES {
            manager.drop_index(Index::drop().name(name).table(Alias::new(table)).to_owned()).await?;
        }
        Ok(())
    }
}
