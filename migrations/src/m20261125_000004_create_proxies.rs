//! API proxies, their endpoint configuration per environment (with the endpoint certificates
//! each trusts), and the activity log that records every change.
use super::m20261125_000001_create_accounts::{Projects, Users};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Proxies {
    Table,
    Id,
    ProjectId,
    Name,
    Slug,
    Version,
    ContextPath,
    Description,
    /// The OpenAPI contract as uploaded (YAML or JSON), or null.
    Contract,
    /// JSON array of the contract's operations, read when it was uploaded.
    Operations,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum EndpointConfigs {
    Table,
    Id,
    ProxyId,
    EnvironmentId,
    Url,
    VerifyHostname,
    VerifyChain,
    MutualSsl,
    ClientCertificateId,
    ConnectTimeoutMs,
    ReadTimeoutMs,
    /// The publisher saved despite a certificate that does not name the URL's host.
    HostMismatchAccepted,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum EndpointCertificates {
    Table,
    EndpointConfigId,
    CertificateId,
}

#[derive(DeriveIden)]
enum Certificates {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Environments {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Activities {
    Table,
    Id,
    ProjectId,
    ProxyId,
    ActorId,
    ActorName,
    Action,
    Summary,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Proxies::Table)
                    .col(ColumnDef::new(Proxies::Id).integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(Proxies::ProjectId).integer().not_null())
                    .col(ColumnDef::new(Proxies::Name).string_len(100).not_null())
                    .col(ColumnDef::new(Proxies::Slug).string_len(64).not_null())
                    .col(ColumnDef::new(Proxies::Version).string_len(32).not_null())
                    // One gateway serves every project, so a context path is unique everywhere.
                    .col(ColumnDef::new(Proxies::ContextPath).string_len(200).not_null().unique_key())
                    .col(ColumnDef::new(Proxies::Description).text().not_null())
                    .col(ColumnDef::new(Proxies::Contract).text().null())
                    .col(ColumnDef::new(Proxies::Operations).text().not_null())
                    .col(ColumnDef::new(Proxies::CreatedBy).integer().null())
                    .col(ColumnDef::new(Proxies::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Proxies::UpdatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create().from(Proxies::Table, Proxies::ProjectId).to(Projects::Table, Projects::Id).on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(ForeignKey::create().from(Proxies::Table, Proxies::CreatedBy).to(Users::Table, Users::Id).on_delete(ForeignKeyAction::SetNull))
                    .index(Index::create().name("ux_proxies_project_slug").col(Proxies::ProjectId).col(Proxies::Slug).unique())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EndpointConfigs::Table)
                    .col(ColumnDef::new(EndpointConfigs::Id).integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(EndpointConfigs::ProxyId).integer().not_null())
                    .col(ColumnDef::new(EndpointConfigs::EnvironmentId).integer().not_null())
                    .col(ColumnDef::new(EndpointConfigs::Url).string_len(2048).not_null())
                    .col(ColumnDef::new(EndpointConfigs::VerifyHostname).boolean().not_null())
                    .col(ColumnDef::new(EndpointConfigs::VerifyChain).boolean().not_null())
                    .col(ColumnDef::new(EndpointConfigs::MutualSsl).boolean().not_null())
                    .col(ColumnDef::new(EndpointConfigs::ClientCertificateId).integer().null())
                    .col(ColumnDef::new(EndpointConfigs::ConnectTimeoutMs).integer().not_null())
                    .col(ColumnDef::new(EndpointConfigs::ReadTimeoutMs).integer().not_null())
                    .col(ColumnDef::new(EndpointConfigs::HostMismatchAccepted).boolean().not_null())
                    .col(ColumnDef::new(EndpointConfigs::UpdatedBy).integer().null())
                    .col(ColumnDef::new(EndpointConfigs::UpdatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(EndpointConfigs::Table, EndpointConfigs::ProxyId)
                            .to(Proxies::Table, Proxies::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(EndpointConfigs::Table, EndpointConfigs::EnvironmentId)
                            .to(Environments::Table, Environments::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    // A certificate in use cannot be deleted (the service says where it is used first).
                    .foreign_key(
                        ForeignKey::create()
                            .from(EndpointConfigs::Table, EndpointConfigs::ClientCertificateId)
                            .to(Certificates::Table, Certificates::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(EndpointConfigs::Table, EndpointConfigs::UpdatedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .index(
                        Index::create()
                            .name("ux_endpoint_configs_proxy_environment")
                            .col(EndpointConfigs::ProxyId)
                            .col(EndpointConfigs::EnvironmentId)
                            .unique(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EndpointCertificates::Table)
                    .col(ColumnDef::new(EndpointCertificates::EndpointConfigId).integer().not_null())
                    .col(ColumnDef::new(EndpointCertificates::CertificateId).integer().not_null())
                    .primary_key(Index::create().col(EndpointCertificates::EndpointConfigId).col(EndpointCertificates::CertificateId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(EndpointCertificates::Table, EndpointCertificates::EndpointConfigId)
                            .to(EndpointConfigs::Table, EndpointConfigs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(EndpointCertificates::Table, EndpointCertificates::CertificateId)
                            .to(Certificates::Table, Certificates::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Activities::Table)
                    .col(ColumnDef::new(Activities::Id).integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(Activities::ProjectId).integer().not_null())
                    // Kept (as null) when the proxy is deleted, so its deletion stays on record.
                    .col(ColumnDef::new(Activities::ProxyId).integer().null())
                    .col(ColumnDef::new(Activities::ActorId).integer().null())
                    // The name at the time, so the record survives the user's deletion.
                    .col(ColumnDef::new(Activities::ActorName).string_len(200).not_null())
                    .col(ColumnDef::new(Activities::Action).string_len(64).not_null())
                    .col(ColumnDef::new(Activities::Summary).text().not_null())
                    .col(ColumnDef::new(Activities::CreatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(Activities::Table, Activities::ProjectId)
                            .to(Projects::Table, Projects::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create().from(Activities::Table, Activities::ProxyId).to(Proxies::Table, Proxies::Id).on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create().from(Activities::Table, Activities::ActorId).to(Users::Table, Users::Id).on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("ix_activities_project_created").table(Activities::Table).col(Activities::ProjectId).col(Activities::CreatedAt).to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [Activities::Table.into_iden(), EndpointCertificates::Table.into_iden(), EndpointConfigs::Table.into_iden(), Proxies::Table.into_iden()] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
