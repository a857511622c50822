//! Consumers: products (with their plan: a rate limit and a quota) and the proxies each grants,
//! subscriptions with the hashes of their two keys, and each proxy's access setting (open, or
//! subscription with the key's header and query names).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
    ProjectId,
    Name,
    Slug,
    Description,
    RateRequests,
    RatePerSeconds,
    QuotaRequests,
    QuotaPeriod,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ProductProxies {
    Table,
    ProductId,
    ProxyId,
}

#[derive(DeriveIden)]
enum Subscriptions {
    Table,
    Id,
    ProjectId,
    ProductId,
    Name,
    ContactEmail,
    State,
    PrimaryHash,
    PrimaryPrefix,
    SecondaryHash,
    SecondaryPrefix,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Projects {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Proxies {
    Table,
    Id,
    AccessMode,
    KeyHeader,
    KeyQuery,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Products::Table)
                    .col(ColumnDef::new(Products::Id).integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(Products::ProjectId).integer().not_null())
                    .col(ColumnDef::new(Products::Name).string_len(100).not_null())
                    .col(ColumnDef::new(Products::Slug).string_len(48).not_null())
                    .col(ColumnDef::new(Products::Description).text().not_null())
                    .col(ColumnDef::new(Products::RateRequests).integer().null())
                    .col(ColumnDef::new(Products::RatePerSeconds).integer().null())
                    .col(ColumnDef::new(Products::QuotaRequests).big_integer().null())
                    .col(ColumnDef::new(Products::QuotaPeriod).string_len(8).null())
                    .col(ColumnDef::new(Products::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Products::UpdatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create().from(Products::Table, Products::ProjectId).to(Projects::Table, Projects::Id).on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("products_project_slug").table(Products::Table).col(Products::ProjectId).col(Products::Slug).unique().to_owned())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ProductProxies::Table)
                    .col(ColumnDef::new(ProductProxies::ProductId).integer().not_null())
                    .col(ColumnDef::new(ProductProxies::ProxyId).integer().not_null())
                    .primary_key(Index::create().col(ProductProxies::ProductId).col(ProductProxies::ProxyId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ProductProxies::Table, ProductProxies::ProductId)
                            .to(Products::Table, Products::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ProductProxies::Table, ProductProxies::ProxyId)
                            .to(Proxies::Table, Proxies::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Subscriptions::Table)
                    .col(ColumnDef::new(Subscriptions::Id).integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(Subscriptions::ProjectId).integer().not_null())
                    .col(ColumnDef::new(Subscriptions::ProductId).integer().not_null())
                    .col(ColumnDef::new(Subscriptions::Name).string_len(100).not_null())
                    .col(ColumnDef::new(Subscriptions::ContactEmail).string_len(254).not_null())
                    .col(ColumnDef::new(Subscriptions::State).string_len(16).not_null())
                    .col(ColumnDef::new(Subscriptions::PrimaryHash).string_len(64).not_null().unique_key())
                    .col(ColumnDef::new(Subscriptions::PrimaryPrefix).string_len(16).not_null())
                    .col(ColumnDef::new(Subscriptions::SecondaryHash).string_len(64).not_null().unique_key())
                    .col(ColumnDef::new(Subscriptions::SecondaryPrefix).string_len(16).not_null())
                    .col(ColumnDef::new(Subscriptions::CreatedBy).integer().null())
                    .col(ColumnDef::new(Subscriptions::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Subscriptions::UpdatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(Subscriptions::Table, Subscriptions::ProjectId)
                            .to(Projects::Table, Projects::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Subscriptions::Table, Subscriptions::ProductId)
                            .to(Products::Table, Products::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("subscriptions_project_product")
                    .table(Subscriptions::Table)
                    .col(Subscriptions::ProjectId)
                    .col(Subscriptions::ProductId)
                    .to_owned(),
            )
            .await?;
        let columns = [
            ColumnDef::new(Proxies::AccessMode).string_len(16).not_null().default("open").to_owned(),
            ColumnDef::new(Proxies::KeyHeader).string_len(64).not_null().default("api-key").to_owned(),
            ColumnDef::new(Proxies::KeyQuery).string_len(64).not_null().default("api-key").to_owned(),
        ];
        // One column per statement: SQLite adds columns one at a time.
        for mut column in columns {
            manager.alter_table(Table::alter().table(Proxies::Table).add_column(&mut column).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Proxies::KeyQuery, Proxies::KeyHeader, Proxies::AccessMode] {
            manager.alter_table(Table::alter().table(Proxies::Table).drop_column(column).to_owned()).await?;
        }
        manager.drop_table(Table::drop().table(Subscriptions::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(ProductProxies::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Products::Table).to_owned()).await
    }
}
