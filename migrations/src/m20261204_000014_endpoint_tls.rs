//! TLS to each backend: the versions and TLS 1.2 suites offered, and the pinned keys
//! (`sha256/<base64>` SPKI pins, one per line).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum EndpointConfigs {
    Table,
    TlsMinVersion,
    TlsMaxVersion,
    TlsCipherSuites,
    SpkiPins,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds columns one at a time.
        let columns = [
            ColumnDef::new(EndpointConfigs::TlsMinVersion).string_len(8).not_null().default("1.2").to_owned(),
            ColumnDef::new(EndpointConfigs::TlsMaxVersion).string_len(8).not_null().default("1.3").to_owned(),
            ColumnDef::new(EndpointConfigs::TlsCipherSuites).text().not_null().default("").to_owned(),
            ColumnDef::new(EndpointConfigs::SpkiPins).text().not_null().default("").to_owned(),
        ];
        for mut column in columns {
            manager.alter_table(Table::alter().table(EndpointConfigs::Table).add_column(&mut column).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [EndpointConfigs::SpkiPins, EndpointConfigs::TlsCipherSuites, EndpointConfigs::TlsMaxVersion, EndpointConfigs::TlsMinVersion] {
            manager.alter_table(Table::alter().table(EndpointConfigs::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
