//! Environments, seeded with Development and Production in promotion order.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Environments {
    Table,
    Id,
    Name,
    Slug,
    Position,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Environments::Table)
                    .col(ColumnDef::new(Environments::Id).integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(Environments::Name).string_len(100).not_null())
                    .col(ColumnDef::new(Environments::Slug).string_len(64).not_null().unique_key())
                    // Promotion order: a revision moves from lower to the next higher position.
                    .col(ColumnDef::new(Environments::Position).integer().not_null().unique_key())
                    .to_owned(),
            )
            .await?;

        let seed = Query::insert()
            .into_table(Environments::Table)
            .columns([Environments::Name, Environments::Slug, Environments::Position])
            .values_panic(["Development".into(), "development".into(), 1.into()])
            .values_panic(["Production".into(), "production".into(), 2.into()])
            .to_owned();
        manager.exec_stmt(seed).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Environments::Table).to_owned()).await
    }
}
