//! Each environment's allow and deny lists of backend address ranges (one range per line, as
//! normalised when saved), and the instance-wide settings an admin changes in the console
//! ("who may create projects"), one row per setting.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Environments {
    Table,
    AllowedDestinations,
    DeniedDestinations,
}

#[derive(DeriveIden)]
enum Settings {
    Table,
    Name,
    Value,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds columns one at a time.
        for column in [Environments::AllowedDestinations, Environments::DeniedDestinations] {
            let mut column = ColumnDef::new(column).text().not_null().default("").to_owned();
            manager.alter_table(Table::alter().table(Environments::Table).add_column(&mut column).to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Settings::Table)
                    .col(ColumnDef::new(Settings::Name).string_len(64).not_null().primary_key())
                    .col(ColumnDef::new(Settings::Value).text().not_null())
                    .col(ColumnDef::new(Settings::UpdatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Settings::Table).to_owned()).await?;
        for column in [Environments::DeniedDestinations, Environments::AllowedDestinations] {
            manager.alter_table(Table::alter().table(Environments::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
