//! The gateway: one HTTPS listener per environment inside the `gatehouse` process. Each
//! environment's routes are an immutable `RouteTable`, compiled off to the side (every rustls
//! `ClientConfig` built then) and published with one atomic swap; a request takes the table
//! current when it starts and finishes on it, whatever is published meanwhile.
mod errors;
mod forward;
mod listener;
mod routes;
mod workers;

pub use routes::{Route, RouteSpec, RouteTable};
pub use workers::default_count as default_threads;

use crate::metrics::Metrics;
use arc_swap::ArcSwap;
use prometheus_client::metrics::counter::Counter;
use services::{Error, Services};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

/// One environment's listener and what it serves.
pub struct EnvironmentGateway {
    pub slug: String,
    pub name: String,
    /// Where it listens (the port is the real one when `:0` was asked for).
    pub addr: SocketAddr,
    routes: ArcSwap<RouteTable>,
    /// Held while a new table is built from the current one, so two changes never both
    /// start from the same old table.
    writer: std::sync::Mutex<()>,
    /// Requests that matched no route here.
    no_route: Counter,
}

impl EnvironmentGateway {
    /// `https://127.0.0.1:8443`: where API consumers call this environment.
    pub fn base_url(&self) -> String {
        format!("https://{}", self.addr)
    }

    pub fn routes(&self) -> Arc<RouteTable> {
        self.routes.load_full()
    }
}

#[derive(Clone)]
pub struct Gateway {
    environments: Arc<HashMap<String, Arc<EnvironmentGateway>>>,
    metrics: Arc<Metrics>,
}

impl Gateway {
    /// Starts `threads` gateway threads, binds a listener for each environment that has an
    /// address, with its certificate from the database (created self-signed on first start),
    /// and starts serving on every thread (no routes yet).
    pub async fn start(services: &Services, addrs: &HashMap<String, SocketAddr>, metrics: Arc<Metrics>, threads: usize) -> Result<Gateway, String> {
        let workers = workers::Workers::start(threads)?;
        let mut environments = HashMap::new();
        for env in services::environments::all(&services.db).await.map_err(|e| e.to_string())? {
            let Some(addr) = addrs.get(&env.slug) else { continue };
            let hosts = vec![addr.ip().to_string()];
            let identity = services::environments::gateway_identity(&services.db, &services.master_key, &env, &hosts)
                .await
                .map_err(|e| format!("cannot prepare the {} gateway's certificate: {e}", env.name))?;
            let tls = listener::server_config(identity.chain, identity.key).map_err(|e| format!("the {} gateway's certificate cannot be used: {e}", env.name))?;
            let listen_error = |e: std::io::Error| format!("cannot listen on {addr} for the {} gateway ({}): {e}", env.name, variable(&env.slug));
            let socket = std::net::TcpListener::bind(addr).map_err(listen_error)?;
            let bound = socket.local_addr().map_err(|e| e.to_string())?;
            let gateway = Arc::new(EnvironmentGateway {
                slug: env.slug.clone(),
                name: env.name.clone(),
                addr: bound,
                routes: ArcSwap::from_pointee(RouteTable::empty()),
                writer: std::sync::Mutex::new(()),
                no_route: metrics.no_route(&env.slug),
            });
            let serving = gateway.clone();
            workers.serve(socket, move |listener| listener::serve(listener, tls.clone(), serving.clone())).map_err(listen_error)?;
            environments.insert(env.slug, gateway);
        }
        if let Ok(mut urls) = services.gateway_urls.write() {
            urls.extend(environments.values().map(|g| (g.slug.clone(), g.base_url())));
        }
        tracing::info!(threads = workers.len(), "gateway threads started");
        Ok(Gateway { environments: Arc::new(environments), metrics })
    }

    /// Environments in no particular order.
    pub fn environments(&self) -> impl Iterator<Item = &Arc<EnvironmentGateway>> {
        self.environments.values()
    }

    pub fn get(&self, environment: &str) -> Result<&Arc<EnvironmentGateway>, Error> {
        self.environments.get(environment).ok_or_else(|| Error::NotFound(format!("the {environment} gateway is not running in this process")))
    }

    /// Compiles `specs` into a new route table and swaps it in. If anything fails to compile,
    /// nothing changes: the old table keeps serving and the error names the proxy.
    pub fn publish(&self, environment: &str, specs: Vec<RouteSpec>) -> Result<usize, Error> {
        let gateway = self.get(environment)?;
        let table = RouteTable::compile(specs, environment, &self.metrics)?;
        let count = table.len();
        let _writer = gateway.writer.lock().unwrap_or_else(|p| p.into_inner());
        gateway.routes.store(Arc::new(table));
        tracing::info!(environment, routes = count, "published a new route table");
        Ok(count)
    }
}

impl services::upstream::GatewayControl for Gateway {
    fn replace_all(&self, environment: &str, routes: Vec<RouteSpec>) -> Result<usize, Error> {
        self.publish(environment, routes)
    }

    fn upsert(&self, environment: &str, route: RouteSpec) -> Result<(), Error> {
        let gateway = self.get(environment)?;
        let (name, path) = (route.name.clone(), route.context_path.clone());
        // Compiled before taking the writer lock: only the cheap table rebuild is serialized.
        let route = Route::compile(route, environment, &self.metrics)?;
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
