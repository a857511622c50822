//! Where certificates are used, for the certificate store's "Used by" and for refusing to
//! delete a certificate in use: the endpoint configurations that choose it (two joined
//! queries, whose SQL is the same however many proxies use a certificate), and the live
//! revisions that carry a copy of it (a revision keeps serving what it was deployed with, so a
//! key pair deleted from the store would live on in the gateway until undeployed); and the
//! subscriptions a trusted client CA is bound to.
use crate::entities::{endpoint_certificate, endpoint_config, environment, proxy, subscription};
use crate::model::SubscriptionState;
use crate::{revisions, Result};
use sea_orm::sea_query::{Alias, Expr, Query, SelectStatement};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use std::collections::HashMap;

/// By certificate id: "Weather API v1 · Production (endpoint certificate)", sorted; past
/// `NAMED` places, the rest are counted ("and 995 more").
pub type CertificateUse = HashMap<i32, Vec<String>>;

const NAMED: usize = 5;

/// `live`: also the live revisions, which reads every live revision of the project; for the
/// certificate store and deletes, not for the Endpoints cards a deploy script saves thousands of.
pub async fn certificate_usage(db: &impl ConnectionTrait, project_id: i32, certificate_ids: &[i32], live: bool) -> Result<CertificateUse> {
    let mut usage = CertificateUse::new();
    if certificate_ids.is_empty() {
        return Ok(usage);
    }
    let environments: HashMap<i32, String> = environment::Entity::find().all(db).await?.into_iter().map(|e| (e.id, e.name)).collect();
    let live_revisions = if live { crate::live::live_revisions_in_project(db, project_id).await? } else { Vec::new() };
    for (environment_id, live) in live_revisions {
        let Ok(snapshot) = revisions::decode(&live) else { continue };
        let place = |role: &str| {
            let env = environments.get(&environment_id).map_or("?", String::as_str);
            format!("{} {} · {env} (live revision {}, {role})", snapshot.proxy_name, snapshot.proxy_version, live.number)
        };
        for cert in snapshot.endpoint_certificates.iter().filter(|c| certificate_ids.contains(&c.id)) {
            usage.entry(cert.id).or_default().push(place("endpoint certificate"));
        }
        if let Some(client) = snapshot.client_certificate.as_ref().filter(|c| certificate_ids.contains(&c.id)) {
            usage.entry(client.id).or_default().push(place("client certificate"));
        }
    }
    let backend = db.get_database_backend();
    for is_client in [false, true] {
        for row in db.query_all(backend.build(&places(is_client, certificate_ids))).await? {
            let id: i32 = row.try_get("", "certificate_id")?;
            let (name, version, env): (String, String, String) =
                (row.try_get("", "proxy_name")?, row.try_get("", "proxy_version")?, row.try_get("", "environment")?);
            let role = match (is_client, row.try_get::<bool>("", "mutual_ssl")?) {
                (false, _) => "endpoint certificate",
                (true, true) => "client certificate",
                (true, false) => "client certificate, Mutual SSL off",
            };
            usage.entry(id).or_default().push(format!("{name} {version} · {env} ({role})"));
        }
    }
    let bound = subscription::Entity::find()
        .filter(subscription::Column::ClientCaId.is_in(certificate_ids.iter().copied()))
        .filter(subscription::Column::State.ne(SubscriptionState::Cancelled.as_str()))
        .all(db)
        .await?;
    for sub in bound {
        if let Some(id) = sub.client_ca_id {
            usage.entry(id).or_default().push(format!("the subscription of {} (trusted client CA)", sub.name));
        }
    }
    for places in usage.values_mut() {
        places.sort();
        if places.len() > NAMED {
            let more = places.len() - NAMED;
            places.truncate(NAMED);
            places.push(format!("and {more} more"));
        }
    }
    Ok(usage)
}

/// certificate_id, proxy_name, proxy_version, environment and mutual_ssl for each endpoint
/// configuration that trusts one of `ids` (or, for `is_client`, presents one of them).
fn places(is_client: bool, ids: &[i32]) -> SelectStatement {
    use endpoint_certificate::{Column as Trust, Entity as Trusts};
    use endpoint_config::{Column as Config, Entity as Configs};
    let certificate = if is_client { Expr::col((Configs, Config::ClientCertificateId)) } else { Expr::col((Trusts, Trust::CertificateId)) };
    let mut select = Query::select();
    select
        .expr_as(certificate.clone(), Alias::new("certificate_id"))
        .expr_as(Expr::col((proxy::Entity, proxy::Column::Name)), Alias::new("proxy_name"))
        .expr_as(Expr::col((proxy::Entity, proxy::Column::Version)), Alias::new("proxy_version"))
        .expr_as(Expr::col((environment::Entity, environment::Column::Name)), Alias::new("environment"))
        .expr_as(Expr::col((Configs, Config::MutualSsl)), Alias::new("mutual_ssl"));
    if is_client {
        select.from(Configs);
    } else {
        select.from(Trusts).inner_join(Configs, Expr::col((Configs, Config::Id)).equals((Trusts, Trust::EndpointConfigId)));
    }
    select
        .inner_join(proxy::Entity, Expr::col((proxy::Entity, proxy::Column::Id)).equals((Configs, Config::ProxyId)))
        .inner_join(environment::Entity, Expr::col((environment::Entity, environment::Column::Id)).equals((Configs, Config::EnvironmentId)))
        .and_where(certificate.is_in(ids.iter().copied()));
    select
}
