//! "Generate new key pair": a self-signed client certificate made with rcgen, with the subject
//! the publisher asked for, a random serial, clientAuth, and the validity asked for.
use crate::model::{GenerateKeyPair, KeyAlgorithm};
use crate::Error;
use rand::RngCore;
use rcgen::{CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, KeyPair, KeyUsagePurpose, SerialNumber};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

pub const DEFAULT_VALIDITY_DAYS: u32 = 365;
pub const MAX_VALIDITY_DAYS: u32 = 3650;

pub struct Generated {
    pub cert: CertificateDer<'static>,
    pub key: PrivateKeyDer<'static>,
}

fn clean(field: &str, value: &Option<String>, max: usize) -> Result<Option<String>, Error> {
    let Some(v) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) else { return Ok(None) };
    if v.chars().count() > max {
        return Err(Error::invalid(field, format!("keep this under {max} characters")));
    }
    Ok(Some(v.to_string()))
}

/// Checks the request; cheap, so it runs before the (possibly slow) key generation.
pub fn validate(req: &GenerateKeyPair) -> Result<(), Error> {
    let cn = req.common_name.trim();
    if cn.is_empty() {
        return Err(Error::invalid("common_name", "enter a common name: it identifies this certificate, e.g. gatehouse-dev-client"));
    }
    if cn.chars().count() > 64 {
        return Err(Error::invalid("common_name", "the common name is longer than 64 characters"));
    }
    if let Some(c) = clean("country", &req.country, 2)? {
        if c.len() != 2 || !c.chars().all(|ch| ch.is_ascii_alphabetic()) {
            return Err(Error::invalid("country", "use the two-letter country code, such as SE or US"));
        }
    }
    for (field, value) in
        [("organization", &req.organization), ("organizational_unit", &req.organizational_unit), ("state", &req.state), ("locality", &req.locality)]
    {
        clean(field, value, 64)?;
    }
    let days = req.validity_days.unwrap_or(DEFAULT_VALIDITY_DAYS);
    if !(1..=MAX_VALIDITY_DAYS).contains(&days) {
        return Err(Error::invalid("validity_days", format!("choose between 1 and {MAX_VALIDITY_DAYS} days")));
    }
    Ok(())
}

/// CPU-bound (RSA 4096 takes seconds): call it from a blocking thread.
pub fn generate(req: &GenerateKeyPair) -> Result<Generated, Error> {
    validate(req)?;
    let failed = |e: rcgen::Error| Error::Internal(format!("could not generate the key pair: {e}"));
    let key = match req.key_algorithm {
        KeyAlgorithm::EcdsaP256 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256),
        KeyAlgorithm::EcdsaP384 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384),
        KeyAlgorithm::Ed25519 => KeyPair::generate_for(&rcgen::PKCS_ED25519),
        KeyAlgorithm::Rsa2048 => KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048),
        KeyAlgorithm::Rsa3072 => KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_3072),
        KeyAlgorithm::Rsa4096 => KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_4096),
    }
    .map_err(failed)?;

    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, req.common_name.trim());
    let optional = [
        (DnType::OrganizationName, &req.organization),
        (DnType::OrganizationalUnitName, &req.organizational_unit),
        (DnType::CountryName, &req.country),
        (DnType::StateOrProvinceName, &req.state),
        (DnType::LocalityName, &req.locality),
    ];
    for (ty, value) in optional {
        if let Some(v) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            let text = if ty == DnType::CountryName { v.to_uppercase() } else { v.to_string() };
            dn.push(ty, text);
        }
    }
    params.distinguished_name = dn;
    let now = time::OffsetDateTime::now_utc();
    // A little slack for backends whose clocks run behind.
    params.not_before = now - time::Duration::minutes(5);
    params.not_after = now + time::Duration::days(i64::from(req.validity_days.unwrap_or(DEFAULT_VALIDITY_DAYS)));
    let mut serial = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut serial);
    serial[0] &= 0x7f; // positive, as RFC 5280 requires
    params.serial_number = Some(SerialNumber::from_slice(&serial));
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let cert = params.self_signed(&key).map_err(failed)?;
    Ok(Generated { cert: cert.der().clone(), key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certificates::{inspect, keys};

    fn request(alg: KeyAlgorithm) -> GenerateKeyPair {
        GenerateKeyPair {
            common_name: "gatehouse-test-client".into(),
            organization: Some("Gatehouse".into()),
            organizational_unit: Some("Platform".into()),
            country: Some("se".into()),
            state: Some("Stockholm".into()),
            locality: Some("Solna".into()),
            validity_days: Some(30),
            key_algorithm: alg,
        }
    }

    #[test]
    fn every_algorithm_makes_a_matching_client_certificate() {
        for alg in KeyAlgorithm::ALL {
            if alg == KeyAlgorithm::Rsa4096 && cfg!(debug_assertions) {
                continue; // seconds per key unoptimised; covered by the openssl test below in release
            }
            let generated = generate(&request(alg)).unwrap();
            keys::check_key_matches(&generated.cert, &generated.key).unwrap();
            let info = inspect::inspect(generated.cert.as_ref()).unwrap();
            let expected_type = match alg {
                KeyAlgorithm::EcdsaP256 => "ECDSA P-256",
                KeyAlgorithm::EcdsaP384 => "ECDSA P-384",
                KeyAlgorithm::Ed25519 => "Ed25519",
                KeyAlgorithm::Rsa2048 => "RSA 2048",
                KeyAlgorithm::Rsa3072 => "RSA 3072",
                KeyAlgorithm::Rsa4096 => "RSA 4096",
            };
            assert_eq!(info.key_type, expected_type);
            assert!(info.subject.contains("CN=gatehouse-test-client") && info.subject.contains("C=SE"), "{}", info.subject);
            let days = (info.not_after - info.not_before).whole_days();
            assert_eq!(days, 30, "validity as asked, not rcgen's default");
        }
    }

    #[test]
    fn serials_are_random() {
        let a = inspect::inspect(generate(&request(KeyAlgorithm::EcdsaP256)).unwrap().cert.as_ref()).unwrap();
        let b = inspect::inspect(generate(&request(KeyAlgorithm::EcdsaP256)).unwrap().cert.as_ref()).unwrap();
        assert_ne!(a.serial, b.serial);
    }

    #[test]
    fn openssl_reads_it_verifies_it_and_sees_client_auth() {
        let generated = generate(&request(KeyAlgorithm::Rsa4096)).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("client.pem");
        std::fs::write(&path, crate::certificates::input::to_pem(std::slice::from_ref(&generated.cert))).unwrap();
        let text = std::process::Command::new("openssl").args(["x509", "-noout", "-text", "-in"]).arg(&path).output().unwrap();
        assert!(text.status.success());
        let text = String::from_utf8_lossy(&text.stdout);
        assert!(text.contains("TLS Web Client Authentication"), "{text}");
        assert!(text.contains("Digital Signature"), "{text}");
        assert!(text.contains("Public-Key: (4096 bit)"), "{text}");
        let verify = std::process::Command::new("openssl").args(["verify", "-purpose", "sslclient", "-CAfile"]).arg(&path).arg(&path).output().unwrap();
        assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stdout));
    }

    #[test]
    fn bad_requests_name_their_field() {
        let cases = [
            (GenerateKeyPair { common_name: " ".into(), ..Default::default() }, "common_name"),
            (GenerateKeyPair { country: Some("Sweden".into()), ..request(KeyAlgorithm::EcdsaP256) }, "country"),
            (GenerateKeyPair { validity_days: Some(0), ..request(KeyAlgorithm::EcdsaP256) }, "validity_days"),
            (GenerateKeyPair { validity_days: Some(99_999), ..request(KeyAlgorithm::EcdsaP256) }, "validity_days"),
        ];
        for (req, field) in cases {
            assert_eq!(validate(&req).unwrap_err().field(), Some(field));
        }
    }
}
