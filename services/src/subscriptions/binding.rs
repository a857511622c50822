//! A subscription's client certificate: one certificate by its SHA-256 fingerprint, or every
//! certificate a trusted client CA of the project issues. One certificate (or CA) calls as one
//! subscription of a project at a time, so the gateway never has to choose between two.
use crate::entities::{certificate, subscription};
use crate::model::{BoundCa, CertificateKind, ClientCertificateBinding, SubscriptionState};
use crate::{Error, Result};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use std::collections::HashMap;

/// What a subscription is bound to, as stored: the fingerprint (64 lower-case hex digits) or
/// the CA's certificate id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Binding {
    pub fingerprint: Option<String>,
    pub ca: Option<i32>,
}

/// Reads what was typed: a fingerprint (colons, spaces and case as any tool writes them) or a
/// CA, not both; checked against the project's store and its other subscriptions (`except`,
/// the subscription being changed).
pub async fn read(db: &impl ConnectionTrait, project_id: i32, fingerprint: &str, ca: Option<i32>, except: Option<i32>) -> Result<Binding> {
    let typed: String = fingerprint.chars().filter(|c| !c.is_whitespace() && *c != ':').collect::<String>().to_ascii_lowercase();
    if !typed.is_empty() && ca.is_some() {
        return Err(Error::invalid("client_certificate_fingerprint", "bind one certificate by its fingerprint or a trusted CA, not both"));
    }
    let others = || {
        let mut query = subscription::Entity::find()
            .filter(subscription::Column::ProjectId.eq(project_id))
            .filter(subscription::Column::State.ne(SubscriptionState::Cancelled.as_str()));
        if let Some(id) = except {
            query = query.filter(subscription::Column::Id.ne(id));
        }
        query
    };
    if !typed.is_empty() {
        if typed.len() != 64 || !typed.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::invalid(
                "client_certificate_fingerprint",
                "a SHA-256 fingerprint is 64 hex digits (colons allowed), as the certificate store and `openssl x509 -fingerprint -sha256` show it",
            ));
        }
        if let Some(taken) = others().filter(subscription::Column::ClientCertificateFingerprint.eq(typed.as_str())).one(db).await? {
            return Err(Error::Conflict(format!(
                "this certificate already calls as the subscription of {}: one certificate calls as one subscription",
                taken.name
            )));
        }
        return Ok(Binding { fingerprint: Some(typed), ca: None });
    }
    let Some(ca) = ca else { return Ok(Binding::default()) };
    let trusted = certificate::Entity::find_by_id(ca)
        .filter(certificate::Column::ProjectId.eq(project_id))
        .filter(certificate::Column::Kind.eq(CertificateKind::ClientCa.as_str()))
        .one(db)
        .await?
        .ok_or_else(|| Error::invalid("client_ca", format!("there is no trusted client CA {ca} in this project: upload it on the Certificates page first")))?;
    if let Some(taken) = others().filter(subscription::Column::ClientCaId.eq(ca)).one(db).await? {
        return Err(Error::Conflict(format!(
            "{} already issues the certificates of the subscription of {}: one CA calls as one subscription",
            trusted.name, taken.name
        )));
    }
    Ok(Binding { fingerprint: None, ca: Some(ca) })
}

/// "AB:CD:…", as the certificate store writes fingerprints.
pub fn display_fingerprint(stored: &str) -> String {
    stored.as_bytes().chunks(2).map(|pair| String::from_utf8_lossy(pair).to_ascii_uppercase()).collect::<Vec<_>>().join(":")
}

/// Each row's binding as the API shows it, the CAs named.
pub async fn describe(db: &impl ConnectionTrait, rows: &[subscription::Model]) -> Result<HashMap<i32, ClientCertificateBinding>> {
    let ca_ids: Vec<i32> = rows.iter().filter_map(|r| r.client_ca_id).collect();
    let names: HashMap<i32, String> = if ca_ids.is_empty() {
        HashMap::new()
    } else {
        certificate::Entity::find().filter(certificate::Column::Id.is_in(ca_ids)).all(db).await?.into_iter().map(|c| (c.id, c.name)).collect()
    };
    Ok(rows
        .iter()
        .filter_map(|row| {
            let binding = match (&row.client_certificate_fingerprint, row.client_ca_id) {
                (Some(f), _) => ClientCertificateBinding { fingerprint: Some(display_fingerprint(f)), ca: None },
                (None, Some(id)) => ClientCertificateBinding { fingerprint: None, ca: Some(BoundCa { id, name: names.get(&id).cloned().unwrap_or_default() }) },
                (None, None) => return None,
            };
            Some((row.id, binding))
        })
        .collect())
}
