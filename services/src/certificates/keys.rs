//! Does the private key belong to the certificate? Checked strictly: rustls compares the key's
//! public half with the certificate's, and an answer of "cannot tell" is a refusal too.
use crate::Error;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;

pub fn check_key_matches(leaf: &CertificateDer<'static>, key: &PrivateKeyDer<'static>) -> Result<(), Error> {
    let signing_key = rustls::crypto::aws_lc_rs::sign::any_supported_type(key).map_err(|_| {
        Error::invalid("private_key", "the private key could not be loaded: its algorithm is not supported (use RSA, ECDSA P-256/P-384 or Ed25519)")
    })?;
    match CertifiedKey::new(vec![leaf.clone()], signing_key).keys_match() {
        Ok(()) => Ok(()),
        Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) => {
            Err(Error::invalid("private_key", "the private key does not match the certificate's public key: upload the key this certificate was issued for"))
        }
        Err(_) => Err(Error::invalid("private_key", "Gatehouse cannot confirm that this private key belongs to the certificate, so it was not stored")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certificates::input;
    use testkit::pki as test_pki;

    #[test]
    fn matching_keys_pass_and_others_are_refused() {
        let ours = test_pki::ecdsa_client("ours");
        let theirs = test_pki::ecdsa_client("theirs");
        let leaf = CertificateDer::from(ours.der().to_vec());
        let our_key = input::read_private_key("private_key", ours.key_pem.as_bytes()).unwrap();
        let their_key = input::read_private_key("private_key", theirs.key_pem.as_bytes()).unwrap();
        check_key_matches(&leaf, &our_key).unwrap();
        let err = check_key_matches(&leaf, &their_key).unwrap_err();
        assert_eq!(err.to_string(), "the private key does not match the certificate's public key: upload the key this certificate was issued for");
    }
}
