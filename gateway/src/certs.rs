//! What a certificate says about itself, read with x509-parser: names, validity, key type,
//! and the SHA-256 fingerprint over the DER; and whether its names cover a host. The gateway's
//! verifier words its refusals with these; the certificate store describes uploads with them.
use crate::errors::Error;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use x509_parser::extensions::GeneralName;
use x509_parser::oid_registry::{OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_NIST_EC_P384, OID_NIST_EC_P521, OID_PKCS1_RSAENCRYPTION, OID_SIG_ED25519};
use x509_parser::public_key::PublicKey;

#[derive(Debug, Clone, PartialEq)]
pub struct Inspected {
    pub common_name: Option<String>,
    pub subject: String,
    pub issuer: String,
    pub subject_alt_names: Vec<String>,
    pub serial: String,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    pub key_type: String,
    pub is_ca: bool,
    pub self_signed: bool,
    pub fingerprint_sha256: String,
    /// The key's SPKI pin, `sha256/<base64>`, as an endpoint's pins take it.
    pub spki_pin: String,
}

impl Inspected {
    /// The common name, or the whole subject when there is none.
    pub fn display_name(&self) -> String {
        self.common_name.clone().filter(|cn| !cn.is_empty()).unwrap_or_else(|| self.subject.clone())
    }
}

pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der).iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
}

pub fn inspect(der: &[u8]) -> Result<Inspected, Error> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).map_err(|_| Error::invalid("certificate", "the certificate could not be read as X.509"))?;
    let time = |t: &x509_parser::time::ASN1Time| {
        OffsetDateTime::from_unix_timestamp(t.timestamp()).map_err(|_| Error::invalid("certificate", "the certificate's validity dates are out of range"))
    };
    let subject_alt_names = match cert.subject_alternative_name() {
        Ok(Some(ext)) => ext.value.general_names.iter().filter_map(describe_name).collect(),
        _ => Vec::new(),
    };
    let common_name = cert.subject().iter_common_name().next().and_then(|cn| cn.as_str().ok()).map(str::to_string);
    Ok(Inspected {
        common_name,
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        subject_alt_names,
        serial: cert.raw_serial_as_string().to_uppercase(),
        not_before: time(&cert.validity().not_before)?,
        not_after: time(&cert.validity().not_after)?,
        key_type: key_type(cert.public_key()),
        is_ca: cert.is_ca(),
        self_signed: cert.subject() == cert.issuer(),
        fingerprint_sha256: fingerprint(der),
        spki_pin: crate::upstream::pins::format(&Sha256::digest(cert.tbs_certificate.subject_pki.raw).into()),
    })
}

/// Whether a certificate's subject alternative names (as the store lists them, "DNS:a.test",
/// "IP:127.0.0.1") cover the host, with a wildcard covering exactly one label.
pub fn names_cover_host(names: &[String], host: &url::Host<&str>) -> bool {
    names.iter().any(|name| match (name.split_once(':'), host) {
        (Some(("DNS", pattern)), url::Host::Domain(domain)) => dns_matches(pattern, domain),
        (Some(("IP", ip)), url::Host::Ipv4(addr)) => ip.parse::<std::net::Ipv4Addr>().is_ok_and(|a| a == *addr),
        (Some(("IP", ip)), url::Host::Ipv6(addr)) => ip.parse::<std::net::Ipv6Addr>().is_ok_and(|a| a == *addr),
        _ => false,
    })
}

fn dns_matches(pattern: &str, domain: &str) -> bool {
    let (pattern, domain) = (pattern.to_ascii_lowercase(), domain.to_ascii_lowercase().trim_end_matches('.').to_string());
    match pattern.strip_prefix("*.") {
        Some(rest) => domain.split_once('.').is_some_and(|(label, tail)| !label.is_empty() && tail == rest),
        None => pattern == domain,
    }
}

fn describe_name(name: &GeneralName<'_>) -> Option<String> {
    match name {
        GeneralName::DNSName(dns) => Some(format!("DNS:{dns}")),
        GeneralName::IPAddress(bytes) => match bytes.len() {
            4 => Some(format!("IP:{}", std::net::Ipv4Addr::from(<[u8; 4]>::try_from(*bytes).ok()?))),
            16 => Some(format!("IP:{}", std::net::Ipv6Addr::from(<[u8; 16]>::try_from(*bytes).ok()?))),
            _ => None,
        },
        GeneralName::URI(uri) => Some(format!("URI:{uri}")),
        GeneralName::RFC822Name(email) => Some(format!("email:{email}")),
        _ => None,
    }
}

fn key_type(spki: &x509_parser::x509::SubjectPublicKeyInfo<'_>) -> String {
    let algorithm = &spki.algorithm.algorithm;
    if *algorithm == OID_PKCS1_RSAENCRYPTION {
        match spki.parsed() {
            Ok(PublicKey::RSA(rsa)) => format!("RSA {}", rsa.key_size()),
            _ => "RSA".into(),
        }
    } else if *algorithm == OID_KEY_TYPE_EC_PUBLIC_KEY {
        let curve = spki.algorithm.parameters.as_ref().and_then(|p| p.as_oid().ok());
        match curve {
            Some(c) if c == OID_EC_P256 => "ECDSA P-256".into(),
            Some(c) if c == OID_NIST_EC_P384 => "ECDSA P-384".into(),
            Some(c) if c == OID_NIST_EC_P521 => "ECDSA P-521".into(),
            _ => "ECDSA".into(),
        }
    } else if *algorithm == OID_SIG_ED25519 {
        "Ed25519".into()
    } else {
        format!("other ({algorithm})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use testkit::pki as test_pki;

    #[test]
    fn reads_names_validity_key_type_and_fingerprint() {
        let ca = test_pki::ca("Test CA");
        let leaf = test_pki::server_leaf(&ca, "backend.test");
        let info = inspect(leaf.der()).unwrap();
        assert_eq!(info.common_name.as_deref(), Some("backend.test"));
        assert!(info.issuer.contains("Test CA"));
        assert_eq!(info.subject_alt_names, ["DNS:backend.test", "IP:127.0.0.1"]);
        assert_eq!(info.key_type, "ECDSA P-256");
        assert!(!info.is_ca && !info.self_signed);
        assert_eq!(info.fingerprint_sha256.len(), 32 * 3 - 1);
        assert!(info.not_after > info.not_before);
        let ca_info = inspect(ca.der()).unwrap();
        assert!(ca_info.is_ca && ca_info.self_signed);
    }

    #[test]
    fn subject_alternative_names() {
        let names = vec!["DNS:*.example.test".to_string(), "DNS:backend.test".into(), "IP:127.0.0.1".into()];
        let covers = |url: &str| names_cover_host(&names, &url::Url::parse(url).unwrap().host().unwrap());
        assert!(covers("https://backend.test"));
        assert!(covers("https://BACKEND.test."));
        assert!(covers("https://api.example.test"));
        assert!(!covers("https://example.test"));
        assert!(!covers("https://a.b.example.test"));
        assert!(covers("https://127.0.0.1:9000"));
        assert!(!covers("https://127.0.0.2"));
        assert!(!covers("https://localhost"));
    }
}
