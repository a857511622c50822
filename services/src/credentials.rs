//! The gateway's credentials: every product and every subscription that is not cancelled,
//! read from the database as plain data and handed to the gateway, which compiles and swaps
//! them whole. Called at start and after every change to a product or subscription, one at a
//! time, so a slower publish never overwrites a newer one.
use crate::entities::{certificate, product, product_proxy, subscription};
use crate::model::{QuotaPeriod, SubscriptionState};
use crate::{products, Result, Services};
use gateway::consumers::{self, ClientBinding, CredentialsSpec, ProductSpec, SubscriptionSpec};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use std::collections::HashMap;

/// After a change to a product or subscription: hands the credentials to this node's gateway,
/// then to every other node's (`cluster`), and waits (as a deploy does, at most 2 s) until the
/// running nodes have them: a key works on every node once the call that made it answers.
/// Returns how many keys are valid.
pub async fn publish(services: &Services) -> Result<usize> {
    let valid = apply(services).await?;
    let change = crate::cluster::Change::Credentials;
    let version = crate::cluster::announce(services, change).await;
    crate::cluster::live_on(services, change, version).await;
    Ok(valid)
}

/// Reads the credentials and hands them to this node's gateway (at start, and when another
/// node announces a change); returns how many keys are valid.
pub async fn apply(services: &Services) -> Result<usize> {
    let _one_at_a_time = services.credentials_lock.lock().await;
    let spec = read(&services.db).await?;
    Ok(services.gateway.set_credentials(spec))
}

/// Every product with its proxies and plan, and every active or suspended subscription with
/// what it has used of its quota so far (from the usage written).
pub async fn read(db: &DatabaseConnection) -> Result<CredentialsSpec> {
    let mut granted: HashMap<i32, Vec<i32>> = HashMap::new();
    for link in product_proxy::Entity::find().all(db).await? {
        granted.entry(link.product_id).or_default().push(link.proxy_id);
    }
    let product_rows = product::Entity::find().all(db).await?;
    let periods: HashMap<i32, QuotaPeriod> = product_rows.iter().filter_map(|p| Some((p.id, products::quota_of(p)?.period))).collect();
    let products = product_rows
        .into_iter()
        .map(|row| ProductSpec {
            id: row.id,
            proxy_ids: granted.remove(&row.id).unwrap_or_default(),
            rate_limit: products::rate_of(&row).map(|r| consumers::RateLimit { requests: r.requests as u32, per_seconds: r.per_seconds as u32 }),
            quota: products::quota_of(&row).map(|q| consumers::Quota {
                requests: q.requests as u64,
                period: match q.period {
                    QuotaPeriod::Day => consumers::QuotaPeriod::Day,
                    QuotaPeriod::Month => consumers::QuotaPeriod::Month,
                },
            }),
            slug: row.slug,
        })
        .collect();
    let (used_today, used_this_month) = crate::usage::quota_used(db).await?;
    let rows = subscription::Entity::find().filter(subscription::Column::State.ne(SubscriptionState::Cancelled.as_str())).all(db).await?;
    let ca_ids: Vec<i32> = rows.iter().filter_map(|r| r.client_ca_id).collect();
    let cas: HashMap<i32, rustls::pki_types::CertificateDer<'static>> = if ca_ids.is_empty() {
        HashMap::new()
    } else {
        certificate::Entity::find()
            .filter(certificate::Column::Id.is_in(ca_ids))
            .all(db)
            .await?
            .into_iter()
            .filter_map(|c| Some((c.id, crate::certificates::input::read_certificates("certificate", c.certificate_pem.as_bytes()).ok()?.into_iter().next()?)))
            .collect()
    };
    let subscriptions = rows
        .into_iter()
        .map(|row| SubscriptionSpec {
            client_certificate: match (&row.client_certificate_fingerprint, row.client_ca_id) {
                (Some(f), _) => hex::decode(f).ok().and_then(|b| b.try_into().ok()).map(ClientBinding::Fingerprint),
                (None, Some(ca)) => cas.get(&ca).cloned().map(ClientBinding::Ca),
                (None, None) => None,
            },
            id: row.id,
            product_id: row.product_id,
            active: row.state == SubscriptionState::Active.as_str(),
            key_hashes: [&row.primary_hash, &row.secondary_hash].into_iter().filter_map(|h| hex::decode(h).ok()?.try_into().ok()).collect(),
            quota_used: match periods.get(&row.product_id) {
                Some(QuotaPeriod::Day) => used_today.get(&row.id).copied().unwrap_or(0),
                Some(QuotaPeriod::Month) => used_this_month.get(&row.id).copied().unwrap_or(0),
                None => 0,
            },
        })
        .collect();
    Ok(CredentialsSpec { products, subscriptions })
}
