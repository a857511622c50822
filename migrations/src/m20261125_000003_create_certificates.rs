//! The per-project certificate store: endpoint certificates and client key pairs. Private keys
//! are stored sealed (AES-256-GCM) with the id of the master key that sealed them.
use super::m20261125_000001_create_accounts::{Projects, Users};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Certificates {
    Table,
    Id,
    ProjectId,
    Kind,
    Name,
    Subject,
    Issuer,
    SubjectAltNames,
    Serial,
    NotBefore,
    NotAfter,
    KeyType,
    IsCa,
    SelfSigned,
    FingerprintSha256,
    CertificatePem,
    ChainLength,
    SealedKey,
    KeyNonce,
    MasterKeyId,
    Source,
    CreatedBy,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Certificates::Table)
                    .col(ColumnDef::new(Certificates::Id).integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(Certificates::ProjectId).integer().not_null())
                    .col(ColumnDef::new(Certificates::Kind).string_len(16).not_null())
                    .col(ColumnDef::new(Certificates::Name).string_len(400).not_null())
                    .col(ColumnDef::new(Certificates::Subject).text().not_null())
                    .col(ColumnDef::new(Certificates::Issuer).text().not_null())
                    // JSON array of strings.
                    .col(ColumnDef::new(Certificates::SubjectAltNames).text().not_null())
                    .col(ColumnDef::new(Certificates::Serial).string_len(200).not_null())
                    .col(ColumnDef::new(Certificates::NotBefore).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Certificates::NotAfter).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Certificates::KeyType).string_len(64).not_null())
                    .col(ColumnDef::new(Certificates::IsCa).boolean().not_null())
                    .col(ColumnDef::new(Certificates::SelfSigned).boolean().not_null())
                    .col(ColumnDef::new(Certificates::FingerprintSha256).string_len(95).not_null())
                    .col(ColumnDef::new(Certificates::CertificatePem).text().not_null())
                    .col(ColumnDef::new(Certificates::ChainLength).integer().not_null())
                    .col(ColumnDef::new(Certificates::SealedKey).binary().null())
                    .col(ColumnDef::new(Certificates::KeyNonce).binary().null())
                    .col(ColumnDef::new(Certificates::MasterKeyId).string_len(16).null())
                    .col(ColumnDef::new(Certificates::Source).string_len(16).not_null())
                    .col(ColumnDef::new(Certificates::CreatedBy).integer().null())
                    .col(ColumnDef::new(Certificates::CreatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(Certificates::Table, Certificates::ProjectId)
                            .to(Projects::Table, Projects::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Certificates::Table, Certificates::CreatedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .index(
                        Index::create()
                            .name("ux_certificates_project_kind_fingerprint")
                            .col(Certificates::ProjectId)
                            .col(Certificates::Kind)
                            .col(Certificates::FingerprintSha256)
                            .unique(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_certificates_project_not_after")
                    .table(Certificates::Table)
                    .col(Certificates::ProjectId)
                    .col(Certificates::NotAfter)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Certificates::Table).to_owned()).await
    }
}
