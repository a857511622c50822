//! Reading what a publisher pasted or uploaded: certificates (PEM, a PEM bundle, or DER) and
//! private keys (PKCS#8, PKCS#1 RSA, SEC1 EC). Errors say what was found and what to do, and
//! never repeat the input (it may be a private key pasted into the wrong field).
use crate::Error;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The largest certificate or key input accepted, per field.
pub const MAX_INPUT_BYTES: usize = crate::model::MAX_UPLOAD_KIB * 1024;

fn check_size(field: &str, input: &[u8]) -> Result<(), Error> {
    if input.len() > MAX_INPUT_BYTES {
        return Err(Error::invalid(
            field,
            format!("the upload is {} KiB; the limit is {} KiB per certificate or key", input.len() / 1024, MAX_INPUT_BYTES / 1024),
        ));
    }
    if input.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::invalid(field, "this is empty: paste the PEM text or choose a .pem, .crt or .cer file"));
    }
    Ok(())
}

fn contains(input: &[u8], needle: &str) -> bool {
    input.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// The labels of the PEM blocks in the input ("CERTIFICATE", "PRIVATE KEY", …), to explain what
/// was found instead of what was wanted.
fn pem_labels(input: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(input)
        .lines()
        .filter_map(|l| l.trim().strip_prefix("-----BEGIN ").and_then(|l| l.strip_suffix("-----")).map(str::to_string))
        .collect()
}

/// One or more certificates, leaf first as given.
pub fn read_certificates(field: &str, input: &[u8]) -> Result<Vec<CertificateDer<'static>>, Error> {
    check_size(field, input)?;
    let labels = pem_labels(input);
    if labels.is_empty() {
        // Not PEM: perhaps a binary DER certificate (.cer/.crt files often are).
        if x509_parser::parse_x509_certificate(input).is_ok() {
            return Ok(vec![CertificateDer::from(input.to_vec())]);
        }
        return Err(Error::invalid(
            field,
            "this is not a certificate: expected PEM text starting with -----BEGIN CERTIFICATE----- or a DER-encoded certificate file",
        ));
    }
    if !labels.iter().any(|l| l == "CERTIFICATE") {
        let found = &labels[0];
        let message = if found.contains("PRIVATE KEY") {
            "this is a private key, not a certificate: it belongs in the private key field (it was not stored)".to_string()
        } else if found.contains("CERTIFICATE REQUEST") {
            "this is a certificate signing request (CSR), not a certificate: upload the certificate your CA issued for it".to_string()
        } else {
            format!("found a \"{found}\" block but no certificate: expected -----BEGIN CERTIFICATE-----")
        };
        return Err(Error::invalid(field, message));
    }
    let certs = CertificateDer::pem_slice_iter(input)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| Error::invalid(field, "the PEM text is damaged (truncated or altered base64): copy the whole block again, from -----BEGIN to -----END"))?;
    for (i, cert) in certs.iter().enumerate() {
        if x509_parser::parse_x509_certificate(cert.as_ref()).is_err() {
            let which = if certs.len() == 1 { "the certificate".to_string() } else { format!("certificate {} of {}", i + 1, certs.len()) };
            return Err(Error::invalid(field, format!("{which} is not valid X.509 (its base64 decodes, but not to a certificate): it may be truncated")));
        }
    }
    if certs.is_empty() {
        return Err(Error::invalid(field, "no certificate found: expected -----BEGIN CERTIFICATE-----"));
    }
    Ok(certs)
}

/// Certificates as PEM text, one block each.
pub fn to_pem(chain: &[CertificateDer<'_>]) -> String {
    use base64::Engine;
    let mut out = String::new();
    for cert in chain {
        out.push_str("-----BEGIN CERTIFICATE-----\n");
        let b64 = base64::engine::general_purpose::STANDARD.encode(cert.as_ref());
        for line in b64.as_bytes().chunks(64) {
            out.push_str(&String::from_utf8_lossy(line));
            out.push('\n');
        }
        out.push_str("-----END CERTIFICATE-----\n");
    }
    out
}

/// A private key, in any of the common unencrypted encodings.
pub fn read_private_key(field: &str, input: &[u8]) -> Result<PrivateKeyDer<'static>, Error> {
    check_size(field, input)?;
    if contains(input, "ENCRYPTED PRIVATE KEY") || contains(input, "Proc-Type: 4,ENCRYPTED") {
        return Err(Error::invalid(
            field,
            "this private key is encrypted with a passphrase, which Gatehouse cannot use: decrypt it first \
             (openssl pkey -in key.pem -out key-plain.pem) and upload that; Gatehouse encrypts it at rest itself",
        ));
    }
    let labels = pem_labels(input);
    if labels.is_empty() {
        return PrivateKeyDer::try_from(input.to_vec()).map_err(|_| {
            Error::invalid(field, "this is not a private key: expected PEM text starting with -----BEGIN PRIVATE KEY----- (or RSA/EC PRIVATE KEY)")
        });
    }
    if !labels.iter().any(|l| l.ends_with("PRIVATE KEY")) {
        let message = if labels.iter().any(|l| l == "CERTIFICATE") {
            "this is a certificate, not a private key: the certificate and key fields look swapped"
        } else {
            "no private key found: expected -----BEGIN PRIVATE KEY----- (or RSA/EC PRIVATE KEY)"
        };
        return Err(Error::invalid(field, message));
    }
    PrivateKeyDer::from_pem_slice(input)
        .map_err(|_| Error::invalid(field, "the private key's PEM text is damaged (truncated or altered): copy the whole block again"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use testkit::pki as test_pki;

    #[test]
    fn reads_pem_bundles_and_der() {
        let ca = test_pki::ca("Test CA");
        let leaf = test_pki::server_leaf(&ca, "backend.test");
        let bundle = format!("{}{}", leaf.cert_pem, ca.cert_pem);
        assert_eq!(read_certificates("certificate", bundle.as_bytes()).unwrap().len(), 2);
        let der = read_certificates("certificate", leaf.cert_pem.as_bytes()).unwrap().remove(0);
        assert_eq!(read_certificates("certificate", der.as_ref()).unwrap()[0], der);
    }

    #[test]
    fn refuses_bad_certificate_input_without_echoing_it() {
        let ca = test_pki::ca("Test CA");
        let leaf = test_pki::server_leaf(&ca, "backend.test");
        let truncated = leaf.cert_pem.replacen("MII", "MIX", 1);
        let half = format!("{}\n-----END CERTIFICATE-----\n", &leaf.cert_pem[..leaf.cert_pem.len() / 2]);
        let cases: Vec<(&[u8], &str)> = vec![
            (b"", "empty"),
            (b"  \n ", "empty"),
            (b"hello world", "not a certificate"),
            (leaf.key_pem.as_bytes(), "private key, not a certificate"),
            (b"-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n", "signing request"),
            (truncated.as_bytes(), "not valid X.509"),
            (half.as_bytes(), "truncated"),
        ];
        for (input, expected) in cases {
            let err = read_certificates("certificate", input).unwrap_err();
            let text = err.to_string();
            assert!(text.contains(expected), "{expected:?} not in {text:?}");
            assert_eq!(err.field(), Some("certificate"));
            assert!(!text.contains("MII"), "the input is never echoed: {text}");
        }
        let huge = vec![b'A'; MAX_INPUT_BYTES + 1];
        assert!(read_certificates("certificate", &huge).unwrap_err().to_string().contains("256 KiB"));
    }

    #[test]
    fn reads_keys_in_every_encoding_and_refuses_encrypted_or_swapped_ones() {
        let pair = test_pki::ecdsa_client("client");
        assert!(matches!(read_private_key("key", pair.key_pem.as_bytes()).unwrap(), PrivateKeyDer::Pkcs8(_)));
        let rsa = test_pki::openssl_key("genrsa", &["-traditional", "2048"], "RSA PRIVATE KEY");
        assert!(matches!(read_private_key("key", rsa.as_bytes()).unwrap(), PrivateKeyDer::Pkcs1(_)));
        let ec = test_pki::openssl_key("ecparam", &["-name", "prime256v1", "-genkey", "-noout"], "EC PRIVATE KEY");
        assert!(matches!(read_private_key("key", ec.as_bytes()).unwrap(), PrivateKeyDer::Sec1(_)));

        let encrypted = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n";
        assert!(read_private_key("key", encrypted.as_bytes()).unwrap_err().to_string().contains("encrypted with a passphrase"));
        let legacy = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n";
        assert!(read_private_key("key", legacy.as_bytes()).unwrap_err().to_string().contains("encrypted with a passphrase"));
        assert!(read_private_key("key", pair.cert_pem.as_bytes()).unwrap_err().to_string().contains("swapped"));
        assert!(read_private_key("key", b"").is_err());
    }
}

/// Generated certificate input (`make fuzz` runs many more cases): a real certificate with
/// bytes changed or cut, as DER or inside PEM, is read or refused with a message, never a panic;
/// what is read is also inspected without one.
#[cfg(test)]
mod fuzz {
    use super::read_certificates;
    use proptest::prelude::*;
    use std::sync::LazyLock;

    static DER: LazyLock<Vec<u8>> = LazyLock::new(|| testkit::pki::server_leaf(&testkit::pki::ca("Fuzz CA"), "fuzz.test").cert_der().to_vec());

    fn mutated(flips: &[(usize, u8)], cut: usize) -> Vec<u8> {
        let mut der = DER.clone();
        for (at, xor) in flips {
            let at = at % der.len();
            der[at] ^= xor;
        }
        der.truncate(der.len() - cut % der.len());
        der
    }

    proptest! {
        #[test]
        fn fuzz_damaged_certificates_are_refused_or_read(flips in prop::collection::vec((any::<usize>(), 1u8..), 0..6), cut in any::<usize>(), pem in any::<bool>()) {
            let der = mutated(&flips, if cut % 4 == 0 { cut } else { 0 });
            let input = if pem { super::to_pem(&[rustls::pki_types::CertificateDer::from(der)]).into_bytes() } else { der };
            if let Ok(certs) = read_certificates("certificate", &input) {
                for cert in certs {
                    let _ = gateway::certs::inspect(cert.as_ref());
                }
            }
        }

        #[test]
        fn fuzz_arbitrary_bytes_are_refused_or_read(input in prop::collection::vec(any::<u8>(), 0..512)) {
            let _ = read_certificates("certificate", &input);
            let _ = super::read_private_key("private_key", &input);
        }
    }
}
