//! Several gateway nodes on one database: each node's row (who it is, where, what it serves,
//! its last heartbeat) and, per scope of configuration (an environment's routes and edge, or
//! the credentials), a version raised by every change, which nodes compare with what they have
//! applied to catch up on a change they missed.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum GatewayNodes {
    Table,
    Id,
    Role,
    Address,
    Version,
    Serving,
    StartedAt,
    HeartbeatAt,
}

#[derive(DeriveIden)]
enum ClusterVersions {
    Table,
    Scope,
    Version,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(GatewayNodes::Table)
                    .col(ColumnDef::new(GatewayNodes::Id).string_len(36).not_null().primary_key())
                    // "console+gateway" or "gateway".
                    .col(ColumnDef::new(GatewayNodes::Role).string_len(32).not_null())
                    // Where its gateway listeners and console are, as it printed them.
                    .col(ColumnDef::new(GatewayNodes::Address).text().not_null())
                    .col(ColumnDef::new(GatewayNodes::Version).string_len(64).not_null())
                    // JSON: the configuration version it has applied, per scope.
                    .col(ColumnDef::new(GatewayNodes::Serving).text().not_null())
                    .col(ColumnDef::new(GatewayNodes::StartedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(GatewayNodes::HeartbeatAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ClusterVersions::Table)
                    // "environment:3", "credentials".
                    .col(ColumnDef::new(ClusterVersions::Scope).string_len(64).not_null().primary_key())
                    .col(ColumnDef::new(ClusterVersions::Version).big_integer().not_null().default(0))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ClusterVersions::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(GatewayNodes::Table).to_owned()).await
    }
}
