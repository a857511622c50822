//! The console and REST API over HTTPS: GATEHOUSE_PORTAL_TLS_CERT (the chain, leaf first) and
//! GATEHOUSE_PORTAL_TLS_KEY (its key), PEM files read and checked once at start into the rustls
//! configuration the portal's listener accepts with (`listen::portal`). With it the session
//! cookie is `Secure` with the `__Host-` prefix and every answer carries HSTS (`portal`).
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::{CertifiedKey, SingleCertAndKey};
use rustls::ServerConfig;
use std::sync::Arc;

/// Neither file may be larger (a chain is a few KiB).
const MAX_FILE_BYTES: u64 = 1 << 20;

/// `Strict-Transport-Security` over TLS: browsers use https for this host for a year. Not for
/// subdomains: the console does not speak for other hosts.
pub const HSTS: &str = "max-age=31536000";

/// The problem with one of the two variables.
pub type Problem = (&'static str, String);

const CERT: &str = "GATEHOUSE_PORTAL_TLS_CERT";
const KEY: &str = "GATEHOUSE_PORTAL_TLS_KEY";

fn read(var: &'static str, path: &str) -> Result<Vec<u8>, Problem> {
    let size = std::fs::metadata(path).map_err(|e| (var, format!("cannot be read ({path}): {e}")))?.len();
    if size > MAX_FILE_BYTES {
        return Err((var, format!("is {size} bytes ({path}): a PEM file of at most 1 MiB was expected")));
    }
    std::fs::read(path).map_err(|e| (var, format!("cannot be read ({path}): {e}")))
}

/// Reads and checks the two files: certificates in the first, a private key in the second,
/// and the key is the leaf's. An expired leaf is logged, not refused: the gateway in the same
/// process must not stop with it.
pub fn load(cert_path: &str, key_path: &str) -> Result<Arc<ServerConfig>, Problem> {
    let cert_pem = read(CERT, cert_path)?;
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| (CERT, format!("is not a PEM certificate chain ({cert_path}): {e}")))?;
    let Some(leaf) = chain.first() else {
        return Err((CERT, format!("holds no PEM certificate ({cert_path}): put the console's certificate first, then its intermediates")));
    };
    match gateway::certs::inspect(leaf.as_ref()) {
        Ok(found) if found.not_after < time::OffsetDateTime::now_utc() => {
            tracing::warn!(expired = %found.not_after.date(), subject = %found.subject, "the console's TLS certificate (GATEHOUSE_PORTAL_TLS_CERT) has expired: browsers will refuse it");
        }
        Ok(_) => {}
        Err(_) => return Err((CERT, format!("starts with a certificate that cannot be read as X.509 ({cert_path})"))),
    }
    let key_pem = read(KEY, key_path)?;
    let key = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|_| (KEY, format!("holds no PEM private key ({key_path}): PKCS#8, PKCS#1 (RSA) or SEC1 (EC) was expected")))?;
    let provider = gateway::upstream::provider();
    let signing = provider.key_provider.load_private_key(key).map_err(|e| (KEY, format!("is not a key Gatehouse can sign with ({key_path}): {e}")))?;
    let certified = CertifiedKey::new(chain, signing);
    certified
        .keys_match()
        .map_err(|_| (KEY, format!("is not the key of the certificate in {CERT} ({key_path}): give the key that certificate was issued for")))?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| (CERT, format!("cannot be served: {e}")))?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(SingleCertAndKey::from(certified)));
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_string_lossy().into_owned()
    }

    #[test]
    fn the_pair_is_checked_and_each_problem_names_its_variable() {
        let dir = tempfile::tempdir().unwrap();
        let ca = testkit::pki::ca("Console CA");
        let leaf = testkit::pki::server_leaf(&ca, "console.test");
        let other = testkit::pki::server_leaf(&ca, "other.test");
        let chain = write(dir.path(), "chain.pem", &format!("{}{}", leaf.cert_pem, ca.cert_pem));
        let key = write(dir.path(), "key.pem", &leaf.key_pem);
        let config = load(&chain, &key).unwrap();
        assert_eq!(config.alpn_protocols, vec![b"h2".to_vec(), b"http/1.1".to_vec()]);

        let wrong_key = write(dir.path(), "other.pem", &other.key_pem);
        let (var, problem) = load(&chain, &wrong_key).unwrap_err();
        assert!(var == KEY && problem.contains("is not the key of the certificate"), "{problem}");
        let (var, problem) = load(&key, &key).unwrap_err();
        assert!(var == CERT && problem.contains("holds no PEM certificate"), "{problem}");
        let (var, problem) = load(&chain, &chain).unwrap_err();
        assert!(var == KEY && problem.contains("holds no PEM private key"), "{problem}");
        let (var, problem) = load(&dir.path().join("missing.pem").to_string_lossy(), &key).unwrap_err();
        assert!(var == CERT && problem.contains("cannot be read"), "{problem}");
        let big = write(dir.path(), "big.pem", &"A".repeat(2 << 20));
        let (var, problem) = load(&big, &key).unwrap_err();
        assert!(var == CERT && problem.contains("at most 1 MiB"), "{problem}");
    }
}
