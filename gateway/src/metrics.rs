//! Prometheus metrics for the gateway, served at /metrics on the portal address: requests by
//! status class, latency, upstream errors by code (per environment and proxy), and requests
//! that matched no route. Each route's counters are looked up once, when the route is compiled,
//! so a request only increments.
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    environment: String,
    proxy_id: i32,
    proxy: String,
    /// "2xx", "4xx", …
    status: String,
}

/// A proxy's series are told apart by its id (two proxies may share a name across projects);
/// the name, escaped by the encoder, is there for people.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    environment: String,
    proxy_id: i32,
    proxy: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ErrorLabels {
    environment: String,
    proxy_id: i32,
    proxy: String,
    code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ConsumerLabels {
    product: String,
    outcome: &'static str,
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
    connections_refused: Family<EnvironmentLabels, Counter>,
    consumers: Family<ConsumerLabels, Counter>,
    limit_store_up: prometheus_client::metrics::gauge::Gauge,
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
        let connections_refused = Family::<EnvironmentLabels, Counter>::default();
        registry.register("connections_refused", "Connections closed as accepted because the listener had its most open", connections_refused.clone());
        let consumers = Family::<ConsumerLabels, Counter>::default();
        registry.register(
            "consumer_requests",
            "Requests with a subscription key, by product and outcome (allowed, rate_limited, quota, refused)",
            consumers.clone(),
        );
        let limit_store_up = prometheus_client::metrics::gauge::Gauge::default();
        registry.register(
            "limit_store_up",
            "1 while rate limits are counted across the gateway nodes in Redis (GATEHOUSE_REDIS_URL); 0 while each node counts alone (Redis unreachable, or not configured)",
            limit_store_up.clone(),
        );
        Arc::new(Metrics { registry, requests, duration, upstream_errors, no_route, connections_refused, consumers, limit_store_up })
    }

    /// The counters of one route. Each series is registered the first time the route answers
    /// with it, then kept by the route: a request only increments, and the thousands of live
    /// routes that are never called cost no series (about 1.5 KB a route when made up front).
    pub fn route(self: &Arc<Self>, environment: &str, proxy_id: i32, proxy: &str) -> RouteMetrics {
        RouteMetrics {
            metrics: self.clone(),
            by_class: Default::default(),
            duration: OnceLock::new(),
            labels: RouteLabels { environment: environment.into(), proxy_id, proxy: proxy.into() },
        }
    }

    /// A product's counter for one outcome, looked up when credentials are compiled.
    pub fn consumer_outcome(&self, product: &str, outcome: &'static str) -> Counter {
        self.consumers.get_or_create_owned(&ConsumerLabels { product: product.into(), outcome })
    }

    pub fn set_limit_store_up(&self, up: bool) {
        self.limit_store_up.set(i64::from(up));
    }

    pub fn no_route(&self, environment: &str) -> Counter {
        self.no_route.get_or_create_owned(&EnvironmentLabels { environment: environment.into() })
    }

    pub fn connections_refused(&self, environment: &str) -> Counter {
        self.connections_refused.get_or_create_owned(&EnvironmentLabels { environment: environment.into() })
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
    metrics: Arc<Metrics>,
    by_class: [OnceLock<Counter>; 5],
    duration: OnceLock<Histogram>,
    labels: RouteLabels,
}

impl RouteMetrics {
    pub fn answered(&self, status: u16, elapsed: Duration) {
        const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];
        let class = usize::from((status / 100).clamp(1, 5) - 1);
        let counter = self.by_class[class].get_or_init(|| {
            let labels = RequestLabels {
                environment: self.labels.environment.clone(),
                proxy_id: self.labels.proxy_id,
                proxy: self.labels.proxy.clone(),
                status: CLASSES[class].into(),
            };
            self.metrics.requests.get_or_create_owned(&labels)
        });
        counter.inc();
        let duration = self.duration.get_or_init(|| self.metrics.duration.get_or_create_owned(&self.labels));
        duration.observe(elapsed.as_secs_f64());
    }

    pub fn upstream_error(&self, code: &str) {
        let labels =
            ErrorLabels { environment: self.labels.environment.clone(), proxy_id: self.labels.proxy_id, proxy: self.labels.proxy.clone(), code: code.into() };
        self.metrics.upstream_errors.get_or_create(&labels).inc();
    }
}
