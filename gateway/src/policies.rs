//! Policies: what a proxy's revision says to do with each request and answer besides forwarding
//! it, in the order the publisher listed them: set or remove request and response headers,
//! remove the headers that reveal the backend's software, mask the backend's URLs (`mask`),
//! filter callers by address, answer CORS preflights; and the proxy's lifecycle (deprecated
//! answers say so, retired ones are gone). The services hand them over as plain data
//! (`PolicySpec`); they are compiled once per deploy into `Policies`: header names and values
//! parsed, ranges parsed, the mask's automaton built, so a request only does the work itself.
pub mod mask;

use crate::errors::Error;
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::Method;
use ipnet::IpNet;
use mask::Mask;
use std::net::IpAddr;
use std::sync::Arc;

/// The headers "remove fingerprinting headers" removes from answers.
pub const FINGERPRINTING: [&str; 4] = ["server", "x-powered-by", "x-aspnet-version", "x-aspnetmvc-version"];

/// Headers no policy may set or remove: HTTP's own framing and hops, and the gateway's.
pub fn reserved(name: &str) -> Option<&'static str> {
    const FRAMING: [&str; 11] = [
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "upgrade",
        "proxy-authenticate",
        "proxy-authorization",
    ];
    if FRAMING.contains(&name) {
        Some("HTTP itself decides it (hop-by-hop or message framing)")
    } else if name == "x-request-id" || name.starts_with("x-gatehouse-") || name.starts_with("x-forwarded-") || name == "forwarded" {
        Some("the gateway sets it")
    } else {
        None
    }
}

/// An address or CIDR range in canonical form ("10.0.0.0/8", "192.0.2.7/32"), if it is one.
pub fn canonical_range(text: &str) -> Option<String> {
    text.parse::<IpNet>().map(|n| n.trunc().to_string()).or_else(|_| text.parse::<IpAddr>().map(|ip| IpNet::from(ip.to_canonical()).to_string())).ok()
}

/// One policy as deployed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicySpec {
    SetRequestHeader { name: String, value: String },
    RemoveRequestHeader { name: String },
    SetResponseHeader { name: String, value: String },
    RemoveResponseHeader { name: String },
    RemoveFingerprintingHeaders,
    MaskBackendUrls,
    IpFilter { allow: Vec<String>, deny: Vec<String> },
    Cors { allow_origins: Vec<String>, allow_methods: Vec<String>, allow_headers: Vec<String>, max_age: Option<u32> },
}

/// Where the proxy is in its life (seed 001), as its answers show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LifecycleSpec {
    /// Created or published: nothing to add.
    #[default]
    Current,
    /// Answers carry `Deprecation` (RFC 9745, the moment it was deprecated) and `Sunset`
    /// (RFC 8594) when a date is set; both in Unix seconds.
    Deprecated { since: i64, sunset: Option<i64> },
    /// 410 `api_retired`, nothing forwarded.
    Retired,
}

#[derive(Debug, Clone)]
enum HeaderOp {
    Set(HeaderName, HeaderValue),
    Remove(HeaderName),
}

fn apply(ops: &[HeaderOp], headers: &mut HeaderMap) {
    for op in ops {
        match op {
            HeaderOp::Set(name, value) => drop(headers.insert(name.clone(), value.clone())),
            HeaderOp::Remove(name) => drop(headers.remove(name)),
        }
    }
}

#[derive(Debug, Clone, Default)]
struct IpRules {
    allow: Vec<IpNet>,
    deny: Vec<IpNet>,
}

impl IpRules {
    /// The deny list wins; a non-empty allow list is the only place callers may be.
    fn admits(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        !self.deny.iter().any(|n| n.contains(&ip)) && (self.allow.is_empty() || self.allow.iter().any(|n| n.contains(&ip)))
    }
}

#[derive(Debug, Clone)]
struct Cors {
    /// `None`: any origin ("*").
    origins: Option<Vec<HeaderValue>>,
    methods: HeaderValue,
    headers: Option<HeaderValue>,
    max_age: Option<HeaderValue>,
}

impl Cors {
    /// The `Access-Control-Allow-Origin` to answer `origin` with, if it is allowed.
    fn allow(&self, origin: &HeaderValue) -> Option<HeaderValue> {
        match &self.origins {
            None => Some(HeaderValue::from_static("*")),
            Some(list) => list.iter().any(|o| o.as_bytes().eq_ignore_ascii_case(origin.as_bytes())).then(|| origin.clone()),
        }
    }
}

/// A route's policies, compiled.
#[derive(Debug, Default)]
pub struct Policies {
    request: Vec<HeaderOp>,
    response: Vec<HeaderOp>,
    ip: Option<IpRules>,
    cors: Option<Cors>,
    mask: Option<Arc<Mask>>,
    lifecycle: Vec<(HeaderName, HeaderValue)>,
    pub retired: bool,
}

fn header_name(proxy: &str, name: &str) -> Result<HeaderName, Error> {
    let parsed = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| Error::invalid("policies", format!("{proxy}: \"{name}\" is not a header name")))?;
    if let Some(why) = reserved(parsed.as_str()) {
        return Err(Error::invalid("policies", format!("{proxy}: a policy cannot change {parsed}: {why}")));
    }
    Ok(parsed)
}

fn header_value(proxy: &str, value: &str) -> Result<HeaderValue, Error> {
    HeaderValue::from_str(value).map_err(|_| Error::invalid("policies", format!("{proxy}: \"{value}\" is not a header value")))
}

fn nets(proxy: &str, list: &[String]) -> Result<Vec<IpNet>, Error> {
    list.iter()
        .map(|item| {
            item.parse::<IpNet>()
                .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| Error::invalid("policies", format!("{proxy}: \"{item}\" is not an IP address or CIDR range")))
        })
        .collect()
}

/// "Sun, 06 Nov 1994 08:49:37 GMT".
fn http_date(unix: i64) -> Option<HeaderValue> {
    let at = time::OffsetDateTime::from_unix_timestamp(unix).ok()?;
    let format = time::macros::format_description!("[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT");
    HeaderValue::from_str(&at.format(&format).ok()?).ok()
}

impl Policies {
    /// `backend` is the backend's origin and base path, `public` the environment's public URL
    /// and the proxy's context path (for `MaskBackendUrls`); `key_header` the route's credential,
    /// which no policy may touch.
    pub fn compile(
        proxy: &str,
        specs: &[PolicySpec],
        lifecycle: LifecycleSpec,
        backend: &str,
        public: &str,
        key_header: Option<&str>,
    ) -> Result<Policies, Error> {
        let mut compiled = Policies::default();
        let credential = |name: &HeaderName| key_header.is_some_and(|k| k.eq_ignore_ascii_case(name.as_str()));
        for spec in specs {
            match spec {
                PolicySpec::SetRequestHeader { name, .. } | PolicySpec::RemoveRequestHeader { name } if credential(&header_name(proxy, name)?) => {
                    return Err(Error::invalid("policies", format!("{proxy}: {name} carries the subscription key: a policy cannot change it")));
                }
                PolicySpec::SetRequestHeader { name, value } => compiled.request.push(HeaderOp::Set(header_name(proxy, name)?, header_value(proxy, value)?)),
                PolicySpec::RemoveRequestHeader { name } => compiled.request.push(HeaderOp::Remove(header_name(proxy, name)?)),
                PolicySpec::SetResponseHeader { name, value } => compiled.response.push(HeaderOp::Set(header_name(proxy, name)?, header_value(proxy, value)?)),
                PolicySpec::RemoveResponseHeader { name } => compiled.response.push(HeaderOp::Remove(header_name(proxy, name)?)),
                PolicySpec::RemoveFingerprintingHeaders => {
                    compiled.response.extend(FINGERPRINTING.iter().map(|n| HeaderOp::Remove(HeaderName::from_static(n))));
                }
                PolicySpec::MaskBackendUrls => {
                    let mask = Mask::new(backend, public).ok_or_else(|| Error::invalid("policies", format!("{proxy}: the backend URL cannot be masked")))?;
                    compiled.mask = Some(Arc::new(mask));
                }
                PolicySpec::IpFilter { allow, deny } => {
                    let rules = compiled.ip.get_or_insert_with(IpRules::default);
                    rules.allow.extend(nets(proxy, allow)?);
                    rules.deny.extend(nets(proxy, deny)?);
                }
                PolicySpec::Cors { allow_origins, allow_methods, allow_headers, max_age } => {
                    let any = allow_origins.is_empty() || allow_origins.iter().any(|o| o == "*");
                    let origins = if any { None } else { Some(allow_origins.iter().map(|o| header_value(proxy, o)).collect::<Result<_, _>>()?) };
                    let methods = if allow_methods.is_empty() { "GET, POST, PUT, PATCH, DELETE".to_string() } else { allow_methods.join(", ") };
                    let headers = (!allow_headers.is_empty()).then(|| header_value(proxy, &allow_headers.join(", "))).transpose()?;
                    compiled.cors = Some(Cors { origins, methods: header_value(proxy, &methods)?, headers, max_age: max_age.map(HeaderValue::from) });
                }
            }
        }
        match lifecycle {
            LifecycleSpec::Current => {}
            LifecycleSpec::Retired => compiled.retired = true,
            LifecycleSpec::Deprecated { since, sunset } => {
                if let Ok(value) = HeaderValue::from_str(&format!("@{since}")) {
                    compiled.lifecycle.push((HeaderName::from_static("deprecation"), value));
                }
                if let Some(value) = sunset.and_then(http_date) {
                    compiled.lifecycle.push((HeaderName::from_static("sunset"), value));
                }
            }
        }
        Ok(compiled)
    }

    /// Whether the caller at `ip` may call (always, without an IP filter).
    pub fn admits(&self, ip: IpAddr) -> bool {
        self.ip.as_ref().is_none_or(|rules| rules.admits(ip))
    }

    pub fn has_ip_filter(&self) -> bool {
        self.ip.is_some()
    }

    /// The caller's `Origin`, kept for the answer when CORS is on.
    pub fn origin(&self, headers: &HeaderMap) -> Option<HeaderValue> {
        self.cors.as_ref().and(headers.get(header::ORIGIN)).cloned()
    }

    /// The headers of the gateway's own answer to a CORS preflight (`OPTIONS` with `Origin` and
    /// `Access-Control-Request-Method`), when CORS is on and this is one.
    pub fn preflight(&self, method: &Method, headers: &HeaderMap) -> Option<HeaderMap> {
        let cors = self.cors.as_ref()?;
        if method != Method::OPTIONS || !headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD) {
            return None;
        }
        let origin = headers.get(header::ORIGIN)?;
        let mut answer = HeaderMap::new();
        answer.insert(header::VARY, HeaderValue::from_static("Origin"));
        // An origin not allowed gets no permission: the browser then refuses the call itself.
        if let Some(allowed) = cors.allow(origin) {
            answer.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, allowed);
            answer.insert(header::ACCESS_CONTROL_ALLOW_METHODS, cors.methods.clone());
            // Without a list, the headers the browser asks for (the key header among them).
            if let Some(allowed) = cors.headers.as_ref().or(headers.get(header::ACCESS_CONTROL_REQUEST_HEADERS)) {
                answer.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, allowed.clone());
            }
            if let Some(age) = &cors.max_age {
                answer.insert(header::ACCESS_CONTROL_MAX_AGE, age.clone());
            }
        }
        Some(answer)
    }

    /// The request's headers, as the policies say, before they go to the backend.
    pub fn request(&self, headers: &mut HeaderMap) {
        apply(&self.request, headers);
        if self.mask.is_some() {
            // A compressed body could not be masked: ask the backend for plain bytes.
            headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_static("identity"));
        }
    }

    /// The answer's headers, as the policies say; returns the mask when the body is to be masked.
    pub fn response(&self, headers: &mut HeaderMap, origin: Option<&HeaderValue>) -> Option<&Arc<Mask>> {
        apply(&self.response, headers);
        if let (Some(cors), Some(origin)) = (&self.cors, origin) {
            if let Some(allowed) = cors.allow(origin) {
                headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, allowed);
                headers.append(header::VARY, HeaderValue::from_static("Origin"));
            }
        }
        for (name, value) in &self.lifecycle {
            headers.insert(name.clone(), value.clone());
        }
        self.mask.as_ref().filter(|mask| mask.headers(headers))
    }

    /// Whether the answer needs any work at all (most routes have no policies).
    pub fn touches_responses(&self) -> bool {
        !self.response.is_empty() || self.cors.is_some() || !self.lifecycle.is_empty() || self.mask.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compile(specs: &[PolicySpec], lifecycle: LifecycleSpec) -> Result<Policies, Error> {
        Policies::compile("Orders API v1", specs, lifecycle, "https://10.0.0.5:8443/orders", "https://127.0.0.1:8443/orders/v1", Some("api-key"))
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs.iter().map(|(n, v)| (HeaderName::from_static(n), HeaderValue::from_static(v))).collect()
    }

    #[test]
    fn header_rules_apply_in_order_and_fingerprints_leave_answers() {
        let specs = [
            PolicySpec::SetRequestHeader { name: "X-Env".into(), value: "prod".into() },
            PolicySpec::RemoveRequestHeader { name: "x-debug".into() },
            PolicySpec::RemoveFingerprintingHeaders,
            PolicySpec::SetResponseHeader { name: "x-served-by".into(), value: "gatehouse".into() },
        ];
        let p = compile(&specs, LifecycleSpec::Current).unwrap();
        let mut request = headers(&[("x-debug", "1"), ("accept", "*/*")]);
        p.request(&mut request);
        assert_eq!(request, headers(&[("accept", "*/*"), ("x-env", "prod")]));
        let mut answer =
            headers(&[("server", "Apache/2.2.3 (CentOS)"), ("x-powered-by", "PHP/5.4"), ("x-aspnet-version", "4.0"), ("content-type", "text/plain")]);
        assert!(p.response(&mut answer, None).is_none(), "no mask");
        assert_eq!(answer, headers(&[("content-type", "text/plain"), ("x-served-by", "gatehouse")]));
        assert!(!p.retired && !p.has_ip_filter());
    }

    #[test]
    fn what_no_policy_may_touch_is_refused_with_the_reason() {
        for (name, words) in [
            ("host", "HTTP itself"),
            ("x-request-id", "the gateway"),
            ("x-gatehouse-product", "the gateway"),
            ("API-Key", "subscription key"),
            ("bad name", "not a header name"),
        ] {
            let err = compile(&[PolicySpec::SetRequestHeader { name: name.into(), value: "v".into() }], LifecycleSpec::Current).unwrap_err();
            assert!(err.to_string().contains(words), "{name}: {err}");
        }
        let err = compile(&[PolicySpec::IpFilter { allow: vec!["10.0.0.0/33".into()], deny: vec![] }], LifecycleSpec::Current).unwrap_err();
        assert!(err.to_string().contains("10.0.0.0/33"), "{err}");
    }

    #[test]
    fn ip_filters_deny_first_then_allow_only_what_is_listed() {
        let p = compile(
            &[PolicySpec::IpFilter { allow: vec!["10.0.0.0/8".into(), "2001:db8::/32".into()], deny: vec!["10.9.0.0/16".into()] }],
            LifecycleSpec::Current,
        )
        .unwrap();
        assert!(p.admits("10.1.2.3".parse().unwrap()));
        assert!(p.admits("::ffff:10.1.2.3".parse().unwrap()), "IPv4-mapped IPv6 is the IPv4 address");
        assert!(p.admits("2001:db8::7".parse().unwrap()));
        assert!(!p.admits("10.9.0.1".parse().unwrap()), "deny wins");
        assert!(!p.admits("192.0.2.1".parse().unwrap()), "not on the allow list");
        let deny_only = compile(&[PolicySpec::IpFilter { allow: vec![], deny: vec!["192.0.2.1".into()] }], LifecycleSpec::Current).unwrap();
        assert!(deny_only.admits("192.0.2.2".parse().unwrap()) && !deny_only.admits("192.0.2.1".parse().unwrap()));
    }

    #[test]
    fn cors_preflights_are_answered_and_answers_carry_the_origin() {
        let cors = PolicySpec::Cors {
            allow_origins: vec!["https://app.example.com".into()],
            allow_methods: vec!["GET".into(), "POST".into()],
            allow_headers: vec![],
            max_age: Some(600),
        };
        let p = compile(&[cors], LifecycleSpec::Current).unwrap();
        let asked = headers(&[("origin", "https://app.example.com"), ("access-control-request-method", "POST"), ("access-control-request-headers", "api-key")]);
        let answer = p.preflight(&Method::OPTIONS, &asked).unwrap();
        assert_eq!(answer[header::ACCESS_CONTROL_ALLOW_ORIGIN], "https://app.example.com");
        assert_eq!(answer[header::ACCESS_CONTROL_ALLOW_METHODS], "GET, POST");
        assert_eq!(answer[header::ACCESS_CONTROL_ALLOW_HEADERS], "api-key");
        assert_eq!(answer[header::ACCESS_CONTROL_MAX_AGE], "600");
        let stranger = headers(&[("origin", "https://evil.example"), ("access-control-request-method", "POST")]);
        assert!(p.preflight(&Method::OPTIONS, &stranger).unwrap().get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
        assert!(p.preflight(&Method::GET, &asked).is_none(), "not a preflight");
        assert!(p.preflight(&Method::OPTIONS, &headers(&[("origin", "https://app.example.com")])).is_none(), "a plain OPTIONS goes to the backend");
        let origin = p.origin(&asked);
        let mut response = HeaderMap::new();
        p.response(&mut response, origin.as_ref());
        assert_eq!(response[header::ACCESS_CONTROL_ALLOW_ORIGIN], "https://app.example.com");
        assert_eq!(response[header::VARY], "Origin");
    }

    #[test]
    fn deprecated_answers_say_so_and_retired_routes_are_marked() {
        let p = compile(&[], LifecycleSpec::Deprecated { since: 1_767_225_600, sunset: Some(1_798_761_600) }).unwrap();
        let mut answer = HeaderMap::new();
        p.response(&mut answer, None);
        assert_eq!(answer["deprecation"], "@1767225600");
        assert_eq!(answer["sunset"], "Fri, 01 Jan 2027 00:00:00 GMT");
        assert!(compile(&[], LifecycleSpec::Retired).unwrap().retired);
    }
}
