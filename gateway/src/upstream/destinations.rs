//! Where the gateway and Check connection may connect. Never to link-local addresses (which is
//! where clouds serve instance metadata and its credentials: 169.254.169.254), the other
//! cloud-metadata addresses, or unspecified, broadcast and multicast ones. The check runs on
//! the addresses a backend's name resolves to, each time a connection is made (`Resolver`), so
//! a name that resolved to a public address at deploy and to the metadata service later is
//! still refused; an address written in the URL itself is refused when the route is compiled.
//! Loopback and private networks stay allowed: that is where backends usually are.
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::task::{Context, Poll};

/// Why the gateway does not call `ip`, or `None` when it may.
pub fn refused(ip: IpAddr) -> Option<&'static str> {
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            let [a, b, c, d] = v4.octets();
            if v4.is_link_local() {
                Some("link-local, where clouds serve instance metadata")
            } else if [a, b, c, d] == [100, 100, 100, 200] {
                Some("a cloud metadata service")
            } else if v4.is_unspecified() || v4.is_broadcast() || v4.is_multicast() {
                Some("not a host's address")
            } else {
                None
            }
        }
        IpAddr::V6(v6) => {
            let segments = v6.segments();
            if segments[0] & 0xffc0 == 0xfe80 {
                Some("link-local, where clouds serve instance metadata")
            } else if segments == [0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254] {
                Some("a cloud metadata service")
            } else if v6.is_unspecified() || v6.is_multicast() {
                Some("not a host's address")
            } else {
                None
            }
        }
    }
}

/// A backend's name resolved only to addresses the gateway does not call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestinationRefused {
    pub host: String,
    pub ip: IpAddr,
    pub reason: &'static str,
}

impl std::fmt::Display for DestinationRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} resolves to {}, which is {}: the gateway does not call such addresses; use the backend's own address", self.host, self.ip, self.reason)
    }
}

impl std::error::Error for DestinationRefused {}

/// The addresses of `host` the gateway may call, in the resolver's order; an error when there
/// were some and none may be called.
pub fn allowed(host: &str, found: impl IntoIterator<Item = SocketAddr>) -> Result<Vec<SocketAddr>, DestinationRefused> {
    let mut allowed = Vec::new();
    let mut first_refused = None;
    for addr in found {
        match refused(addr.ip()) {
            None => allowed.push(addr),
            Some(reason) => {
                first_refused.get_or_insert(DestinationRefused { host: host.to_string(), ip: addr.ip(), reason });
            }
        }
    }
    match first_refused {
        Some(refused) if allowed.is_empty() => Err(refused),
        _ => Ok(allowed),
    }
}

/// Resolves `host:port` as the system does and keeps the addresses the gateway may call.
pub async fn resolve(host: &str, port: u16) -> std::io::Result<Vec<SocketAddr>> {
    let found = tokio::net::lookup_host((host, port)).await?;
    allowed(host, found).map_err(std::io::Error::other)
}

/// The connection pools' resolver: the system's, then `allowed`.
#[derive(Clone, Debug, Default)]
pub struct Resolver;

type Resolving = Pin<Box<dyn Future<Output = std::io::Result<std::vec::IntoIter<SocketAddr>>> + Send>>;

impl tower_service::Service<hyper_util::client::legacy::connect::dns::Name> for Resolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = std::io::Error;
    type Future = Resolving;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: hyper_util::client::legacy::connect::dns::Name) -> Self::Future {
        Box::pin(async move { Ok(resolve(name.as_str(), 0).await?.into_iter()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_and_link_local_addresses_are_refused_backends_are_not() {
        for ip in ["169.254.169.254", "169.254.1.1", "100.100.100.200", "fe80::1", "fd00:ec2::254", "::ffff:169.254.169.254", "0.0.0.0", "224.0.0.1"] {
            assert!(refused(ip.parse().unwrap()).is_some(), "{ip}");
        }
        for ip in ["127.0.0.1", "10.0.0.5", "192.168.1.2", "172.16.0.1", "93.184.216.34", "::1", "2001:db8::1", "fd00::1"] {
            assert!(refused(ip.parse().unwrap()).is_none(), "{ip}");
        }
    }

    #[test]
    fn a_name_is_refused_only_when_all_its_addresses_are() {
        let at = |ip: &str| SocketAddr::new(ip.parse().unwrap(), 443);
        let err = allowed("metadata.internal", [at("169.254.169.254")]).unwrap_err();
        assert!(err.to_string().contains("metadata.internal resolves to 169.254.169.254, which is link-local"), "{err}");
        assert_eq!(allowed("mixed.test", [at("169.254.169.254"), at("10.0.0.7")]).unwrap(), [at("10.0.0.7")]);
        assert!(allowed("none.test", []).unwrap().is_empty());
    }
}
