//! Revisions (immutable snapshots of a proxy as deployed to one environment, certificates
//! included) and deployments (every deploy and undeploy, with its outcome).
use super::m20261125_000001_create_accounts::Users;
use super::m20261125_000004_create_proxies::Proxies;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Revisions {
    Table,
    Id,
    ProxyId,
    EnvironmentId,
    Number,
    /// JSON: the proxy, the endpoint configuration and the certificates as they were.
    Snapshot,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Deployments {
    Table,
    Id,
    ProxyId,
    EnvironmentId,
    RevisionId,
    /// "deploy" or "undeploy".
    Action,
    /// "live" (it took effect) or "failed".
    Outcome,
    Message,
    ElapsedMs,
    DeployedBy,
    DeployedAt,
}

#[derive(DeriveIden)]
enum Environments {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Revisions::Table)
                    .col(ColumnDef::new(Revisions::Id).integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(Revisions::ProxyId).integer().not_null())
                    .col(ColumnDef::new(Revisions::EnvironmentId).integer().not_null())
                    .col(ColumnDef::new(Revisions::Number).integer().not_null())
                    .col(ColumnDef::new(Revisions::Snapshot).text().not_null())
                    .col(ColumnDef::new(Revisions::CreatedBy).integer().null())
                    .col(ColumnDef::new(Revisions::CreatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create().from(Revisions::Table, Revisions::ProxyId).to(Proxies::Table, Proxies::Id).on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Revisions::Table, Revisions::EnvironmentId)
                            .to(Environments::Table, Environments::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create().from(Revisions::Table, Revisions::CreatedBy).to(Users::Table, Users::Id).on_delete(ForeignKeyAction::SetNull),
                    )
                    .index(Index::create().name("ux_revisions_proxy_number").col(Revisions::ProxyId).col(Revisions::Number).unique())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Deployments::Table)
                    .col(ColumnDef::new(Deployments::Id).integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(Deployments::ProxyId).integer().not_null())
                    .col(ColumnDef::new(Deployments::EnvironmentId).integer().not_null())
                    .col(ColumnDef::new(Deployments::RevisionId).integer().null())
                    .col(ColumnDef::new(Deployments::Action).string_len(16).not_null())
                    .col(ColumnDef::new(Deployments::Outcome).string_len(16).not_null())
                    .col(ColumnDef::new(Deployments::Message).text().not_null())
                    .col(ColumnDef::new(Deployments::ElapsedMs).integer().not_null())
                    .col(ColumnDef::new(Deployments::DeployedBy).integer().null())
                    .col(ColumnDef::new(Deployments::DeployedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(Deployments::Table, Deployments::ProxyId)
                            .to(Proxies::Table, Proxies::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Deployments::Table, Deployments::EnvironmentId)
                            .to(Environments::Table, Environments::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Deployments::Table, Deployments::RevisionId)
                            .to(Revisions::Table, Revisions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create().from(Deployments::Table, Deployments::DeployedBy).to(Users::Table, Users::Id).on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("ix_deployments_environment").table(Deployments::Table).col(Deployments::EnvironmentId).col(Deployments::Id).to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Deployments::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Revisions::Table).to_owned()).await
    }
}
