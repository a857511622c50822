//! Each environment's gateway listener certificate: self-signed on first start until a real
//! one is uploaded, its private key sealed under the master key like every other.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Environments {
    Table,
    GatewayCertificatePem,
    GatewaySealedKey,
    GatewayKeyNonce,
    GatewayMasterKeyId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds columns one at a time.
        let columns = [
            ColumnDef::new(Environments::GatewayCertificatePem).text().null().to_owned(),
            ColumnDef::new(Environments::GatewaySealedKey).binary().null().to_owned(),
            ColumnDef::new(Environments::GatewayKeyNonce).binary().null().to_owned(),
            ColumnDef::new(Environments::GatewayMasterKeyId).string_len(16).null().to_owned(),
        ];
        for mut column in columns {
            manager.alter_table(Table::alter().table(Environments::Table).add_column(&mut column).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Environments::GatewayMasterKeyId, Environments::GatewayKeyNonce, Environments::GatewaySealedKey, Environments::GatewayCertificatePem] {
            manager.alter_table(Table::alter().table(Environments::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
