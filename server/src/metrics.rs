//! Prometheus metrics for the gateway, served at /metrics on the portal address: requests by
//! status class, latency, upstream errors by code (per environment and proxy), and requests
//! that matched no route. Each route's counters are looked up once, when the route is compiled,
//! so a request only increments.
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    environment: String,
    proxy: String,
    /// "2xx", "4xx", …
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    environment: String,
    proxy: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ErrorLabels {
    environment: String,
    proxy: String,
    code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EnvironmentLabels {
    environment: String,
}

fn latency_histogram() -> Histogram {
    // 1 ms to about 33 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    duration: Family<RouteLabels, Histogram, fn() -> Histogram>,
    upstream_errors: Family<ErrorLabels, Counter>,
    no_route: Family<EnvironmentLabels, Counter>,
}

impl Metrics {
    pub fn new() -> Arc<Metrics> {
        let mut registry = Registry::with_prefix("gatehouse_gateway");
        let requests = Family::<RequestLabels, Counter>::default();
        let duration = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram as fn() -> Histogram);
        let upstream_errors = Family::<ErrorLabels, Counter>::default();
        let no_route = Family::<EnvironmentLabels, Counter>::default();
        registry.register("requests", "Requests answered through a proxy, by status class", requests.clone());
        registry.register("request_duration_seconds", "Time to the backend's response head (or the gateway's error)", duration.clone());
        registry.register("upstream_errors", "Calls to a backend that failed, by the gateway's error code", upstream_errors.clone());
        registry.register("no_route", "Requests that matched no deployed proxy", no_route.clone());
        Arc::new(Metrics { registry, requests, duration, upstream_errors, no_route })
    }

    /// The counters of one route, resolved once.
    pub fn route(&self, environment: &str, proxy: &str) -> RouteMetrics {
        let class = |status: &str| {
            self.requests.get_or_create_owned(&RequestLabels { environment: environment.into(), proxy: proxy.into(), status: status.into() })
        };
        RouteMetrics {
            by_class: [class("1xx"), class("2xx"), class("3xx"), class("4xx"), class("5xx")],
            duration: self.duration.get_or_create_owned(&RouteLabels { environment: environment.into(), proxy: proxy.into() }),
            errors: self.upstream_errors.clone(),
            environment: environment.into(),
            proxy: proxy.into(),
        }
    }

    pub fn no_route(&self, environment: &str) -> Counter {
        self.no_route.get_or_create_owned(&EnvironmentLabels { environment: environment.into() })
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::error!(error = %e, "could not encode the metrics");
        }
        out
    }
}

pub struct RouteMetrics {
    by_class: [Counter; 5],
    duration: Histogram,
    errors: Family<ErrorLabels, Counter>,
    environment: String,
    proxy: String,
}

impl RouteMetrics {
    pub fn answered(&self, status: u16, elapsed: Duration) {
        let class = usize::from((status / 100).clamp(1, 5) - 1);
        self.by_class[class].inc();
        self.duration.observe(elapsed.as_secs_f64());
    }

    pub fn upstream_error(&self, code: &str) {
        self.errors.get_or_create(&ErrorLabels { environment: self.environment.clone(), proxy: self.proxy.clone(), code: code.into() }).inc();
    }
}
