//! Each subscription's requests per UTC day by outcome, added to from the gateway's counters
//! every few seconds: the usage chart, the usage REST call, and quotas that survive a restart.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SubscriptionUsage {
    Table,
    SubscriptionId,
    Day,
    Allowed,
    RateLimited,
    Quota,
    Refused,
}

#[derive(DeriveIden)]
enum Subscriptions {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SubscriptionUsage::Table)
                    .col(ColumnDef::new(SubscriptionUsage::SubscriptionId).integer().not_null())
                    // "2026-12-03": sorts and compares as a date on every database.
                    .col(ColumnDef::new(SubscriptionUsage::Day).string_len(10).not_null())
                    .col(ColumnDef::new(SubscriptionUsage::Allowed).big_integer().not_null().default(0))
                    .col(ColumnDef::new(SubscriptionUsage::RateLimited).big_integer().not_null().default(0))
                    .col(ColumnDef::new(SubscriptionUsage::Quota).big_integer().not_null().default(0))
                    .col(ColumnDef::new(SubscriptionUsage::Refused).big_integer().not_null().default(0))
                    .primary_key(Index::create().col(SubscriptionUsage::SubscriptionId).col(SubscriptionUsage::Day))
                    .foreign_key(
                        ForeignKey::create()
                            .from(SubscriptionUsage::Table, SubscriptionUsage::SubscriptionId)
                            .to(Subscriptions::Table, Subscriptions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(SubscriptionUsage::Table).to_owned()).await
    }
}
