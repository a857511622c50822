//! SPKI pins, as HPKP wrote them: `sha256/<base64 of the SHA-256 of the certificate's
//! SubjectPublicKeyInfo>`. A pin names a key, not a certificate, so it survives a renewal that
//! keeps the key and holds for a self-signed certificate no CA vouches for.
use base64::Engine as _;
use sha2::{Digest, Sha256};

/// The most pins one endpoint may have (the current key and a few backups).
pub const MAX_PINS: usize = 16;

/// One pin's digest.
pub type Pin = [u8; 32];

/// Reads `sha256/<base64>`, saying what is wrong with it.
pub fn parse(text: &str) -> Result<Pin, String> {
    let text = text.trim();
    let shown: String = text.chars().take(60).collect();
    let Some(encoded) = text.strip_prefix("sha256/") else {
        return Err(format!(
            "\"{shown}\" is not a pin: write it as sha256/ followed by the base64 of the key's SHA-256 (Check connection shows the backend's)"
        ));
    };
    let bytes =
        base64::engine::general_purpose::STANDARD.decode(encoded).map_err(|_| format!("\"{shown}\" is not a pin: what follows sha256/ is not base64"))?;
    Pin::try_from(bytes.as_slice()).map_err(|_| format!("\"{shown}\" is not a pin: it decodes to {} bytes, and a SHA-256 is 32", bytes.len()))
}

/// Reads a list of pins: at most `MAX_PINS`, each valid.
pub fn parse_all(texts: &[String]) -> Result<Vec<Pin>, String> {
    if texts.len() > MAX_PINS {
        return Err(format!("an endpoint takes at most {MAX_PINS} pins ({} given)", texts.len()));
    }
    let mut pins: Vec<Pin> = texts.iter().map(|t| parse(t)).collect::<Result<_, _>>()?;
    pins.sort_unstable();
    pins.dedup();
    Ok(pins)
}

/// `sha256/<base64>`.
pub fn format(pin: &Pin) -> String {
    format!("sha256/{}", base64::engine::general_purpose::STANDARD.encode(pin))
}

/// The pin of a DER certificate's key; `None` when it cannot be read as X.509.
pub fn of_certificate(der: &[u8]) -> Option<Pin> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    Some(Sha256::digest(cert.tbs_certificate.subject_pki.raw).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_read_back_as_written_and_bad_ones_say_why() {
        let cert = testkit::pki::ca("Pinned");
        let pin = of_certificate(cert.cert_der().as_ref()).unwrap();
        let written = format(&pin);
        assert_eq!(crate::certs::inspect(cert.cert_der().as_ref()).unwrap().spki_pin, written);
        assert!(written.starts_with("sha256/") && written.len() == 7 + 44, "{written}");
        assert_eq!(parse(&format!("  {written} ")).unwrap(), pin);
        // The same key in another certificate has the same pin; another key does not.
        assert_ne!(of_certificate(testkit::pki::ca("Other").cert_der().as_ref()), Some(pin));
        assert!(parse("abc").unwrap_err().contains("sha256/"));
        assert!(parse("sha256/not base64!").unwrap_err().contains("not base64"));
        assert!(parse("sha256/AAAA").unwrap_err().contains("3 bytes"));
        let many = vec![written.clone(); MAX_PINS + 1];
        assert!(parse_all(&many).unwrap_err().contains("at most"));
        assert_eq!(parse_all(&[written.clone(), written]).unwrap(), vec![pin]);
    }
}
