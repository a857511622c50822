//! Certificates made at test time (rcgen, and openssl where a format rcgen does not write is
//! needed). Nothing here is checked in.
use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose};

pub struct TestCert {
    pub cert_pem: String,
    pub key_pem: String,
    der: Vec<u8>,
    params: CertificateParams,
}

impl TestCert {
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The SHA-256 of the DER, as the certificate store writes it (AB:CD:…).
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        Sha256::digest(&self.der).iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
    }

    /// Key and certificate in one PEM, as clients such as reqwest take an identity.
    pub fn identity_pem(&self) -> String {
        format!("{}{}", self.key_pem, self.cert_pem)
    }
}

fn window(params: &mut CertificateParams, days_from: i64, days_to: i64) {
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now + time::Duration::days(days_from);
    params.not_after = now + time::Duration::days(days_to);
}

pub fn ca(name: &str) -> TestCert {
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    window(&mut params, -1, 365);
    let key = KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    TestCert { cert_pem: cert.pem(), key_pem: key.serialize_pem(), der: cert.der().to_vec(), params }
}

/// An intermediate CA issued by `ca`.
pub fn intermediate(ca: &TestCert, name: &str) -> TestCert {
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    window(&mut params, -1, 365);
    issue(ca, params)
}

pub fn server_leaf(ca: &TestCert, host: &str) -> TestCert {
    let mut params = CertificateParams::new(vec![host.to_string(), "127.0.0.1".to_string()]).unwrap();
    params.distinguished_name.push(DnType::CommonName, host);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    window(&mut params, -1, 90);
    issue(ca, params)
}

/// A self-signed client certificate valid from `days_from` to `days_to` days from now.
pub fn client_valid(cn: &str, days_from: i64, days_to: i64) -> TestCert {
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::CommonName, cn);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    window(&mut params, days_from, days_to);
    let key = KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    TestCert { cert_pem: cert.pem(), key_pem: key.serialize_pem(), der: cert.der().to_vec(), params }
}

/// A client certificate issued by `ca`, valid from `days_from` to `days_to` days from now.
pub fn client_issued(ca: &TestCert, cn: &str, days_from: i64, days_to: i64) -> TestCert {
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::CommonName, cn);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    window(&mut params, days_from, days_to);
    issue(ca, params)
}

pub fn ecdsa_client(cn: &str) -> TestCert {
    client_valid(cn, -1, 365)
}

fn issue(ca: &TestCert, params: CertificateParams) -> TestCert {
    let ca_key = KeyPair::from_pem(&ca.key_pem).unwrap();
    let issuer = Issuer::new(ca.params.clone(), ca_key);
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &issuer).unwrap();
    TestCert { cert_pem: cert.pem(), key_pem: key.serialize_pem(), der: cert.der().to_vec(), params }
}

/// A private key written by openssl in a traditional format (PKCS#1 or SEC1).
pub fn openssl_key(command: &str, args: &[&str], label: &str) -> String {
    let out = std::process::Command::new("openssl").arg(command).args(args).output().expect("openssl is installed");
    assert!(out.status.success(), "openssl {command} failed");
    let text = String::from_utf8(out.stdout).unwrap();
    // Newer openssl writes PKCS#8 by default; the test needs the traditional label.
    assert!(text.contains(&format!("BEGIN {label}")), "openssl wrote {text:.40}");
    text
}

/// A self-signed server certificate marked CA, as `openssl req -x509` makes by default.
pub fn self_signed_ca_server(host: &str) -> TestCert {
    let mut params = CertificateParams::new(vec![host.to_string()]).unwrap();
    params.distinguished_name.push(DnType::CommonName, host);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    window(&mut params, -1, 90);
    let key = KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    TestCert { cert_pem: cert.pem(), key_pem: key.serialize_pem(), der: cert.der().to_vec(), params }
}

impl TestCert {
    pub fn cert_der(&self) -> rustls::pki_types::CertificateDer<'static> {
        rustls::pki_types::CertificateDer::from(self.der.clone())
    }

    pub fn key_der(&self) -> rustls::pki_types::PrivateKeyDer<'static> {
        // rcgen writes PKCS#8.
        rustls::pki_types::PrivateKeyDer::Pkcs8(rcgen::KeyPair::from_pem(&self.key_pem).unwrap().serialize_der().into())
    }
}

/// A server certificate for `host` issued by `ca`, valid from `days_from` to `days_to` days from now.
pub fn server_valid(ca: &TestCert, host: &str, days_from: i64, days_to: i64) -> TestCert {
    let mut params = CertificateParams::new(vec![host.to_string()]).unwrap();
    params.distinguished_name.push(DnType::CommonName, host);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    window(&mut params, days_from, days_to);
    issue(ca, params)
}

/// A self-signed server certificate (not a CA) for `host` and 127.0.0.1, as the gateway's own
/// listener certificate is: a client can trust it directly.
pub fn self_signed_server(host: &str) -> TestCert {
    let mut params = CertificateParams::new(vec![host.to_string(), "127.0.0.1".to_string()]).unwrap();
    params.distinguished_name.push(DnType::CommonName, host);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    window(&mut params, -1, 90);
    let key = KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    TestCert { cert_pem: cert.pem(), key_pem: key.serialize_pem(), der: cert.der().to_vec(), params }
}
