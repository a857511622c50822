//! Edge TLS: custom domains per environment (a hostname, its certificate chain and its sealed
//! key, uploaded or issued through ACME) and each environment listener's TLS settings.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Domains {
    Table,
    Id,
    EnvironmentId,
    Hostname,
    Source,
    CertificatePem,
    SealedKey,
    KeyNonce,
    MasterKeyId,
    Issuer,
    NotAfter,
    FingerprintSha256,
    AcmeDirectoryUrl,
    AcmeContactEmail,
    AcmeState,
    AcmeDetail,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Environments {
    Table,
    Id,
    TlsMinVersion,
    TlsCipherSuites,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Domains::Table)
                    .col(ColumnDef::new(Domains::Id).integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(Domains::EnvironmentId).integer().not_null())
                    .col(ColumnDef::new(Domains::Hostname).string_len(253).not_null())
                    .col(ColumnDef::new(Domains::Source).string_len(16).not_null())
                    // Empty (with no key) while an ACME order is pending.
                    .col(ColumnDef::new(Domains::CertificatePem).text().not_null())
                    .col(ColumnDef::new(Domains::SealedKey).binary().null())
                    .col(ColumnDef::new(Domains::KeyNonce).binary().null())
                    .col(ColumnDef::new(Domains::MasterKeyId).string_len(64).null())
                    .col(ColumnDef::new(Domains::Issuer).text().not_null())
                    .col(ColumnDef::new(Domains::NotAfter).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(Domains::FingerprintSha256).string_len(95).not_null())
                    .col(ColumnDef::new(Domains::AcmeDirectoryUrl).text().null())
                    .col(ColumnDef::new(Domains::AcmeContactEmail).string_len(254).null())
                    .col(ColumnDef::new(Domains::AcmeState).string_len(16).null())
                    .col(ColumnDef::new(Domains::AcmeDetail).text().null())
                    .col(ColumnDef::new(Domains::CreatedBy).integer().null())
                    .col(ColumnDef::new(Domains::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Domains::UpdatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(Domains::Table, Domains::EnvironmentId)
                            .to(Environments::Table, Environments::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("domains_environment_hostname")
                    .table(Domains::Table)
                    .col(Domains::EnvironmentId)
                    .col(Domains::Hostname)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // One column per statement: SQLite adds columns one at a time.
        let mut min = ColumnDef::new(Environments::TlsMinVersion).string_len(8).not_null().default("1.2").to_owned();
        manager.alter_table(Table::alter().table(Environments::Table).add_column(&mut min).to_owned()).await?;
        let mut suites = ColumnDef::new(Environments::TlsCipherSuites).text().not_null().default("").to_owned();
        manager.alter_table(Table::alter().table(Environments::Table).add_column(&mut suites).to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Environments::TlsCipherSuites, Environments::TlsMinVersion] {
            manager.alter_table(Table::alter().table(Environments::Table).drop_column(column).to_owned()).await?;
        }
        manager.drop_table(Table::drop().table(Domains::Table).to_owned()).await
    }
}
