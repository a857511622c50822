//! The check a route with access "subscription" makes before anything is forwarded: read the
//! key, look it up in the current credentials, count it; or answer with the code, a message the
//! caller can act on and, for limits, when to come back.
use super::{ClientCertificate, Consumers, Grant, KeyProblem, NotCurrent, Refusal, RouteAccess, Source};
use crate::errors::ErrorKind;
use hyper::header::{HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use std::sync::Arc;
use std::time::Duration;

/// A caller let through: what its key (or certificate) opens, and where the key was (to take
/// it out).
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

fn refused(kind: ErrorKind, message: String) -> Refused {
    Refused { kind, message, headers: Vec::new() }
}

/// A key if the caller sent one; else, where the route accepts them, the client certificate
/// presented on the connection.
pub fn admit(
    access: &RouteAccess,
    consumers: &Consumers,
    headers: &HeaderMap,
    query: Option<&str>,
    certificate: Option<&ClientCertificate>,
    proxy_id: i32,
) -> Result<Admitted, Refused> {
    let places = &access.keys;
    let credentials = consumers.current();
    let (admitted, source) = match places.find(headers, query) {
        Ok((key, source)) => (credentials.admit(key, proxy_id), source),
        Err(KeyProblem::Missing) if access.client_certificate => match certificate {
            Some(certificate) => (credentials.admit_certificate(certificate, proxy_id), Source::Certificate),
            None => {
                let message = format!("present your client certificate, or {}", places.explain(&KeyProblem::Missing));
                return Err(refused(ErrorKind::ClientCertificateRequired, message));
            }
        },
        Err(problem) => {
            let kind = if matches!(problem, KeyProblem::Repeated(_) | KeyProblem::Both) { ErrorKind::BadRequest } else { ErrorKind::SubscriptionKeyMissing };
            return Err(refused(kind, places.explain(&problem)));
        }
    };
    let not_subscribed = if source == Source::Certificate { ErrorKind::ClientCertificateNotSubscribed } else { ErrorKind::NotSubscribed };
    match admitted {
        Ok(grant) => Ok(Admitted { grant: grant.clone(), source }),
        Err(Refusal::KeyInvalid) => Err(refused(ErrorKind::SubscriptionKeyInvalid, ErrorKind::SubscriptionKeyInvalid.caller_message().into())),
        Err(Refusal::Suspended) => Err(refused(ErrorKind::SubscriptionSuspended, ErrorKind::SubscriptionSuspended.caller_message().into())),
        Err(Refusal::NotSubscribed | Refusal::CertificateNotSubscribed) => Err(refused(not_subscribed, not_subscribed.caller_message().into())),
        Err(Refusal::CertificateNotCurrent(NotCurrent::Expired(at))) => {
            Err(refused(ErrorKind::ClientCertificateRequired, format!("the client certificate you presented expired on {}: present a current one", at.date())))
        }
        Err(Refusal::CertificateNotCurrent(NotCurrent::NotYetValid(at))) => Err(refused(
            ErrorKind::ClientCertificateRequired,
            format!("the client certificate you presented is not valid until {}: present a current one", at.date()),
        )),
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
