//! "Check connection" on an Endpoints card: the saved configuration taken as a revision would
//! take it, turned into the route a deploy would hand the gateway, compiled by the gateway and
//! connected with for real: it tests exactly what a deploy would serve, with no deploy.
use crate::auth::Actor;
use crate::model::{ConnectionCheck, PeerCertificate};
use crate::projects::Need;
use crate::proxies::endpoints::find_environment;
use crate::proxies::find;
use crate::{revisions, Result, Services};
use gateway::certs::Inspected;
use gateway::upstream::{check_connection, compile, ConnectionReport};

/// Checks one environment's saved endpoint of a proxy. Publishers and owners only: it makes
/// the server open a connection.
pub async fn check_saved(services: &Services, actor: &Actor, project: &str, proxy: &str, environment: &str) -> Result<ConnectionCheck> {
    let db = &services.db;
    let found = find(db, actor, project, proxy, Need::Edit).await?;
    services.outbound.take(actor.id)?;
    let env = find_environment(db, environment).await?;
    let lifecycle = crate::proxies::lifecycle::spec(&found.proxy);
    let route =
        revisions::saved(db, &found.proxy, &env).await?.route(found.proxy.id, lifecycle, &services.master_key, &std::sync::Arc::new(env.destinations()))?;
    let upstream = compile(&route.upstream)?;
    Ok(report(check_connection(&upstream).await))
}

/// The gateway's report in the console's shape.
pub fn report(found: ConnectionReport) -> ConnectionCheck {
    ConnectionCheck {
        ok: found.ok,
        code: found.code().map(str::to_string),
        message: found.message,
        chain: found.chain.into_iter().map(describe).collect(),
        tls_version: found.tls_version,
        http_status: found.http_status,
        elapsed_ms: found.elapsed_ms,
    }
}

fn describe(c: Inspected) -> PeerCertificate {
    PeerCertificate {
        subject: c.subject,
        issuer: c.issuer,
        subject_alt_names: c.subject_alt_names,
        not_after: c.not_after.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
        fingerprint_sha256: c.fingerprint_sha256,
        spki_pin: c.spki_pin,
    }
}
