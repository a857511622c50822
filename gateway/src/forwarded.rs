//! The forwarding headers a backend gets are the gateway's own: `X-Forwarded-For`,
//! `X-Forwarded-Proto`, `X-Forwarded-Host` and `Forwarded` (RFC 7239) describe the connection
//! the request came on. What a caller sent in them (and in `X-Real-IP` and the other
//! `X-Forwarded-*` headers backends read) is dropped, unless the caller's address is one of the
//! trusted proxies (`GATEHOUSE_TRUSTED_PROXIES`): then its chain is kept and this hop appended.
use bytes::Bytes;
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use ipnet::IpNet;
use std::net::IpAddr;

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
const FORWARDED: HeaderName = HeaderName::from_static("forwarded");
const HTTPS: HeaderValue = HeaderValue::from_static("https");

/// Whether a caller could use the header to pass itself off as somebody else, or as a proxy.
pub(crate) fn is_forwarding(name: &HeaderName) -> bool {
    let name = name.as_str();
    name.starts_with("x-forwarded-") || name == "forwarded" || name == "x-real-ip"
}

/// The addresses whose forwarding headers are believed: the proxies or load balancers in front
/// of the gateway. Empty by default, so every caller's are replaced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// A comma-separated list of addresses and CIDR ranges, such as `10.0.0.0/8, 127.0.0.1`.
    pub fn parse(text: &str) -> Result<TrustedProxies, String> {
        let mut nets = Vec::new();
        for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let net = item
                .parse::<IpNet>()
                .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("'{item}' is not an IP address or a CIDR range such as 10.0.0.0/8"))?;
            nets.push(net);
        }
        Ok(TrustedProxies(nets))
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }
}

/// The connection's side of the headers, worked out once per connection.
pub(crate) struct Peer {
    /// The caller's address as `X-Forwarded-For` writes it.
    ip: HeaderValue,
    /// `for=…;proto=https`, the start of this hop's `Forwarded` element.
    element: String,
    trusted: bool,
    addr: IpAddr,
    /// The trusted proxies, kept only when this connection comes from one of them.
    proxies: Option<TrustedProxies>,
    /// The client certificate presented in the handshake, if any.
    pub(crate) certificate: Option<Box<crate::consumers::ClientCertificate>>,
}

impl Peer {
    pub(crate) fn new(ip: IpAddr, trusted: &TrustedProxies) -> Peer {
        let ip = ip.to_canonical();
        let element = match ip {
            IpAddr::V4(v4) => format!("for={v4};proto=https"),
            IpAddr::V6(v6) => format!("for=\"[{v6}]\";proto=https"),
        };
        let text = HeaderValue::from_maybe_shared(Bytes::from(ip.to_string())).unwrap_or(HeaderValue::from_static("unknown"));
        let is_trusted = trusted.contains(ip);
        Peer { ip: text, element, trusted: is_trusted, addr: ip, proxies: is_trusted.then(|| trusted.clone()), certificate: None }
    }

    /// The caller's address, for IP filters: the connection's; or, when that is a trusted proxy,
    /// the nearest address in `X-Forwarded-For` that is not a trusted proxy. Only what the trusted
    /// proxies appended is believed: an entry that is not an address stops the walk, and the
    /// connection's address is used.
    pub(crate) fn client_ip(&self, headers: &HeaderMap) -> IpAddr {
        let Some(proxies) = &self.proxies else { return self.addr };
        let listed: Vec<&str> = headers.get_all(X_FORWARDED_FOR).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).collect();
        for entry in listed.into_iter().rev() {
            match entry.trim().parse::<IpAddr>() {
                Ok(ip) if proxies.contains(ip) => continue,
                Ok(ip) => return ip.to_canonical(),
                Err(_) => break,
            }
        }
        self.addr
    }

    /// Sets the forwarding headers on a request going to a backend. `host` is the Host (or
    /// :authority) the caller sent; `seen` says whether the caller sent any forwarding header
    /// (from the one pass over the header names), so most requests skip the removal.
    pub(crate) fn set(&self, headers: &mut HeaderMap, host: Option<HeaderValue>, seen: bool) {
        let mut forwarded = String::with_capacity(self.element.len() + 48);
        let mut forwarded_for = None;
        if seen && self.trusted {
            if let Some(earlier) = joined(headers, &FORWARDED) {
                forwarded.push_str(&earlier);
                forwarded.push_str(", ");
            }
            forwarded_for = joined(headers, &X_FORWARDED_FOR).map(|earlier| format!("{earlier}, {}", self.ip.to_str().unwrap_or_default()));
        } else if seen {
            let names: Vec<HeaderName> = headers.keys().filter(|n| is_forwarding(n)).cloned().collect();
            for name in names {
                headers.remove(name);
            }
        }
        forwarded.push_str(&self.element);
        if let Some(host) = host.as_ref().and_then(|h| h.to_str().ok()).filter(|h| h.bytes().all(|b| b != b'"' && b != b'\\')) {
            forwarded.push_str(";host=\"");
            forwarded.push_str(host);
            forwarded.push('"');
        }
        let forwarded_for = forwarded_for.and_then(|v| HeaderValue::from_maybe_shared(Bytes::from(v)).ok()).unwrap_or_else(|| self.ip.clone());
        headers.insert(X_FORWARDED_FOR, forwarded_for);
        if let Ok(value) = HeaderValue::from_maybe_shared(Bytes::from(forwarded)) {
            headers.insert(FORWARDED, value);
        }
        // A trusted proxy's own view of the scheme and host is kept; anybody else's was removed.
        if !headers.contains_key(&X_FORWARDED_PROTO) {
            headers.insert(X_FORWARDED_PROTO, HTTPS);
        }
        if let Some(host) = host {
            if !headers.contains_key(&X_FORWARDED_HOST) {
                headers.insert(X_FORWARDED_HOST, host);
            }
        }
    }
}

/// Every value of `name`, joined with ", " as one list, when there is any.
fn joined(headers: &HeaderMap, name: &HeaderName) -> Option<String> {
    let values: Vec<&str> = headers.get_all(name).iter().filter_map(|v| v.to_str().ok()).collect();
    (!values.is_empty()).then(|| values.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent(headers: &[(&'static str, &'static str)]) -> HeaderMap {
        headers.iter().map(|(n, v)| (HeaderName::from_static(n), HeaderValue::from_static(v))).collect()
    }

    #[test]
    fn an_untrusted_callers_forwarding_headers_are_replaced() {
        let mut headers = sent(&[
            ("x-forwarded-for", "10.9.9.9"),
            ("x-forwarded-host", "admin.internal"),
            ("x-forwarded-proto", "http"),
            ("x-forwarded-prefix", "/admin"),
            ("x-real-ip", "10.9.9.9"),
            ("forwarded", "for=10.9.9.9"),
        ]);
        let peer = Peer::new("203.0.113.7".parse().unwrap(), &TrustedProxies::default());
        peer.set(&mut headers, Some(HeaderValue::from_static("api.example:8443")), true);
        assert_eq!(headers["x-forwarded-for"], "203.0.113.7");
        assert_eq!(headers["x-forwarded-proto"], "https");
        assert_eq!(headers["x-forwarded-host"], "api.example:8443");
        assert_eq!(headers["forwarded"], "for=203.0.113.7;proto=https;host=\"api.example:8443\"");
        assert!(headers.get("x-forwarded-prefix").is_none() && headers.get("x-real-ip").is_none());
    }

    #[test]
    fn a_trusted_proxys_chain_is_kept_and_this_hop_appended() {
        let trusted = TrustedProxies::parse("10.0.0.0/8, ::1").unwrap();
        let mut headers = sent(&[("x-forwarded-for", "198.51.100.1"), ("x-forwarded-proto", "http"), ("forwarded", "for=198.51.100.1")]);
        let peer = Peer::new("::ffff:10.1.2.3".parse().unwrap(), &trusted);
        peer.set(&mut headers, Some(HeaderValue::from_static("api.example")), true);
        assert_eq!(headers["x-forwarded-for"], "198.51.100.1, 10.1.2.3");
        assert_eq!(headers["x-forwarded-proto"], "http");
        assert_eq!(headers["forwarded"], "for=198.51.100.1, for=10.1.2.3;proto=https;host=\"api.example\"");
        let v6 = Peer::new("::1".parse().unwrap(), &trusted);
        let mut headers = HeaderMap::new();
        v6.set(&mut headers, None, false);
        assert_eq!(headers["forwarded"], "for=\"[::1]\";proto=https");
    }

    #[test]
    fn the_callers_address_is_the_connections_unless_a_trusted_proxy_names_it() {
        let trusted = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let xff = sent(&[("x-forwarded-for", "1.2.3.4, 198.51.100.9, 10.0.0.2")]);
        assert_eq!(Peer::new("203.0.113.7".parse().unwrap(), &trusted).client_ip(&xff), "203.0.113.7".parse::<IpAddr>().unwrap(), "not a proxy: its own");
        let via = Peer::new("10.0.0.1".parse().unwrap(), &trusted);
        assert_eq!(via.client_ip(&xff), "198.51.100.9".parse::<IpAddr>().unwrap(), "the nearest untrusted hop");
        assert_eq!(via.client_ip(&sent(&[("x-forwarded-for", "1.2.3.4, junk")])), "10.0.0.1".parse::<IpAddr>().unwrap());
        assert_eq!(via.client_ip(&HeaderMap::new()), "10.0.0.1".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn trusted_proxies_are_addresses_or_ranges() {
        assert!(TrustedProxies::parse("").unwrap().0.is_empty());
        assert!(TrustedProxies::parse("127.0.0.1").unwrap().contains("127.0.0.1".parse().unwrap()));
        assert!(!TrustedProxies::parse("127.0.0.1").unwrap().contains("127.0.0.2".parse().unwrap()));
        let err = TrustedProxies::parse("10.0.0.0/8, localhost").unwrap_err();
        assert!(err.contains("'localhost'"), "{err}");
    }
}
