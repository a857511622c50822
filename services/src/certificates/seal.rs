//! Sealing private keys at rest: AES-256-GCM under the master key, with a fresh 96-bit nonce per
//! key and the entry's identity as associated data, so a sealed key copied onto another row
//! does not open.
use crate::secrets::MasterKey;
use crate::Error;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use rand::RngCore;
use zeroize::Zeroizing;

pub struct Sealed {
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

/// What the sealed key is bound to: its project and the certificate it belongs to.
pub fn binding(project_id: i32, fingerprint: &str) -> Vec<u8> {
    format!("gatehouse/client-key/v1/{project_id}/{fingerprint}").into_bytes()
}

pub fn seal(key: &MasterKey, aad: &[u8], plaintext: &[u8]) -> Result<Sealed, Error> {
    let cipher = Aes256Gcm::new(key.bytes().into());
    let mut nonce = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let ciphertext =
        cipher.encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext, aad }).map_err(|_| Error::Internal("could not encrypt the private key".into()))?;
    Ok(Sealed { nonce: nonce.to_vec(), ciphertext })
}

pub fn open(key: &MasterKey, aad: &[u8], nonce: &[u8], ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
    if nonce.len() != 12 {
        return Err(Error::Internal("a stored private key is damaged (bad nonce)".into()));
    }
    let cipher = Aes256Gcm::new(key.bytes().into());
    cipher.decrypt(Nonce::from_slice(nonce), Payload { msg: ciphertext, aad }).map(Zeroizing::new).map_err(|_| {
        Error::Internal(
            "a stored private key cannot be decrypted: Gatehouse is running with a different master key than the one that sealed it (GATEHOUSE_MASTER_KEY / master.key)".into(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_other_keys_or_rows() {
        let key = MasterKey::parse(&"11".repeat(32)).unwrap();
        let other = MasterKey::parse(&"22".repeat(32)).unwrap();
        let aad = binding(1, "AB:CD");
        let sealed = seal(&key, &aad, b"secret key bytes").unwrap();
        assert!(!sealed.ciphertext.windows(6).any(|w| w == b"secret"));
        assert_eq!(&open(&key, &aad, &sealed.nonce, &sealed.ciphertext).unwrap()[..], b"secret key bytes");
        assert!(open(&other, &aad, &sealed.nonce, &sealed.ciphertext).is_err());
        assert!(open(&key, &binding(2, "AB:CD"), &sealed.nonce, &sealed.ciphertext).is_err());
    }
}
