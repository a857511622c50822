//! The gateway: one HTTPS listener per environment inside the `gatehouse` process. Each
//! environment's routes are an immutable `RouteTable`, compiled off to the side (every rustls
//! `ClientConfig` built then) and published with one atomic swap; a request takes the table
//! current when it starts and finishes on it, whatever is published meanwhile.
// `publish` and the route types are exercised by the tests; deploys (the next piece of work)
// are what will call them in the running server.
#![cfg_attr(not(test), allow(dead_code))]

mod errors;
mod forward;
mod listener;
mod routes;

pub use routes::{RouteSpec, RouteTable};

use arc_swap::ArcSwap;
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
    /// Its certificate, for clients that want to trust it.
    pub certificate_pem: String,
    routes: ArcSwap<RouteTable>,
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

#[derive(Clone, Default)]
pub struct Gateway {
    environments: Arc<HashMap<String, Arc<EnvironmentGateway>>>,
}

impl Gateway {
    /// Binds a listener for each environment that has an address, with its certificate from
    /// the database (created self-signed on first start), and starts serving (no routes yet).
    pub async fn start(services: &Services, addrs: &HashMap<String, SocketAddr>) -> Result<Gateway, String> {
        let mut environments = HashMap::new();
        for env in services::environments::all(&services.db).await.map_err(|e| e.to_string())? {
            let Some(addr) = addrs.get(&env.slug) else { continue };
            let hosts = vec![addr.ip().to_string()];
            let identity = services::environments::gateway_identity(&services.db, &services.master_key, &env, &hosts)
                .await
                .map_err(|e| format!("cannot prepare the {} gateway's certificate: {e}", env.name))?;
            let tls = listener::server_config(identity.chain, identity.key).map_err(|e| format!("the {} gateway's certificate cannot be used: {e}", env.name))?;
            let socket = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| format!("cannot listen on {addr} for the {} gateway ({}): {e}", env.name, variable(&env.slug)))?;
            let bound = socket.local_addr().map_err(|e| e.to_string())?;
            let gateway = Arc::new(EnvironmentGateway {
                slug: env.slug.clone(),
                name: env.name.clone(),
                addr: bound,
                certificate_pem: identity.certificate_pem,
                routes: ArcSwap::from_pointee(RouteTable::empty()),
            });
            tokio::spawn(listener::serve(socket, tls, gateway.clone()));
            environments.insert(env.slug, gateway);
        }
        if let Ok(mut urls) = services.gateway_urls.write() {
            urls.extend(environments.values().map(|g| (g.slug.clone(), g.base_url())));
        }
        Ok(Gateway { environments: Arc::new(environments) })
    }

    pub fn environment(&self, slug: &str) -> Option<&Arc<EnvironmentGateway>> {
        self.environments.get(slug)
    }

    /// Environments in no particular order.
    pub fn environments(&self) -> impl Iterator<Item = &Arc<EnvironmentGateway>> {
        self.environments.values()
    }

    /// Compiles `specs` into a new route table and swaps it in. If anything fails to compile,
    /// nothing changes: the old table keeps serving and the error names the proxy.
    pub fn publish(&self, environment: &str, specs: Vec<RouteSpec>) -> Result<usize, Error> {
        let gateway = self.environments.get(environment).ok_or_else(|| Error::NotFound(format!("the {environment} gateway is not running")))?;
        let table = RouteTable::compile(specs)?;
        let count = table.len();
        gateway.routes.store(Arc::new(table));
        tracing::info!(environment, routes = count, "published a new route table");
        Ok(count)
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
