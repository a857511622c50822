//! Where each gateway node counts its rate limits (across the nodes in Redis, alone, or alone
//! because Redis is unreachable), as its heartbeat last said.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum GatewayNodes {
    Table,
    Limits,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table(GatewayNodes::Table).add_column(ColumnDef::new(GatewayNodes::Limits).text().not_null().default("")).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(GatewayNodes::Table).drop_column(GatewayNodes::Limits).to_owned()).await
    }
}
