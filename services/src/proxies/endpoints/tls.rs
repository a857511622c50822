//! TLS to the backend beyond whom to trust: the versions and TLS 1.2 suites offered, and the
//! pinned keys. Checked here when saved (with the gateway's own parsers, so what saves is what
//! compiles), stored one per line, and turned into the gateway's `UpstreamTls` at deploy.
use crate::entities::endpoint_config;
use crate::model::EndpointTls;
use crate::{Error, Result};
use gateway::edge::{check_suites, TlsVersion};
use gateway::upstream::pins;

/// At most this many suite names (there are fewer suites than that).
const MAX_SUITES: usize = 32;

/// The settings as they are stored: trimmed, pins rewritten in their canonical form, each once.
pub(super) fn check(tls: &EndpointTls, pins_given: &[String]) -> Result<(EndpointTls, Vec<String>)> {
    let version = |field: &'static str, text: &str| {
        TlsVersion::parse(text).ok_or_else(|| {
            Error::invalid(field, format!("\"{}\" is not a TLS version Gatehouse offers: choose 1.2 or 1.3", text.chars().take(20).collect::<String>()))
        })
    };
    let min = version("tls.min_version", &tls.min_version)?;
    let max = version("tls.max_version", &tls.max_version)?;
    if min == TlsVersion::V1_3 && max == TlsVersion::V1_2 {
        return Err(Error::invalid("tls.max_version", "the maximum TLS version is below the minimum: choose a maximum of 1.3, or a minimum of 1.2"));
    }
    if tls.cipher_suites.len() > MAX_SUITES {
        return Err(Error::invalid("tls.cipher_suites", format!("at most {MAX_SUITES} cipher suites")));
    }
    let mut suites: Vec<String> = tls.cipher_suites.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
    suites.dedup();
    check_suites(&suites).map_err(|e| Error::invalid("tls.cipher_suites", e))?;
    let given: Vec<String> = pins_given.iter().map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect();
    if given.len() > pins::MAX_PINS {
        return Err(Error::invalid("pins", format!("an endpoint takes at most {} pins ({} given)", pins::MAX_PINS, given.len())));
    }
    // In the order given, once each.
    let mut pinned: Vec<String> = Vec::new();
    for text in &given {
        let canonical = pins::parse(text).map(|p| pins::format(&p)).map_err(|e| Error::invalid("pins", e))?;
        if !pinned.contains(&canonical) {
            pinned.push(canonical);
        }
    }
    Ok((EndpointTls { min_version: min.as_str().into(), max_version: max.as_str().into(), cipher_suites: suites }, pinned))
}

/// What a row stores.
pub(crate) fn of_row(row: &endpoint_config::Model) -> (EndpointTls, Vec<String>) {
    let lines = |text: &str| text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect::<Vec<_>>();
    let tls = EndpointTls { min_version: row.tls_min_version.clone(), max_version: row.tls_max_version.clone(), cipher_suites: lines(&row.tls_cipher_suites) };
    (tls, lines(&row.spki_pins))
}

/// The gateway's form of the settings (a stored revision's included).
pub(crate) fn spec(tls: &EndpointTls, pins: &[String]) -> Result<gateway::UpstreamTls> {
    let version = |text: &str| TlsVersion::parse(text).ok_or_else(|| Error::Internal(format!("the stored TLS version \"{text}\" cannot be read")));
    Ok(gateway::UpstreamTls {
        min_version: version(&tls.min_version)?,
        max_version: version(&tls.max_version)?,
        cipher_suites: tls.cipher_suites.clone(),
        pins: pins.to_vec(),
    })
}

/// "TLS 1.2 to 1.3", "TLS 1.3 only".
pub(crate) fn describe_versions(tls: &EndpointTls) -> String {
    if tls.min_version == tls.max_version {
        format!("TLS {} only", tls.min_version)
    } else {
        format!("TLS {} to {}", tls.min_version, tls.max_version)
    }
}

/// The suites, or that all are offered.
pub(crate) fn describe_suites(tls: &EndpointTls) -> String {
    if tls.cipher_suites.is_empty() {
        "all".into()
    } else {
        tls.cipher_suites.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_checked_and_stored_canonical() {
        let pin = format!("sha256/{}", "A".repeat(43) + "=");
        let tls = EndpointTls { min_version: " 1.3".into(), max_version: "1.3".into(), cipher_suites: vec![] };
        let (checked, pins) = check(&tls, &[format!(" {pin} "), pin.clone(), String::new()]).unwrap();
        assert_eq!((checked.min_version.as_str(), pins), ("1.3", vec![pin.clone()]));
        let field = |r: Result<(EndpointTls, Vec<String>)>| match r.unwrap_err() {
            Error::Invalid { field, message } => (field, message),
            other => panic!("{other:?}"),
        };
        let (f, m) = field(check(&EndpointTls { min_version: "1.3".into(), max_version: "1.2".into(), ..tls.clone() }, &[]));
        assert_eq!(f.as_deref(), Some("tls.max_version"), "{m}");
        let (f, m) = field(check(&EndpointTls { min_version: "1.0".into(), ..tls.clone() }, &[]));
        assert!(f.as_deref() == Some("tls.min_version") && m.contains("1.2 or 1.3"), "{m}");
        let (f, m) = field(check(&EndpointTls { cipher_suites: vec!["TLS_NULL".into()], ..tls.clone() }, &[]));
        assert!(f.as_deref() == Some("tls.cipher_suites") && m.contains("TLS_NULL"), "{m}");
        let (f, m) = field(check(&tls, &["sha256/AAAA".into()]));
        assert!(f.as_deref() == Some("pins") && m.contains("32"), "{m}");
        assert_eq!(describe_versions(&checked), "TLS 1.3 only");
    }
}
