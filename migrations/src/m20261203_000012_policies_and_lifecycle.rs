//! A proxy's policies (a JSON list, part of each revision from the next deploy) and its
//! lifecycle (created, published, deprecated with when and an optional sunset, retired), which
//! holds at once.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Proxies {
    Table,
    Policies,
    Lifecycle,
    DeprecatedAt,
    Sunset,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds columns one at a time.
        let columns = [
            ColumnDef::new(Proxies::Policies).text().not_null().default("[]").to_owned(),
            ColumnDef::new(Proxies::Lifecycle).string_len(16).not_null().default("created").to_owned(),
            ColumnDef::new(Proxies::DeprecatedAt).timestamp_with_time_zone().null().to_owned(),
            ColumnDef::new(Proxies::Sunset).timestamp_with_time_zone().null().to_owned(),
        ];
        for mut column in columns {
            manager.alter_table(Table::alter().table(Proxies::Table).add_column(&mut column).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Proxies::Sunset, Proxies::DeprecatedAt, Proxies::Lifecycle, Proxies::Policies] {
            manager.alter_table(Table::alter().table(Proxies::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
