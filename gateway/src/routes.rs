//! The route table: every live proxy of an environment by context path, each with its compiled
//! upstream and a connection pool. Routes share a pool only when they call the same origin with
//! the same shared TLS configuration (same trusted certificates, key pair and checks) and the
//! same connect timeout, so pooled connections are never shared between endpoints with different
//! certificates.
use crate::consumers::{AccessSpec, KeyPlaces, RouteAccess};
use crate::errors::Error;
use crate::metrics::{Metrics, RouteMetrics};
use crate::policies::Policies;
use crate::upstream::pool::{Origin, Pool};
use crate::upstream::{compile, RouteSpec, Upstream};
use bytes::Bytes;
use hyper::header::{HeaderName, HeaderValue};
use hyper::http::uri::{Authority, Scheme};
use std::borrow::Borrow;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, LazyLock, Mutex, Weak};
use std::time::Duration;

pub struct Route {
    pub proxy_id: i32,
    pub name: String,
    pub context_path: String,
    pub upstream: Upstream,
    /// The backend's authority, sent as the Host header.
    pub host: HeaderValue,
    /// Its connections to the backend, shared with every route to the same origin with the
    /// same TLS configuration; the origin's scheme and authority, parsed once, are there.
    pub pool: Arc<Pool>,
    pub metrics: RouteMetrics,
    /// Where callers' subscription keys are read, and whether a client certificate is
    /// accepted instead; `None` for an open route.
    pub access: Option<RouteAccess>,
    /// Its header rules, mask, IP filter, CORS and lifecycle, compiled.
    pub policies: Policies,
}

/// A live route, hashed and compared by its context path, so that the table is looked up with
/// a `&str` and building a table copies no paths.
#[derive(Clone)]
struct ByPath(Arc<Route>);

impl PartialEq for ByPath {
    fn eq(&self, other: &Self) -> bool {
        self.0.context_path == other.0.context_path
    }
}

impl Eq for ByPath {}

impl Hash for ByPath {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // As `str` hashes, which `Borrow<str>` requires.
        self.0.context_path.as_str().hash(state);
    }
}

impl Borrow<str> for ByPath {
    fn borrow(&self) -> &str {
        &self.0.context_path
    }
}

/// Every live route of an environment by context path: a lookup costs one hash per segment of
/// the request's path, however many proxies are live.
#[derive(Default)]
pub struct RouteTable {
    routes: HashSet<ByPath>,
    /// How many routes accept a client certificate: while none does, the listener does not
    /// ask callers for one.
    certificate_routes: usize,
}

impl RouteTable {
    pub fn empty() -> Self {
        RouteTable::default()
    }

    pub fn len(&self) -> usize {
        self.routes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// `public` is the environment's public URL (for masking backend URLs).
    pub fn compile(specs: Vec<RouteSpec>, environment: &str, public: &str, metrics: &Arc<Metrics>) -> Result<RouteTable, Error> {
        let mut table = RouteTable { routes: HashSet::with_capacity(specs.len()), certificate_routes: 0 };
        for spec in specs {
            table.insert(Route::compile(spec, environment, public, metrics)?)?;
        }
        Ok(table)
    }

    /// This table with `route` added, or in place of the same proxy's route; the other routes
    /// are shared, not compiled again.
    pub fn with(&self, route: Arc<Route>) -> Result<RouteTable, Error> {
        let mut table = self.without(route.proxy_id);
        table.insert(route)?;
        Ok(table)
    }

    pub fn without(&self, proxy_id: i32) -> RouteTable {
        let mut routes = self.routes.clone();
        routes.retain(|r| r.0.proxy_id != proxy_id);
        let certificate_routes = routes.iter().filter(|r| r.0.accepts_certificates()).count();
        RouteTable { routes, certificate_routes }
    }

    /// Whether callers should be asked for a client certificate (some route accepts one).
    pub fn asks_for_client_certificates(&self) -> bool {
        self.certificate_routes > 0
    }

    fn insert(&mut self, route: Arc<Route>) -> Result<(), Error> {
        if let Some(live) = self.routes.get(route.context_path.as_str()) {
            return Err(Error::Conflict(format!(
                "{} and {} would both be live at {}: undeploy one of them, or give one another context path",
                live.0.name, route.name, route.context_path
            )));
        }
        self.certificate_routes += usize::from(route.accepts_certificates());
        self.routes.insert(ByPath(route));
        Ok(())
    }

    /// The route whose context path is the longest prefix of `path` (on a segment boundary),
    /// and the rest of the path after it ("" or "/…").
    pub fn find<'a>(&'a self, path: &'a str) -> Option<(&'a Arc<Route>, &'a str)> {
        // Context paths have no trailing slash, so the candidates are the whole path and each
        // prefix that ends before a '/', longest first.
        let mut end = path.len();
        loop {
            if let Some(route) = self.routes.get(&path[..end]) {
                return Some((&route.0, &path[end..]));
            }
            end = path[..end].rfind('/').filter(|&i| i > 0)?;
        }
    }
}

impl Route {
    fn accepts_certificates(&self) -> bool {
        self.access.as_ref().is_some_and(|a| a.client_certificate)
    }

    /// "https://host:port/base": the backend URL that the rest of a request's path is appended to.
    #[cfg(test)]
    pub fn origin(&self) -> String {
        let origin = self.pool.origin();
        format!("{}://{}{}", origin.scheme, origin.authority, self.upstream.base_path)
    }

    /// Compiles one proxy's route: its upstream (TLS configuration included), its pool and its
    /// policies; `public` is the environment's public URL, where masked backend URLs point.
    pub fn compile(spec: RouteSpec, environment: &str, public: &str, metrics: &Arc<Metrics>) -> Result<Arc<Route>, Error> {
        let upstream = compile(&spec.upstream).map_err(|e| match e {
            Error::Invalid { field, message } => Error::Invalid { field, message: format!("{} cannot be compiled: {message}", spec.name) },
            other => other,
        })?;
        let metrics = metrics.route(environment, spec.proxy_id, &spec.name);
        let authority = upstream.authority();
        let host =
            HeaderValue::from_str(&authority).map_err(|_| Error::invalid("url", format!("{} has a backend host that cannot be a Host header", spec.name)))?;
        let unusable = || Error::invalid("url", format!("{} has a backend host that cannot be a URI authority", spec.name));
        let authority = Authority::from_maybe_shared(Bytes::from(authority)).map_err(|_| unusable())?;
        let scheme = if upstream.https { Scheme::HTTPS } else { Scheme::HTTP };
        let pool = shared_pool(&upstream, &scheme, &authority).map_err(|message| Error::invalid("url", format!("{} {message}", spec.name)))?;
        let access = match &spec.access {
            AccessSpec::Open => None,
            AccessSpec::Subscription { key_header, key_query, client_certificate } => {
                let header = HeaderName::from_bytes(key_header.to_ascii_lowercase().as_bytes())
                    .map_err(|_| Error::invalid("access", format!("{} has a key header name that is not a header name", spec.name)))?;
                if key_query.is_empty() {
                    return Err(Error::invalid("access", format!("{} has an empty key query parameter name", spec.name)));
                }
                Some(RouteAccess { keys: KeyPlaces { header, query: key_query.as_str().into() }, client_certificate: *client_certificate })
            }
        };
        let backend = format!("{scheme}://{authority}{}", upstream.base_path);
        let key_header = access.as_ref().map(|a| a.keys.header.as_str());
        let policies = Policies::compile(&spec.name, &spec.policies, spec.lifecycle, &backend, &format!("{public}{}", spec.context_path), key_header)?;
        Ok(Arc::new(Route { policies, proxy_id: spec.proxy_id, name: spec.name, context_path: spec.context_path, upstream, host, pool, metrics, access }))
    }
}

/// What makes two routes' pools interchangeable: the same origin, the same shared TLS
/// configuration (by address: a live pool holds that very configuration, so the address cannot
/// be reused while the entry still upgrades), the same connect timeout and the same
/// destinations.
#[derive(PartialEq, Eq, Hash)]
struct PoolKey {
    https: bool,
    host: String,
    port: u16,
    tls: Option<usize>,
    connect_timeout: Duration,
    /// By value: a pool only ever connects where its environment allows.
    destinations: Arc<crate::upstream::destinations::Destinations>,
}

/// Pools by `PoolKey`, weak: a pool goes when its last route does. Thousands of proxies behind
/// one backend with one key pair then cost one pool, not one each.
static SHARED_POOLS: LazyLock<Mutex<HashMap<PoolKey, Weak<Pool>>>> = LazyLock::new(Default::default);

fn shared_pool(upstream: &Upstream, scheme: &Scheme, authority: &Authority) -> Result<Arc<Pool>, String> {
    let key = PoolKey {
        https: upstream.https,
        host: upstream.host.clone(),
        port: upstream.port,
        tls: upstream.tls.as_ref().map(|c| Arc::as_ptr(c) as usize),
        connect_timeout: upstream.connect_timeout,
        destinations: upstream.destinations.clone(),
    };
    let mut shared = SHARED_POOLS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(pool) = shared.get(&key).and_then(Weak::upgrade) {
        return Ok(pool);
    }
    let tls = match &upstream.tls {
        None => None,
        Some(config) => {
            let name = rustls::pki_types::ServerName::try_from(upstream.host.clone())
                .map_err(|_| format!("has a backend host, {}, that TLS cannot verify: use the backend's DNS name or IP address in its URL", upstream.host))?;
            Some((config.clone(), name))
        }
    };
    let pool = Arc::new(Pool::new(Origin {
        host: upstream.host.clone(),
        port: upstream.port,
        scheme: scheme.clone(),
        authority: authority.clone(),
        tls,
        connect_timeout: upstream.connect_timeout,
        destinations: upstream.destinations.clone(),
    }));
    shared.retain(|_, pool| pool.strong_count() > 0);
    shared.insert(key, Arc::downgrade(&pool));
    Ok(pool)
}
