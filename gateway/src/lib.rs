//! The gateway: Gatehouse's data plane, with no database code. One HTTPS listener per
//! environment, served on the gateway's own threads (`workers`, `listener`); each
//! environment's routes are an immutable `RouteTable`, compiled off to the side from plain
//! `RouteSpec`s (every rustls `ClientConfig` built then, `upstream`) and published with one
//! atomic swap; a request (`forward`) takes the table current when it starts and finishes on
//! it, whatever is published meanwhile. Every answer of its own has one kind with one code and
//! status (`errors`); `metrics` counts what it serves.
//!
//! Routes whose access is "subscription" admit callers by key against the `consumers`
//! credentials, a snapshot of its own, swapped the same way; each route's `policies` (header
//! rules, masking, IP filter, CORS, lifecycle) are compiled with it.
//!
//! Each listener presents what `edge` compiled: a certificate per domain chosen by SNI, the
//! default one otherwise, under the environment's TLS settings; swapped the same way.
//!
//! The services drive it through `Control` (deploy, undeploy, restore, credentials, edge); the server makes it
//! first, from each environment's `ListenerSpec`, and hands it to the services.
mod body;
pub mod certs;
pub mod connections;
pub mod consumers;
pub mod edge;
mod environment;
mod errors;
mod forward;
mod forwarded;
mod http2;
mod listener;
pub mod metrics;
mod paths;
pub mod policies;
pub mod recent;
mod routes;
pub mod upstream;
mod workers;

pub use connections::{Limits, Stop};
pub use environment::EnvironmentGateway;
pub use errors::{Error, ErrorKind};
pub use forwarded::TrustedProxies;
pub use metrics::Metrics;
pub use recent::FailedRequest;
pub use routes::{Route, RouteTable};
pub use upstream::destinations::{self, Destinations};
pub use upstream::{ClientIdentity, RouteSpec, UpstreamSettings, UpstreamTls};

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

/// The name of the console's session cookie. The portal names its cookie with this; the gateway
/// removes it from every request it forwards and from every answer a backend sends back.
pub const CONSOLE_SESSION_COOKIE: &str = "gatehouse_session";
/// Its name when the console is reached over https (`Secure`, host-only, `Path=/`).
pub const CONSOLE_SECURE_SESSION_COOKIE: &str = "__Host-gatehouse_session";

/// The running gateway as the deploy service drives it. Each call compiles what it is given and
/// swaps it in atomically, or changes nothing and says why.
pub trait Control: Send + Sync {
    /// Replaces an environment's whole route table (at start, from what is live).
    fn replace_all(&self, environment: &str, routes: Vec<RouteSpec>) -> Result<usize, Error>;
    /// Adds or replaces one proxy's route, leaving the others' compiled routes as they are.
    fn upsert(&self, environment: &str, route: RouteSpec) -> Result<(), Error>;
    /// Removes one proxy's route.
    fn remove(&self, environment: &str, proxy_id: i32) -> Result<(), Error>;
    /// Where the environment's listener takes calls in this process, such as
    /// `https://127.0.0.1:8443`; `None` when it has none here.
    fn base_url(&self, environment: &str) -> Option<String>;
    /// A recent failed call by its request id, with the detail its caller was not given.
    fn failed_request(&self, _request_id: &str) -> Option<FailedRequest> {
        None
    }
    /// A proxy's recent failed calls, newest first.
    fn failed_requests(&self, _proxy_id: i32, _limit: usize) -> Vec<FailedRequest> {
        Vec::new()
    }
    /// Replaces every product and subscription the gateway knows (at start, and after any
    /// change to one); returns how many keys are valid now.
    fn set_credentials(&self, _spec: consumers::CredentialsSpec) -> usize {
        0
    }
    /// Each subscription's requests per outcome since the last call.
    fn take_usage(&self) -> Vec<(i32, [u64; 4])> {
        Vec::new()
    }
    /// Where the environment's listener is bound in this process.
    fn address(&self, _environment: &str) -> Option<SocketAddr> {
        None
    }
    /// Where callers reach the environment: by its first domain when it has one
    /// (`https://api.example.com:8443`), else as `base_url`.
    fn invoke_url(&self, environment: &str) -> Option<String> {
        self.base_url(environment)
    }
    /// Replaces what the environment's listener presents (certificates by SNI, TLS settings),
    /// from the next handshake on; nothing changes when it does not compile.
    fn set_edge(&self, _environment: &str, _edge: edge::EdgeSpec) -> Result<(), Error> {
        Ok(())
    }
    /// Answers (or stops answering) an ACME TLS-ALPN-01 challenge for `hostname` on the
    /// environment's listener: `answer` is the challenge certificate and its key.
    fn set_acme_challenge(&self, _environment: &str, _hostname: &str, _answer: Option<edge::Identity>) -> Result<(), Error> {
        Ok(())
    }
    /// Where rate limits are counted, in the publisher's words.
    fn limits(&self) -> &'static str {
        LIMITS_ALONE
    }
}

/// `Control::limits` without Redis.
pub const LIMITS_ALONE: &str = "each node counts alone (no GATEHOUSE_REDIS_URL)";
/// `Control::limits` with Redis answering.
pub const LIMITS_SHARED: &str = "counted across the nodes in Redis";
/// `Control::limits` with Redis configured but not answering.
pub const LIMITS_REDIS_DOWN: &str = "Redis unreachable: each node counts alone until it is back";

/// What one environment's listener is started with.
pub struct ListenerSpec {
    pub slug: String,
    pub name: String,
    pub addr: SocketAddr,
    /// What the listener presents to callers: its certificates and TLS settings.
    pub edge: edge::EdgeSpec,
}

/// How the gateway runs: its threads, whose forwarding headers it believes, and the bounds on
/// callers' connections.
#[derive(Debug, Clone)]
pub struct Settings {
    pub threads: usize,
    pub trusted_proxies: TrustedProxies,
    pub limits: Limits,
    /// Where rate limits are counted across nodes (`GATEHOUSE_REDIS_URL`); each node alone
    /// without it.
    pub redis_url: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { threads: workers::default_count(), trusted_proxies: TrustedProxies::default(), limits: Limits::default(), redis_url: None }
    }
}

#[derive(Clone)]
pub struct Gateway {
    environments: Arc<HashMap<String, Arc<EnvironmentGateway>>>,
    metrics: Arc<Metrics>,
    /// Each listener's connections, for a stop to wait on.
    admissions: Vec<connections::Admission>,
    failures: Arc<recent::RecentFailures>,
    consumers: Arc<consumers::Consumers>,
    /// The rate limits' counters across nodes, when Redis is configured.
    shared: Option<Arc<consumers::Shared>>,
}

impl Gateway {
    /// Starts the gateway threads, binds each listener and starts serving it on every thread
    /// (no routes yet). `stop` ends them.
    pub fn start(listeners: Vec<ListenerSpec>, settings: &Settings, stop: Stop) -> Result<Gateway, String> {
        let metrics = Metrics::new();
        let workers = workers::Workers::start(settings.threads)?;
        let mut environments = HashMap::new();
        let mut admissions = Vec::new();
        let failures = Arc::new(recent::RecentFailures::default());
        let shared = match &settings.redis_url {
            Some(url) => Some(Arc::new(consumers::Shared::start(url, metrics.clone())?)),
            None => None,
        };
        let consumers = Arc::new(match &shared {
            Some(shared) => consumers::Consumers::with_counters(metrics.clone(), shared.clone()),
            None => consumers::Consumers::new(metrics.clone()),
        });
        for spec in listeners {
            let ListenerSpec { slug, name, addr, edge } = spec;
            let tls = edge::compile(&edge, Arc::default()).map_err(|e| format!("the {name} gateway's certificates or TLS settings cannot be used: {e}"))?;
            let listen_error = |e: std::io::Error| format!("cannot listen on {addr} for the {name} gateway ({}): {e}", variable(&slug));
            let socket = workers::listen(addr).map_err(listen_error)?;
            let bound = socket.local_addr().map_err(|e| e.to_string())?;
            let gateway = Arc::new(EnvironmentGateway::new(slug.clone(), name.clone(), bound, tls, &metrics, failures.clone(), consumers.clone()));
            let serving = listener::Serving::new(gateway.clone(), settings.trusted_proxies.clone(), settings.limits.clone(), stop.clone());
            admissions.push(serving.admission.clone());
            workers.serve(socket, move |listener| listener::serve(listener, serving.clone())).map_err(listen_error)?;
            environments.insert(slug, gateway);
        }
        tracing::info!(threads = workers.len(), "gateway threads started");
        Ok(Gateway { environments: Arc::new(environments), metrics, admissions, failures, consumers, shared })
    }

    /// Each listener's count of open connections, for a stop to wait on
    /// (`connections::drained`).
    pub fn admissions(&self) -> &[connections::Admission] {
        &self.admissions
    }

    /// What the gateway has counted, for `/metrics`.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// Environments in no particular order.
    pub fn environments(&self) -> impl Iterator<Item = &Arc<EnvironmentGateway>> {
        self.environments.values()
    }

    pub fn get(&self, environment: &str) -> Result<&Arc<EnvironmentGateway>, Error> {
        self.environments.get(environment).ok_or_else(|| Error::NotServed(environment.to_string()))
    }

    /// Compiles `specs` into a new route table and swaps it in. If anything fails to compile,
    /// nothing changes: the old table keeps serving and the error names the proxy.
    pub fn publish(&self, environment: &str, specs: Vec<RouteSpec>) -> Result<usize, Error> {
        let gateway = self.get(environment)?;
        let table = RouteTable::compile(specs, environment, &gateway.base_url(), &self.metrics)?;
        let count = table.len();
        let _writer = gateway.writer.lock().unwrap_or_else(|p| p.into_inner());
        gateway.routes.store(Arc::new(table));
        tracing::info!(environment, routes = count, "published a new route table");
        Ok(count)
    }
}

impl Control for Gateway {
    fn replace_all(&self, environment: &str, routes: Vec<RouteSpec>) -> Result<usize, Error> {
        self.publish(environment, routes)
    }

    fn upsert(&self, environment: &str, route: RouteSpec) -> Result<(), Error> {
        let gateway = self.get(environment)?;
        let (name, path) = (route.name.clone(), route.context_path.clone());
        // Compiled before taking the writer lock: only the cheap table rebuild is serialized.
        let route = Route::compile(route, environment, &gateway.base_url(), &self.metrics)?;
        let _writer = gateway.writer.lock().unwrap_or_else(|p| p.into_inner());
        let table = gateway.routes.load().with(route)?;
        gateway.routes.store(Arc::new(table));
        tracing::info!(environment, proxy = %name, context_path = %path, "route live");
        Ok(())
    }

    fn remove(&self, environment: &str, proxy_id: i32) -> Result<(), Error> {
        let gateway = self.get(environment)?;
        let _writer = gateway.writer.lock().unwrap_or_else(|p| p.into_inner());
        let table = gateway.routes.load().without(proxy_id);
        gateway.routes.store(Arc::new(table));
        Ok(())
    }

    fn base_url(&self, environment: &str) -> Option<String> {
        self.environments.get(environment).map(|g| g.base_url())
    }

    fn address(&self, environment: &str) -> Option<SocketAddr> {
        self.environments.get(environment).map(|g| g.addr)
    }

    fn invoke_url(&self, environment: &str) -> Option<String> {
        self.environments.get(environment).map(|g| g.invoke_url())
    }

    fn set_edge(&self, environment: &str, edge: edge::EdgeSpec) -> Result<(), Error> {
        let gateway = self.get(environment)?;
        let tls = edge::compile(&edge, gateway.challenges.clone())?;
        gateway.tls.store(Arc::new(tls));
        tracing::info!(environment, domains = edge.domains.len(), min_version = edge.tls.min_version.as_str(), "listener TLS swapped");
        Ok(())
    }

    fn set_acme_challenge(&self, environment: &str, hostname: &str, answer: Option<edge::Identity>) -> Result<(), Error> {
        let gateway = self.get(environment)?;
        // Not `edge::certified`: its key check parses the certificate with webpki, which refuses
        // the critical acmeIdentifier extension every challenge certificate carries.
        let answer = answer
            .map(|a| {
                let key = upstream::provider().key_provider.load_private_key(a.key).map_err(|e| Error::Internal(format!("the ACME challenge key: {e}")))?;
                Ok::<_, Error>(Arc::new(rustls::sign::CertifiedKey::new(a.chain, key)))
            })
            .transpose()?;
        gateway.challenges.set(hostname, answer);
        Ok(())
    }

    fn failed_request(&self, request_id: &str) -> Option<FailedRequest> {
        self.failures.find(request_id)
    }

    fn limits(&self) -> &'static str {
        match &self.shared {
            None => LIMITS_ALONE,
            Some(shared) if shared.up() => LIMITS_SHARED,
            Some(_) => LIMITS_REDIS_DOWN,
        }
    }

    fn failed_requests(&self, proxy_id: i32, limit: usize) -> Vec<FailedRequest> {
        self.failures.of_proxy(proxy_id, limit)
    }

    fn set_credentials(&self, spec: consumers::CredentialsSpec) -> usize {
        let keys = self.consumers.set(&spec);
        tracing::info!(products = spec.products.len(), subscriptions = spec.subscriptions.len(), keys, "published new credentials");
        keys
    }

    fn take_usage(&self) -> Vec<(i32, [u64; 4])> {
        self.consumers.take_usage()
    }
}

/// `GATEHOUSE_GATEWAY_<ENVIRONMENT SLUG>_ADDR`.
pub fn variable(slug: &str) -> String {
    format!("GATEHOUSE_GATEWAY_{}_ADDR", slug.to_uppercase().replace('-', "_"))
}

/// Each environment's listen address: the variable when set, else 127.0.0.1:8443 for
/// Development and 127.0.0.1:9443 for Production; other environments need the variable.
pub fn addresses(slugs: &[String], lookup: impl Fn(&str) -> Option<String>) -> Result<HashMap<String, SocketAddr>, String> {
    let mut found = HashMap::new();
    for slug in slugs {
        let var = variable(slug);
        let text = match (lookup(&var).filter(|v| !v.trim().is_empty()), slug.as_str()) {
            (Some(text), _) => text,
            (None, "development") => "127.0.0.1:8443".into(),
            (None, "production") => "127.0.0.1:9443".into(),
            (None, _) => continue,
        };
        let addr = text.trim().parse::<SocketAddr>().map_err(|_| format!("{var} must be host:port, such as 127.0.0.1:8443 (got {text:?})"))?;
        found.insert(slug.clone(), addr);
    }
    Ok(found)
}

#[cfg(test)]
mod tests;
