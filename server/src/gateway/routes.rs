//! The route table: every live proxy of an environment by context path, each with
//! its compiled upstream and its own connection pool (so pooled connections are never shared
//! between endpoints with different certificates).
use super::forward::Body;
use crate::metrics::{Metrics, RouteMetrics};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
pub use services::upstream::RouteSpec;
use services::upstream::{compile, Upstream};
use hyper::header::HeaderValue;
use services::Error;
use std::borrow::Borrow;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

pub struct Route {
    pub proxy_id: i32,
    pub name: String,
    pub context_path: String,
    pub upstream: Upstream,
    /// "https://host:port/base": the backend URL up to where the request's path is appended,
    /// worked out once here rather than per request.
    pub origin: String,
    /// The backend's authority, sent as the Host header.
    pub host: HeaderValue,
    pub client: Client<HttpsConnector<HttpConnector>, Body>,
    pub metrics: RouteMetrics,
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
}

impl RouteTable {
    pub fn empty() -> Self {
        RouteTable::default()
    }

    pub fn len(&self) -> usize {
        self.routes.len()
    }

    pub fn compile(specs: Vec<RouteSpec>, environment: &str, metrics: &Metrics) -> Result<RouteTable, Error> {
        let mut table = RouteTable { routes: HashSet::with_capacity(specs.len()) };
        for spec in specs {
            table.insert(Route::compile(spec, environment, metrics)?)?;
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
        RouteTable { routes }
    }

    fn insert(&mut self, route: Arc<Route>) -> Result<(), Error> {
        if let Some(live) = self.routes.get(route.context_path.as_str()) {
            return Err(Error::Conflict(format!(
                "{} and {} would both be live at {}: undeploy one of them, or give one another context path",
                live.0.name, route.name, route.context_path
            )));
        }
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
    /// Compiles one proxy's route: its upstream (TLS configuration included) and its pool.
    pub fn compile(spec: RouteSpec, environment: &str, metrics: &Metrics) -> Result<Arc<Route>, Error> {
        let upstream = compile(&spec.upstream).map_err(|e| Error::Invalid { field: None, message: format!("{} cannot be compiled: {e}", spec.name) })?;
        let client = client_for(&upstream)?;
        let metrics = metrics.route(environment, &spec.name);
        let authority = upstream.authority();
        let scheme = if upstream.https { "https" } else { "http" };
        let origin = format!("{scheme}://{authority}{}", upstream.base_path);
        let host = HeaderValue::from_str(&authority).map_err(|_| Error::invalid("url", format!("{} has a backend host that cannot be a Host header", spec.name)))?;
        Ok(Arc::new(Route { proxy_id: spec.proxy_id, name: spec.name, context_path: spec.context_path, upstream, origin, host, client, metrics }))
    }
}

fn client_for(upstream: &Upstream) -> Result<Client<HttpsConnector<HttpConnector>, Body>, Error> {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(Some(upstream.connect_timeout));
    // hyper-rustls sets ALPN itself from the versions enabled below.
    let mut tls = match &upstream.tls {
        Some(config) => (**config).clone(),
        None => plain_http_placeholder()?,
    };
    tls.alpn_protocols.clear();
    let connector = hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(tls).https_or_http().enable_all_versions().wrap_connector(http);
    Ok(Client::builder(TokioExecutor::new()).pool_idle_timeout(Duration::from_secs(90)).pool_max_idle_per_host(256).build(connector))
}

/// An http:// upstream never uses TLS; the connector still wants a configuration.
fn plain_http_placeholder() -> Result<rustls::ClientConfig, Error> {
    Ok(rustls::ClientConfig::builder_with_provider(services::upstream::provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Internal(format!("TLS setup failed: {e}")))?
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth())
}
