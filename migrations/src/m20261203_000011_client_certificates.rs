//! Client certificates as a consumer's credential: whether a proxy accepts one (part of its
//! access setting), and what a subscription is bound to: one certificate by its SHA-256
//! fingerprint, or every certificate a trusted client CA of the project issues.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Proxies {
    Table,
    ClientCertificate,
}

#[derive(DeriveIden)]
enum Subscriptions {
    Table,
    ClientCertificateFingerprint,
    ClientCaId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds columns one at a time.
        let mut accepts = ColumnDef::new(Proxies::ClientCertificate).boolean().not_null().default(false).to_owned();
        manager.alter_table(Table::alter().table(Proxies::Table).add_column(&mut accepts).to_owned()).await?;
        let mut fingerprint = ColumnDef::new(Subscriptions::ClientCertificateFingerprint).string_len(64).null().to_owned();
        manager.alter_table(Table::alter().table(Subscriptions::Table).add_column(&mut fingerprint).to_owned()).await?;
        let mut ca = ColumnDef::new(Subscriptions::ClientCaId).integer().null().to_owned();
        manager.alter_table(Table::alter().table(Subscriptions::Table).add_column(&mut ca).to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Subscriptions::ClientCaId, Subscriptions::ClientCertificateFingerprint] {
            manager.alter_table(Table::alter().table(Subscriptions::Table).drop_column(column).to_owned()).await?;
        }
        manager.alter_table(Table::alter().table(Proxies::Table).drop_column(Proxies::ClientCertificate).to_owned()).await
    }
}
