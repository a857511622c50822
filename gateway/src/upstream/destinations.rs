//! Where the gateway and Check connection may connect. By default never to link-local
//! addresses (which is where clouds serve instance metadata and its credentials:
//! 169.254.169.254), the other cloud-metadata addresses, or unspecified, broadcast and multicast
//! ones; loopback and private networks stay allowed: that is where backends usually are.
//!
//! An admin narrows or widens that per environment (`Destinations`): a deny list, always
//! refused; an allow list, which when not empty is the only place the environment's backends
//! may be, and which may name a range the defaults refuse (a backend really on link-local).
//! The check runs on the addresses a backend's name resolves to, each time a connection is made
//! (`resolve`), so a name that resolved to a public address at deploy and to the metadata
//! service later is still refused; an address written in the URL itself is refused when the
//! route is compiled.
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};

/// At most this many ranges in each list.
pub const MAX_RANGES: usize = 256;

/// One environment's allow and deny lists of address ranges, as an admin set them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Destinations {
    pub allow: Vec<IpNet>,
    pub deny: Vec<IpNet>,
}

/// Why an address is not called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    LinkLocal,
    Metadata,
    NotAHost,
    Denied(IpNet),
    NotAllowed,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::LinkLocal => f.write_str("link-local, where clouds serve instance metadata"),
            Refusal::Metadata => f.write_str("a cloud metadata service"),
            Refusal::NotAHost => f.write_str("not a host's address"),
            Refusal::Denied(range) => write!(f, "in {range}, on this environment's deny list"),
            Refusal::NotAllowed => f.write_str("outside this environment's allow list"),
        }
    }
}

impl Destinations {
    /// Why the gateway does not call `ip` in this environment, or `None` when it may.
    pub fn refused(&self, ip: IpAddr) -> Option<Refusal> {
        let ip = ip.to_canonical();
        if let Some(range) = self.deny.iter().find(|r| r.contains(&ip)) {
            return Some(Refusal::Denied(*range));
        }
        if self.allow.iter().any(|r| r.contains(&ip)) {
            return None;
        }
        if !self.allow.is_empty() {
            return Some(Refusal::NotAllowed);
        }
        refused(ip)
    }

    /// The addresses of `host` the gateway may call, in the resolver's order; an error when
    /// there were some and none may be called.
    pub fn allowed(&self, host: &str, found: impl IntoIterator<Item = SocketAddr>) -> Result<Vec<SocketAddr>, DestinationRefused> {
        let mut allowed = Vec::new();
        let mut first_refused = None;
        for addr in found {
            match self.refused(addr.ip()) {
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
}

/// What the defaults refuse, whatever the lists say (unless the allow list names it).
pub fn refused(ip: IpAddr) -> Option<Refusal> {
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            if v4.is_link_local() {
                Some(Refusal::LinkLocal)
            } else if v4.octets() == [100, 100, 100, 200] {
                Some(Refusal::Metadata)
            } else if v4.is_unspecified() || v4.is_broadcast() || v4.is_multicast() {
                Some(Refusal::NotAHost)
            } else {
                None
            }
        }
        IpAddr::V6(v6) => {
            let segments = v6.segments();
            if segments[0] & 0xffc0 == 0xfe80 {
                Some(Refusal::LinkLocal)
            } else if segments == [0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254] {
                Some(Refusal::Metadata)
            } else if v6.is_unspecified() || v6.is_multicast() {
                Some(Refusal::NotAHost)
            } else {
                None
            }
        }
    }
}

/// Reads a list an admin typed: one range or address per line (or separated by commas or
/// spaces), "10.0.0.0/8", "192.0.2.7", "fd00::/8"; host bits are cleared ("10.1.2.3/8" is
/// 10.0.0.0/8). The error names the entry that is not a range.
pub fn parse_ranges(text: &str) -> Result<Vec<IpNet>, String> {
    let mut ranges: Vec<IpNet> = Vec::new();
    for entry in text.split(|c: char| c == ',' || c.is_whitespace()).filter(|e| !e.is_empty()) {
        let range = match entry.parse::<IpNet>() {
            Ok(net) => net.trunc(),
            Err(_) => match entry.parse::<IpAddr>() {
                Ok(ip) => IpNet::from(ip.to_canonical()),
                Err(_) => {
                    let shown: String = entry.chars().take(60).collect();
                    return Err(format!("\"{}\" is not an address range: write it as 10.0.0.0/8, 192.0.2.7 or fd00::/8", shown.escape_debug()));
                }
            },
        };
        if !ranges.contains(&range) {
            ranges.push(range);
        }
        if ranges.len() > MAX_RANGES {
            return Err(format!("a list holds at most {MAX_RANGES} ranges: merge some into wider ones"));
        }
    }
    Ok(ranges)
}

/// A backend's name resolved only to addresses the gateway does not call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestinationRefused {
    pub host: String,
    pub ip: IpAddr,
    pub reason: Refusal,
}

impl std::fmt::Display for DestinationRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let fix = match self.reason {
            Refusal::Denied(_) | Refusal::NotAllowed => "an admin can change the lists on the Environments page",
            _ => "use the backend's own address",
        };
        write!(f, "{} resolves to {}, which is {}: the gateway does not call such addresses; {fix}", self.host, self.ip, self.reason)
    }
}

impl std::error::Error for DestinationRefused {}

/// Resolves `host:port` as the system does and keeps the addresses the gateway may call.
pub async fn resolve(host: &str, port: u16, destinations: &Destinations) -> std::io::Result<Vec<SocketAddr>> {
    let found = tokio::net::lookup_host((host, port)).await?;
    destinations.allowed(host, found).map_err(std::io::Error::other)
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
        let defaults = Destinations::default();
        let err = defaults.allowed("metadata.internal", [at("169.254.169.254")]).unwrap_err();
        assert!(err.to_string().contains("metadata.internal resolves to 169.254.169.254, which is link-local"), "{err}");
        assert_eq!(defaults.allowed("mixed.test", [at("169.254.169.254"), at("10.0.0.7")]).unwrap(), [at("10.0.0.7")]);
        assert!(defaults.allowed("none.test", []).unwrap().is_empty());
    }

    #[test]
    fn the_deny_list_wins_and_a_non_empty_allow_list_is_the_only_way_out() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let lists = Destinations { allow: parse_ranges("10.0.0.0/8, 169.254.10.0/24").unwrap(), deny: parse_ranges("10.9.0.0/16\n").unwrap() };
        assert_eq!(lists.refused(ip("10.1.2.3")), None);
        assert_eq!(lists.refused(ip("10.9.1.1")), Some(Refusal::Denied("10.9.0.0/16".parse().unwrap())));
        assert_eq!(lists.refused(ip("192.168.1.1")), Some(Refusal::NotAllowed));
        assert_eq!(lists.refused(ip("127.0.0.1")), Some(Refusal::NotAllowed));
        // Named in the allow list, a link-local backend may be called; the rest of link-local not.
        assert_eq!(lists.refused(ip("169.254.10.5")), None);
        assert_eq!(lists.refused(ip("169.254.169.254")), Some(Refusal::NotAllowed));
        // A deny list alone keeps the defaults and adds to them; IPv4-mapped IPv6 is the same address.
        let deny = Destinations { allow: vec![], deny: parse_ranges("127.0.0.0/8").unwrap() };
        assert!(matches!(deny.refused(ip("::ffff:127.0.0.1")), Some(Refusal::Denied(_))));
        assert_eq!(deny.refused(ip("10.0.0.1")), None);
        assert_eq!(deny.refused(ip("169.254.169.254")), Some(Refusal::LinkLocal));
        let err = deny.allowed("db.test", [SocketAddr::new(ip("127.0.0.1"), 80)]).unwrap_err();
        assert!(err.to_string().contains("on this environment's deny list") && err.to_string().contains("Environments page"), "{err}");
    }

    #[test]
    fn typed_lists_are_read_leniently_and_refused_clearly() {
        assert_eq!(parse_ranges("").unwrap(), vec![]);
        let read = parse_ranges(" 10.1.2.3/8\n192.0.2.7 ,fd00::/8 10.0.0.0/8").unwrap();
        let shown: Vec<String> = read.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["10.0.0.0/8", "192.0.2.7/32", "fd00::/8"]);
        let err = parse_ranges("10.0.0.0/8\nexample.com").unwrap_err();
        assert!(err.contains("\"example.com\" is not an address range"), "{err}");
        assert!(parse_ranges("10.0.0.0/33").is_err());
        let many: String = (0..300).map(|i| format!("10.{}.{}.0/24\n", i / 256, i % 256)).collect();
        assert!(parse_ranges(&many).unwrap_err().contains("at most 256"));
    }
}
