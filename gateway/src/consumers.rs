//! Consumers: who may call a proxy whose access is "subscription". The services hand the
//! gateway every product and subscription as plain data (`CredentialsSpec`); it is compiled
//! into one immutable `Credentials` snapshot (key hash → grant) and swapped atomically, like the
//! route tables, so suspending, cancelling or regenerating a key holds from the next request
//! with no redeploy. A request costs one SHA-256 of the presented key, one map lookup, and one
//! compare-and-swap per limit (`limits`). A client certificate can stand in for a key where the
//! route accepts one (`certificates`).
mod admission;
pub mod certificates;
mod keys;
pub mod limits;
mod shared;

pub use admission::{admit, Admitted, Refused};
pub use certificates::{ClientCertificate, NotCurrent, OfferClientAuth, TrustedCa};

pub use keys::{KeyPlaces, KeyProblem, Source};
pub use limits::{Counter, Counters, Decision, Local, Quota, QuotaPeriod, RateLimit, MAX_QUOTA_REQUESTS, MAX_RATE_REQUESTS};
pub use shared::Shared;

use hyper::header::HeaderValue;
use prometheus_client::metrics::counter::Counter as Metric;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A route's access setting, as deployed (part of its revision).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum AccessSpec {
    /// Anyone who reaches the gateway may call.
    #[default]
    Open,
    /// Only callers with an active subscription to a product that includes the proxy: by key,
    /// or by a client certificate bound to the subscription when `client_certificate`.
    Subscription { key_header: String, key_query: String, client_certificate: bool },
}

/// A route's access compiled: where keys are read, and whether a client certificate may stand
/// in for one.
#[derive(Debug, Clone)]
pub struct RouteAccess {
    pub keys: KeyPlaces,
    pub client_certificate: bool,
}

/// The client certificate a subscription is bound to, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientBinding {
    /// Exactly this certificate (its SHA-256), whoever issued it.
    Fingerprint([u8; 32]),
    /// Any certificate this trusted client CA issued (its DER).
    Ca(rustls::pki_types::CertificateDer<'static>),
}

/// A product as the gateway needs it: which proxies it grants and its plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductSpec {
    pub id: i32,
    /// For the backend's `x-gatehouse-product` header and the metrics ("gold").
    pub slug: String,
    pub proxy_ids: Vec<i32>,
    pub rate_limit: Option<RateLimit>,
    pub quota: Option<Quota>,
}

/// A subscription that is active or suspended (cancelled ones are left out: their keys are
/// simply not valid any more), with the SHA-256 of each of its keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionSpec {
    pub id: i32,
    pub product_id: i32,
    pub active: bool,
    pub key_hashes: Vec<[u8; 32]>,
    /// Requests already allowed in the current quota period (as last written), so a restart
    /// does not hand a subscription its quota again.
    pub quota_used: u64,
    pub client_certificate: Option<ClientBinding>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CredentialsSpec {
    pub products: Vec<ProductSpec>,
    pub subscriptions: Vec<SubscriptionSpec>,
}

/// How a request with a subscription key ended, for usage and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Allowed = 0,
    RateLimited = 1,
    Quota = 2,
    Refused = 3,
}

impl Outcome {
    pub const ALL: [Outcome; 4] = [Outcome::Allowed, Outcome::RateLimited, Outcome::Quota, Outcome::Refused];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allowed => "allowed",
            Outcome::RateLimited => "rate_limited",
            Outcome::Quota => "quota",
            Outcome::Refused => "refused",
        }
    }
}

/// Requests per outcome since the services last took them (`Usage::take`).
#[derive(Default)]
pub struct Usage([AtomicU64; 4]);

impl Usage {
    fn count(&self, outcome: Outcome) {
        self.0[outcome as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// The counts so far, reset to zero.
    pub fn take(&self) -> [u64; 4] {
        std::array::from_fn(|i| self.0[i].swap(0, Ordering::Relaxed))
    }
}

/// Every subscription's usage counters, kept across snapshots so none is lost in a swap.
#[derive(Default)]
pub struct UsageBook(Mutex<HashMap<i32, Arc<Usage>>>);

impl UsageBook {
    fn get(&self, subscription_id: i32) -> Arc<Usage> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).entry(subscription_id).or_default().clone()
    }

    /// Each subscription's counts since the last call (those with any), reset to zero.
    /// Subscriptions no snapshot holds any more are forgotten once taken.
    pub fn take(&self) -> Vec<(i32, [u64; 4])> {
        let mut book = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let taken: Vec<(i32, [u64; 4])> = book.iter().map(|(id, usage)| (*id, usage.take())).filter(|(_, counts)| counts.iter().any(|n| *n > 0)).collect();
        book.retain(|_, usage| Arc::strong_count(usage) > 1);
        taken
    }
}

/// A product compiled: its proxies as a set, its metric counters looked up once.
pub struct Plan {
    pub id: i32,
    proxies: HashSet<i32>,
    header: HeaderValue,
    outcomes: [Metric; 4],
}

/// What one key opens.
pub struct Grant {
    pub subscription_id: i32,
    active: bool,
    plan: Arc<Plan>,
    /// The subscription's id, for the backend's `x-gatehouse-subscription` header.
    header: HeaderValue,
    rate: Option<Arc<dyn Counter>>,
    quota: Option<Arc<dyn Counter>>,
    usage: Arc<Usage>,
}

impl std::fmt::Debug for Grant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Grant")
            .field("subscription_id", &self.subscription_id)
            .field("active", &self.active)
            .field("product", &self.plan.id)
            .finish_non_exhaustive()
    }
}

impl Grant {
    /// `x-gatehouse-subscription` and `x-gatehouse-product` for the backend.
    pub fn headers(&self) -> (&HeaderValue, &HeaderValue) {
        (&self.header, &self.plan.header)
    }

    fn record(&self, outcome: Outcome) {
        self.usage.count(outcome);
        self.plan.outcomes[outcome as usize].inc();
    }
}

/// Why a caller with a key (or without one) is not let through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    KeyInvalid,
    Suspended,
    NotSubscribed,
    RateLimited {
        limit: u64,
        reset: Duration,
    },
    QuotaExceeded {
        limit: u64,
        reset: Duration,
    },
    /// The certificate presented is bound to no subscription that includes the proxy.
    CertificateNotSubscribed,
    CertificateNotCurrent(NotCurrent),
}

/// The compiled credentials: every valid key's hash and what it opens; every bound client
/// certificate's hash, and per proxy the trusted CAs whose certificates open it.
#[derive(Default)]
pub struct Credentials {
    by_key: HashMap<[u8; 32], Arc<Grant>>,
    /// Across projects one certificate may be bound once per project: the grants it opens.
    by_certificate: HashMap<[u8; 32], Vec<Arc<Grant>>>,
    by_ca: HashMap<i32, Vec<CaGrant>>,
}

/// A trusted client CA and the subscription its certificates call as.
type CaGrant = (Arc<TrustedCa>, Arc<Grant>);

impl Credentials {
    pub fn compile(spec: &CredentialsSpec, counters: &dyn Counters, usage: &UsageBook, metrics: &crate::Metrics) -> Credentials {
        let plans: HashMap<i32, (Arc<Plan>, &ProductSpec)> = spec
            .products
            .iter()
            .map(|p| {
                let plan = Plan {
                    id: p.id,
                    proxies: p.proxy_ids.iter().copied().collect(),
                    header: HeaderValue::from_str(&p.slug).unwrap_or(HeaderValue::from_static("product")),
                    outcomes: Outcome::ALL.map(|o| metrics.consumer_outcome(&p.slug, o.as_str())),
                };
                (p.id, (Arc::new(plan), p))
            })
            .collect();
        let mut by_key = HashMap::new();
        let mut by_certificate: HashMap<[u8; 32], Vec<Arc<Grant>>> = HashMap::new();
        let mut by_ca: HashMap<i32, Vec<CaGrant>> = HashMap::new();
        let mut cas: HashMap<&[u8], Option<Arc<TrustedCa>>> = HashMap::new();
        for sub in &spec.subscriptions {
            let Some((plan, product)) = plans.get(&sub.product_id) else { continue };
            let grant = Arc::new(Grant {
                subscription_id: sub.id,
                active: sub.active,
                plan: plan.clone(),
                header: HeaderValue::from(sub.id),
                rate: product.rate_limit.map(|limit| counters.rate(sub.id, limit)),
                quota: product.quota.map(|quota| counters.quota(sub.id, quota, sub.quota_used)),
                usage: usage.get(sub.id),
            });
            for hash in &sub.key_hashes {
                by_key.insert(*hash, grant.clone());
            }
            match &sub.client_certificate {
                None => {}
                Some(ClientBinding::Fingerprint(hash)) => by_certificate.entry(*hash).or_default().push(grant.clone()),
                Some(ClientBinding::Ca(der)) => {
                    let ca = cas.entry(der.as_ref()).or_insert_with(|| match TrustedCa::new(der) {
                        Ok(ca) => Some(Arc::new(ca)),
                        Err(e) => {
                            tracing::warn!(subscription = sub.id, error = %e, "a trusted client CA cannot be used; its certificates are refused");
                            None
                        }
                    });
                    if let Some(ca) = ca {
                        for proxy_id in &product.proxy_ids {
                            by_ca.entry(*proxy_id).or_default().push((ca.clone(), grant.clone()));
                        }
                    }
                }
            }
        }
        Credentials { by_key, by_certificate, by_ca }
    }

    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// Whether the key `presented` may call proxy `proxy_id` now; counts the request against
    /// the subscription's limits when it may.
    pub fn admit(&self, presented: &[u8], proxy_id: i32) -> Result<&Arc<Grant>, Refusal> {
        use sha2::{Digest, Sha256};
        let hash: [u8; 32] = Sha256::digest(presented).into();
        let grant = self.by_key.get(&hash).ok_or(Refusal::KeyInvalid)?;
        Self::check(grant, proxy_id)
    }

    /// Whether the client certificate `presented` may call proxy `proxy_id` now: bound by its
    /// fingerprint, or issued by a trusted CA a subscription to the proxy is bound to; counts
    /// the request as `admit` does.
    pub fn admit_certificate(&self, presented: &ClientCertificate, proxy_id: i32) -> Result<&Arc<Grant>, Refusal> {
        presented.current().map_err(Refusal::CertificateNotCurrent)?;
        let bound = self.by_certificate.get(presented.fingerprint()).and_then(|grants| grants.iter().find(|g| g.plan.proxies.contains(&proxy_id)));
        let grant = match bound {
            Some(grant) => grant,
            None => self
                .by_ca
                .get(&proxy_id)
                .and_then(|trusted| trusted.iter().find(|(ca, _)| presented.issued_by(ca)))
                .map(|(_, grant)| grant)
                .ok_or(Refusal::CertificateNotSubscribed)?,
        };
        Self::check(grant, proxy_id)
    }

    /// The checks after the credential: state, product, rate limit, quota.
    fn check(grant: &Arc<Grant>, proxy_id: i32) -> Result<&Arc<Grant>, Refusal> {
        let refuse = |outcome, refusal| {
            grant.record(outcome);
            Err(refusal)
        };
        if !grant.active {
            return refuse(Outcome::Refused, Refusal::Suspended);
        }
        if !grant.plan.proxies.contains(&proxy_id) {
            return refuse(Outcome::Refused, Refusal::NotSubscribed);
        }
        if let Some(Decision::Refused { limit, reset }) = grant.rate.as_ref().map(|c| c.take()) {
            return refuse(Outcome::RateLimited, Refusal::RateLimited { limit, reset });
        }
        if let Some(Decision::Refused { limit, reset }) = grant.quota.as_ref().map(|c| c.take()) {
            return refuse(Outcome::Quota, Refusal::QuotaExceeded { limit, reset });
        }
        grant.record(Outcome::Allowed);
        Ok(grant)
    }
}

/// The credentials the gateway holds, swapped whole on every change; where their counters
/// live; and what their subscriptions have done since the services last asked.
pub struct Consumers {
    credentials: arc_swap::ArcSwap<Credentials>,
    counters: Arc<dyn Counters>,
    usage: UsageBook,
    metrics: Arc<crate::Metrics>,
    /// Orders swaps, so a compile never starts from credentials another swap replaced.
    writer: Mutex<()>,
}

impl Consumers {
    pub fn new(metrics: Arc<crate::Metrics>) -> Self {
        Consumers::with_counters(metrics, Arc::new(Local::default()))
    }

    /// With the rate limits counted elsewhere (`Shared`: across nodes in Redis).
    pub fn with_counters(metrics: Arc<crate::Metrics>, counters: Arc<dyn Counters>) -> Self {
        Consumers { credentials: Default::default(), counters, usage: UsageBook::default(), metrics, writer: Mutex::new(()) }
    }

    /// Compiles `spec` and swaps it in; returns how many keys are valid now.
    pub fn set(&self, spec: &CredentialsSpec) -> usize {
        let _writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let compiled = Credentials::compile(spec, self.counters.as_ref(), &self.usage, &self.metrics);
        let keys = compiled.len();
        self.credentials.store(Arc::new(compiled));
        keys
    }

    /// The credentials current now (a request keeps the ones it started with).
    pub fn current(&self) -> arc_swap::Guard<Arc<Credentials>> {
        self.credentials.load()
    }

    /// Each subscription's counts since the last call, per `Outcome`.
    pub fn take_usage(&self) -> Vec<(i32, [u64; 4])> {
        self.usage.take()
    }
}

/// The SHA-256 of a key, as the services store it and the gateway looks it up.
pub fn key_hash(key: &str) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::digest(key.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> CredentialsSpec {
        CredentialsSpec {
            products: vec![
                ProductSpec { id: 1, slug: "gold".into(), proxy_ids: vec![10, 11], rate_limit: Some(RateLimit { requests: 2, per_seconds: 60 }), quota: None },
                ProductSpec { id: 2, slug: "free".into(), proxy_ids: vec![10], rate_limit: None, quota: Some(Quota { requests: 1, period: QuotaPeriod::Day }) },
            ],
            subscriptions: vec![
                SubscriptionSpec {
                    id: 100,
                    product_id: 1,
                    active: true,
                    key_hashes: vec![key_hash("k-primary"), key_hash("k-secondary")],
                    quota_used: 0,
                    client_certificate: None,
                },
                SubscriptionSpec { id: 101, product_id: 1, active: false, key_hashes: vec![key_hash("k-suspended")], quota_used: 0, client_certificate: None },
                SubscriptionSpec { id: 102, product_id: 2, active: true, key_hashes: vec![key_hash("k-free")], quota_used: 0, client_certificate: None },
            ],
        }
    }

    #[test]
    fn each_answer_in_order_and_limits_per_subscription() {
        let (local, book, metrics) = (Local::default(), UsageBook::default(), crate::Metrics::new());
        let creds = Credentials::compile(&spec(), &local, &book, &metrics);
        assert_eq!(creds.admit(b"nope", 10).unwrap_err(), Refusal::KeyInvalid);
        assert_eq!(creds.admit(b"k-suspended", 10).unwrap_err(), Refusal::Suspended);
        assert_eq!(creds.admit(b"k-free", 11).unwrap_err(), Refusal::NotSubscribed);
        assert_eq!(creds.admit(b"k-free", 10).unwrap().subscription_id, 102);
        assert!(matches!(creds.admit(b"k-free", 10).unwrap_err(), Refusal::QuotaExceeded { limit: 1, .. }));
        // Both keys of a subscription share its limit.
        assert!(creds.admit(b"k-primary", 10).is_ok());
        assert!(creds.admit(b"k-secondary", 11).is_ok());
        assert!(matches!(creds.admit(b"k-primary", 10).unwrap_err(), Refusal::RateLimited { limit: 2, .. }));
        // A new snapshot (another subscription changed) keeps the counts.
        let again = Credentials::compile(&spec(), &local, &book, &metrics);
        assert!(matches!(again.admit(b"k-secondary", 10).unwrap_err(), Refusal::RateLimited { .. }));
        let mut usage = book.take();
        usage.sort();
        assert_eq!(usage, [(100, [2, 2, 0, 0]), (101, [0, 0, 0, 1]), (102, [1, 0, 1, 1])]);
        assert!(book.take().is_empty(), "taken once");
    }
}
