//! One environment's listener as the rest of the gateway sees it: its name, its address, its
//! live route table and the lock that orders changes to it.
use crate::edge::ListenerTls;
use crate::metrics::Metrics;
use crate::recent::RecentFailures;
use crate::routes::RouteTable;
use arc_swap::ArcSwap;
use prometheus_client::metrics::counter::Counter;
use std::net::SocketAddr;
use std::sync::Arc;

/// One environment's listener and what it serves.
pub struct EnvironmentGateway {
    pub slug: String,
    pub name: String,
    /// Where it listens (the port is the real one when `:0` was asked for).
    pub addr: SocketAddr,
    /// The live table. Read by every request; written only under `writer`.
    pub(crate) routes: ArcSwap<RouteTable>,
    /// Held while a new table is built from the current one, so two changes never both
    /// start from the same old table. Owned here: the one lock on the route table's path.
    pub(crate) writer: std::sync::Mutex<()>,
    /// Requests that matched no route here.
    pub(crate) no_route: Counter,
    /// Connections closed as they came because the listener was at its cap.
    pub(crate) connections_refused: Counter,
    /// Recent failed calls to backends, with their detail (shared by every environment).
    pub(crate) failures: Arc<RecentFailures>,
    /// Who may call routes that need a subscription (shared by every environment).
    pub(crate) consumers: Arc<crate::consumers::Consumers>,
    /// What the listener presents (`edge`): read at each accept, swapped whole.
    pub(crate) tls: ArcSwap<ListenerTls>,
    /// ACME challenges answered on this listener (shared by every compile of `tls`).
    pub(crate) challenges: Arc<crate::edge::Challenges>,
}

impl EnvironmentGateway {
    /// Serving no routes yet.
    pub(crate) fn new(
        slug: String,
        name: String,
        addr: SocketAddr,
        tls: ListenerTls,
        metrics: &Metrics,
        failures: Arc<RecentFailures>,
        consumers: Arc<crate::consumers::Consumers>,
    ) -> Self {
        EnvironmentGateway {
            failures,
            consumers,
            no_route: metrics.no_route(&slug),
            connections_refused: metrics.connections_refused(&slug),
            slug,
            name,
            addr,
            routes: ArcSwap::from_pointee(RouteTable::empty()),
            challenges: tls.challenges.clone(),
            tls: ArcSwap::from_pointee(tls),
            writer: std::sync::Mutex::new(()),
        }
    }

    /// `https://127.0.0.1:8443`: where API consumers call this environment.
    pub fn base_url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// Where callers are told to call: by the first domain when there is one.
    pub fn invoke_url(&self) -> String {
        match &self.tls.load().domain {
            Some(domain) => crate::edge::url_for(domain, self.addr.port()),
            None => self.base_url(),
        }
    }

    pub fn routes(&self) -> Arc<RouteTable> {
        self.routes.load_full()
    }
}
