//! The check a route with access "subscription" makes before anything is forwarded: read the
//! key, look it up in the current credentials, count it; or answer with the code, a message the
//! caller can act on and, for limits, when to come back.
use super::{Consumers, Grant, KeyPlaces, KeyProblem, Refusal, Source};
use crate::errors::ErrorKind;
use hyper::header::{HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use std::sync::Arc;
use std::time::Duration;

/// A caller let through: what its key opens, and where the key was (to take it out).
pub struct Admitted {
    pub grant: Arc<Grant>,
    pub source: Source,
}

/// A caller turned away: the answer's kind, message and headers of its own.
pub struct Refused {
    pub kind: ErrorKind,
    pub message: String,
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

const RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
const RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
const RATELIMIT_RESET: HeaderName = HeaderName::from_static("ratelimit-reset");

pub fn admit(places: &KeyPlaces, consumers: &Consumers, headers: &HeaderMap, query: Option<&str>, proxy_id: i32) -> Result<Admitted, Refused> {
    let refused = |kind: ErrorKind, message: String| Refused { kind, message, headers: Vec::new() };
    let (key, source) = places.find(headers, query).map_err(|problem| {
        let kind = if matches!(problem, KeyProblem::Repeated(_) | KeyProblem::Both) { ErrorKind::BadRequest } else { ErrorKind::SubscriptionKeyMissing };
        refused(kind, places.explain(&problem))
    })?;
    let credentials = consumers.current();
    match credentials.admit(key, proxy_id) {
        Ok(grant) => Ok(Admitted { grant: grant.clone(), source }),
        Err(Refusal::KeyInvalid) => Err(refused(ErrorKind::SubscriptionKeyInvalid, ErrorKind::SubscriptionKeyInvalid.caller_message().into())),
        Err(Refusal::Suspended) => Err(refused(ErrorKind::SubscriptionSuspended, ErrorKind::SubscriptionSuspended.caller_message().into())),
        Err(Refusal::NotSubscribed) => Err(refused(ErrorKind::NotSubscribed, ErrorKind::NotSubscribed.caller_message().into())),
        Err(Refusal::RateLimited { limit, reset }) => {
            let secs = seconds(reset);
            Err(Refused {
                kind: ErrorKind::RateLimited,
                message: format!("rate limit of {limit} requests reached: retry in {secs} s"),
                headers: limit_headers(limit, secs),
            })
        }
        Err(Refusal::QuotaExceeded { limit, reset }) => {
            let secs = seconds(reset);
            Err(Refused {
                kind: ErrorKind::QuotaExceeded,
                message: format!("quota of {limit} requests reached: retry in {secs} s"),
                headers: limit_headers(limit, secs),
            })
        }
    }
}

/// Whole seconds, rounded up: a caller that waits as long as told is let through.
fn seconds(reset: Duration) -> u64 {
    reset.as_millis().div_ceil(1000).max(1) as u64
}

fn limit_headers(limit: u64, secs: u64) -> Vec<(HeaderName, HeaderValue)> {
    vec![
        (RETRY_AFTER, HeaderValue::from(secs)),
        (RATELIMIT_LIMIT, HeaderValue::from(limit)),
        (RATELIMIT_REMAINING, HeaderValue::from_static("0")),
        (RATELIMIT_RESET, HeaderValue::from(secs)),
    ]
}
