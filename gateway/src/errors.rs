//! The gateway's errors, in one place: what a deploy's compile can fail with (`Error`, which
//! the services turn into the publisher's words), and every answer the gateway gives a caller
//! instead of the backend's (`ErrorKind`, each with its one code and status), written as JSON
//! `{"error":{"code","message","request_id"}}` so a client (and the console's Test page) can
//! tell what went wrong.
use crate::body::Body;
use bytes::Bytes;
use http_body_util::{Either, Full};
use hyper::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use hyper::{Response, StatusCode};

/// The header that carries a request's id, to the backend and back to the caller.
pub(crate) const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Why the gateway would not take a route or a change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A route that cannot be compiled; `field` names the setting at fault (`url`,
    /// `client_certificate_id`, `endpoint_certificate_ids`, `certificate`).
    #[error("{message}")]
    Invalid { field: &'static str, message: String },
    /// Two routes would be live at the same context path.
    #[error("{0}")]
    Conflict(String),
    /// This process serves no listener for the environment.
    #[error("the {0} gateway is not running in this process")]
    NotServed(String),
    /// TLS set-up that should never fail did.
    #[error("{0}")]
    Internal(String),
}

impl Error {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Error::Invalid { field, message: message.into() }
    }
}

/// Every error answer the gateway gives a caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// No proxy is deployed at the request's path.
    NoRoute,
    /// The request's body is larger than the gateway passes on.
    PayloadTooLarge,
    /// The request cannot be passed on as it is.
    BadRequest,
    UpstreamConnectFailed,
    UpstreamTlsUnknownIssuer,
    UpstreamTlsExpired,
    UpstreamTlsHostnameMismatch,
    /// The backend's key is not one of the endpoint's pinned keys.
    UpstreamTlsPinMismatch,
    UpstreamTlsClientCertRequired,
    UpstreamTlsClientCertRejected,
    UpstreamTlsHandshakeFailed,
    UpstreamProtocolError,
    UpstreamTimeout,
    /// The route needs a subscription key and none could be read.
    SubscriptionKeyMissing,
    SubscriptionKeyInvalid,
    SubscriptionSuspended,
    /// The key's product does not include this proxy.
    NotSubscribed,
    RateLimited,
    QuotaExceeded,
    /// The route accepts a client certificate and the caller presented none (nor a key).
    ClientCertificateRequired,
    /// The certificate presented is bound to no subscription to a product with this proxy.
    ClientCertificateNotSubscribed,
    /// The proxy's IP filter does not let the caller's address in.
    IpForbidden,
    /// The proxy is retired.
    ApiRetired,
}

impl ErrorKind {
    /// Every kind, for the tests and documentation that list them.
    pub const ALL: [ErrorKind; 23] = [
        ErrorKind::NoRoute,
        ErrorKind::PayloadTooLarge,
        ErrorKind::BadRequest,
        ErrorKind::UpstreamConnectFailed,
        ErrorKind::UpstreamTlsUnknownIssuer,
        ErrorKind::UpstreamTlsExpired,
        ErrorKind::UpstreamTlsHostnameMismatch,
        ErrorKind::UpstreamTlsPinMismatch,
        ErrorKind::UpstreamTlsClientCertRequired,
        ErrorKind::UpstreamTlsClientCertRejected,
        ErrorKind::UpstreamTlsHandshakeFailed,
        ErrorKind::UpstreamProtocolError,
        ErrorKind::UpstreamTimeout,
        ErrorKind::SubscriptionKeyMissing,
        ErrorKind::SubscriptionKeyInvalid,
        ErrorKind::SubscriptionSuspended,
        ErrorKind::NotSubscribed,
        ErrorKind::RateLimited,
        ErrorKind::QuotaExceeded,
        ErrorKind::ClientCertificateRequired,
        ErrorKind::ClientCertificateNotSubscribed,
        ErrorKind::IpForbidden,
        ErrorKind::ApiRetired,
    ];

    /// The stable code callers, metrics and the console see.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::NoRoute => "no_route",
            ErrorKind::PayloadTooLarge => "payload_too_large",
            ErrorKind::BadRequest => "bad_request",
            ErrorKind::UpstreamConnectFailed => "upstream_connect_failed",
            ErrorKind::UpstreamTlsUnknownIssuer => "upstream_tls_unknown_issuer",
            ErrorKind::UpstreamTlsExpired => "upstream_tls_expired",
            ErrorKind::UpstreamTlsHostnameMismatch => "upstream_tls_hostname_mismatch",
            ErrorKind::UpstreamTlsPinMismatch => "upstream_tls_pin_mismatch",
            ErrorKind::UpstreamTlsClientCertRequired => "upstream_tls_client_cert_required",
            ErrorKind::UpstreamTlsClientCertRejected => "upstream_tls_client_cert_rejected",
            ErrorKind::UpstreamTlsHandshakeFailed => "upstream_tls_handshake_failed",
            ErrorKind::UpstreamProtocolError => "upstream_protocol_error",
            ErrorKind::UpstreamTimeout => "upstream_timeout",
            ErrorKind::SubscriptionKeyMissing => "subscription_key_missing",
            ErrorKind::SubscriptionKeyInvalid => "subscription_key_invalid",
            ErrorKind::SubscriptionSuspended => "subscription_suspended",
            ErrorKind::NotSubscribed => "not_subscribed",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::QuotaExceeded => "quota_exceeded",
            ErrorKind::ClientCertificateRequired => "client_certificate_required",
            ErrorKind::ClientCertificateNotSubscribed => "client_certificate_not_subscribed",
            ErrorKind::IpForbidden => "ip_forbidden",
            ErrorKind::ApiRetired => "api_retired",
        }
    }

    /// What a caller is told of a backend's failure: what went wrong, never where (no hosts,
    /// ports, certificate names or library errors). The full detail, with the fix, goes to the
    /// log and to the publisher (`recent`), found by the request id.
    pub fn caller_message(self) -> &'static str {
        match self {
            ErrorKind::NoRoute => "no API proxy is deployed at this path",
            ErrorKind::PayloadTooLarge => "the request body is larger than the gateway passes on",
            ErrorKind::BadRequest => "the request cannot be passed on as it is",
            ErrorKind::UpstreamConnectFailed => "the gateway could not connect to the API's backend; its publisher can look this request id up",
            ErrorKind::UpstreamTlsUnknownIssuer => {
                "the API's backend presented a certificate the gateway does not trust; its publisher can look this request id up"
            }
            ErrorKind::UpstreamTlsExpired => "the API's backend presented an expired or not yet valid certificate; its publisher can look this request id up",
            ErrorKind::UpstreamTlsHostnameMismatch => "the API's backend presented a certificate for another name; its publisher can look this request id up",
            ErrorKind::UpstreamTlsPinMismatch => "the API's backend presented a key the gateway does not expect; its publisher can look this request id up",
            ErrorKind::UpstreamTlsClientCertRequired => "the API's backend requires a client certificate; its publisher can look this request id up",
            ErrorKind::UpstreamTlsClientCertRejected => "the API's backend refused the gateway's client certificate; its publisher can look this request id up",
            ErrorKind::UpstreamTlsHandshakeFailed => "the TLS handshake with the API's backend failed; its publisher can look this request id up",
            ErrorKind::UpstreamProtocolError => "the API's backend did not answer with valid HTTP; its publisher can look this request id up",
            ErrorKind::UpstreamTimeout => "the API's backend did not answer in time; its publisher can look this request id up",
            ErrorKind::SubscriptionKeyMissing => "send your subscription key",
            ErrorKind::SubscriptionKeyInvalid => "the subscription key is not valid: check it, or ask the API's publisher for a new one",
            ErrorKind::SubscriptionSuspended => "this subscription is suspended: ask the API's publisher to resume it",
            ErrorKind::NotSubscribed => "your subscription's product does not include this API",
            ErrorKind::RateLimited => "rate limit reached: retry after the time in Retry-After",
            ErrorKind::QuotaExceeded => "quota reached: retry after the time in Retry-After",
            ErrorKind::ClientCertificateRequired => "present your client certificate, or send your subscription key",
            ErrorKind::ClientCertificateNotSubscribed => "the client certificate you presented is not bound to a subscription that includes this API",
            ErrorKind::IpForbidden => "your address may not call this API",
            ErrorKind::ApiRetired => "this API is retired",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            ErrorKind::NoRoute => StatusCode::NOT_FOUND,
            ErrorKind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorKind::BadRequest => StatusCode::BAD_REQUEST,
            ErrorKind::UpstreamTimeout => StatusCode::GATEWAY_TIMEOUT,
            ErrorKind::SubscriptionKeyMissing | ErrorKind::SubscriptionKeyInvalid | ErrorKind::ClientCertificateRequired => StatusCode::UNAUTHORIZED,
            ErrorKind::SubscriptionSuspended | ErrorKind::NotSubscribed | ErrorKind::ClientCertificateNotSubscribed => StatusCode::FORBIDDEN,
            ErrorKind::RateLimited | ErrorKind::QuotaExceeded => StatusCode::TOO_MANY_REQUESTS,
            ErrorKind::IpForbidden => StatusCode::FORBIDDEN,
            ErrorKind::ApiRetired => StatusCode::GONE,
            ErrorKind::UpstreamConnectFailed
            | ErrorKind::UpstreamTlsUnknownIssuer
            | ErrorKind::UpstreamTlsExpired
            | ErrorKind::UpstreamTlsHostnameMismatch
            | ErrorKind::UpstreamTlsPinMismatch
            | ErrorKind::UpstreamTlsClientCertRequired
            | ErrorKind::UpstreamTlsClientCertRejected
            | ErrorKind::UpstreamTlsHandshakeFailed
            | ErrorKind::UpstreamProtocolError => StatusCode::BAD_GATEWAY,
        }
    }
}

/// `respond`, with headers of the answer's own (`Retry-After`, `RateLimit-*`, `WWW-Authenticate`).
pub fn respond_with(kind: ErrorKind, message: &str, request_id: &HeaderValue, headers: impl IntoIterator<Item = (HeaderName, HeaderValue)>) -> Response<Body> {
    let mut response = respond(kind, message, request_id);
    response.headers_mut().extend(headers);
    response
}

/// The gateway's own answer: the kind's status and code, the message, the request id.
pub fn respond(kind: ErrorKind, message: &str, request_id: &HeaderValue) -> Response<Body> {
    let id = request_id.to_str().unwrap_or_default();
    let body = serde_json::json!({ "error": { "code": kind.code(), "message": message, "request_id": id } });
    let mut response = Response::new(Either::Right(Full::new(Bytes::from(body.to_string()))));
    *response.status_mut() = kind.status();
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response.headers_mut().insert(X_REQUEST_ID, request_id.clone());
    response
}

#[cfg(test)]
mod tests {
    use super::ErrorKind;

    #[test]
    fn every_code_is_distinct_and_upstream_failures_are_5xx() {
        let codes: std::collections::HashSet<_> = ErrorKind::ALL.iter().map(|k| k.code()).collect();
        assert_eq!(codes.len(), ErrorKind::ALL.len());
        for kind in ErrorKind::ALL {
            assert_eq!(kind.code().starts_with("upstream_"), kind.status().is_server_error(), "{kind:?}");
        }
    }
}
