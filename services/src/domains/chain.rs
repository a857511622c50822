//! Is an uploaded server certificate chain fit to serve for a hostname? The leaf must name the
//! hostname (a wildcard covering one label, RFC 6125), be valid now, and the chain must be in
//! order (leaf, then each issuer) and complete up to a root: the publisher's own root in the
//! upload, or one of the public roots clients ship with. A chain given out of order is put in
//! order (and said so); a missing intermediate is named by the certificate that needs it.
use crate::certificates::inspect::{self, Inspected};
use crate::Error;
use rustls::pki_types::{CertificateDer, UnixTime};
use time::OffsetDateTime;
use x509_parser::prelude::{FromDer, X509Certificate};

/// The longest chain taken: real ones have one or two intermediates.
const MAX_CHAIN: usize = 8;

/// A chain fit to serve.
#[derive(Debug)]
pub struct Checked {
    /// Leaf first, then each issuer; a root the upload included is kept last.
    pub chain: Vec<CertificateDer<'static>>,
    pub leaf: Inspected,
    /// What was changed on the way ("put in order"), to tell the publisher.
    pub notes: Vec<String>,
}

/// Whether `hostname` (lowercase, as `hostname::check` returns it) is a name, with at most one
/// leading `*.` label.
pub fn check(hostname: &str, given: Vec<CertificateDer<'static>>, now: OffsetDateTime) -> Result<Checked, Error> {
    checked(hostname, given, now, true)
}

/// `check` for a chain an ACME server just issued: its root is the server's to vouch for (a
/// private or test CA's is in no public store), the rest as for an upload.
pub fn check_issued(hostname: &str, given: Vec<CertificateDer<'static>>, now: OffsetDateTime) -> Result<Checked, Error> {
    checked(hostname, given, now, false)
}

fn checked(hostname: &str, given: Vec<CertificateDer<'static>>, now: OffsetDateTime, complete: bool) -> Result<Checked, Error> {
    if given.len() > MAX_CHAIN {
        return Err(Error::invalid("certificate", format!("the chain has {} certificates; at most {MAX_CHAIN} are taken", given.len())));
    }
    let parsed: Vec<X509Certificate<'_>> = given
        .iter()
        .map(|c| X509Certificate::from_der(c.as_ref()).map(|(_, c)| c).map_err(|_| Error::invalid("certificate", "a certificate could not be read as X.509")))
        .collect::<Result<_, _>>()?;
    let name = |c: &X509Certificate<'_>| describe(c);
    let issues = |issuer: &X509Certificate<'_>, cert: &X509Certificate<'_>| issuer.subject().as_raw() == cert.issuer().as_raw() && !std::ptr::eq(issuer, cert);

    // The leaf is the certificate that issues none of the others (not a CA, when a stray CA
    // issues none either).
    let mut leaves: Vec<usize> = (0..parsed.len()).filter(|&i| !parsed.iter().any(|other| issues(&parsed[i], other))).collect();
    if leaves.len() > 1 {
        leaves.retain(|&i| !parsed[i].is_ca());
    }
    let leaf = match leaves.as_slice() {
        [one] => *one,
        _ => {
            let names: Vec<String> = leaves.iter().map(|&i| format!("\"{}\"", name(&parsed[i]))).collect();
            return Err(Error::invalid(
                "certificate",
                format!("the upload holds more than one chain ({}): upload one leaf with its intermediates", names.join(", ")),
            ));
        }
    };
    // Follow each certificate's issuer through the upload.
    let mut order = vec![leaf];
    loop {
        let current = &parsed[*order.last().expect("the leaf")];
        if self_issued(current) {
            break;
        }
        match (0..parsed.len()).find(|&i| !order.contains(&i) && issues(&parsed[i], current)) {
            Some(next) => order.push(next),
            None => break,
        }
    }
    // A missing issuer first: the usual mistake, and what a stray certificate often stood for.
    let last = &parsed[*order.last().expect("the leaf")];
    let public_root = !self_issued(last) && webpki_roots::TLS_SERVER_ROOTS.iter().any(|root| root.subject.as_ref() == name_content(last.issuer().as_raw()));
    if !complete {
        let chain = order.iter().map(|&i| given[i].clone()).collect();
        let info = inspect::inspect(given[leaf].as_ref())?;
        if !names_host(&info.subject_alt_names, hostname) || info.not_after < now {
            return Err(Error::invalid("certificate", format!("the issued certificate does not name {hostname} or is not current")));
        }
        return Ok(Checked { chain, leaf: info, notes: Vec::new() });
    }
    if !self_issued(last) && !public_root {
        return Err(Error::invalid(
            "certificate",
            format!(
                "the chain is incomplete: \"{}\" is issued by \"{}\", which is not in the chain: add that certificate after it (your CA's bundle has it)",
                name(last),
                last.issuer()
            ),
        ));
    }
    if order.len() < parsed.len() {
        let stray: Vec<String> = (0..parsed.len()).filter(|i| !order.contains(i)).map(|i| format!("\"{}\"", name(&parsed[i]))).collect();
        return Err(Error::invalid("certificate", format!("{} is not part of the leaf's chain: remove it", stray.join(", "))));
    }
    let mut notes = Vec::new();
    if order.iter().enumerate().any(|(at, &i)| at != i) {
        notes.push("the chain was given out of order and was put in order (leaf first)".to_string());
    }

    let leaf_cert = &parsed[leaf];
    let info = inspect::inspect(given[leaf].as_ref())?;
    if !names_host(&info.subject_alt_names, hostname) {
        let names = if info.subject_alt_names.is_empty() { "no names".to_string() } else { info.subject_alt_names.join(", ") };
        return Err(Error::invalid("certificate", format!("the certificate \"{}\" does not name {hostname} (it names {names})", info.display_name())));
    }
    if info.not_after < now {
        return Err(Error::invalid(
            "certificate",
            format!("the certificate expired on {}: callers would refuse it; upload a current one", info.not_after.date()),
        ));
    }
    if info.not_before > now {
        return Err(Error::invalid("certificate", format!("the certificate is not valid until {}", info.not_before.date())));
    }

    let chain: Vec<CertificateDer<'static>> = order.iter().map(|&i| given[i].clone()).collect();
    if order.len() == 1 && self_issued(leaf_cert) {
        notes.push("the certificate is self-signed: callers must be given it to trust".to_string());
        return Ok(Checked { chain, leaf: info, notes });
    }
    verify(&chain, self_issued(last), now)?;
    Ok(Checked { chain, leaf: info, notes })
}

/// Signatures, validity and usage along the path, by webpki, as a client would check them.
fn verify(chain: &[CertificateDer<'static>], own_root: bool, now: OffsetDateTime) -> Result<(), Error> {
    let leaf = webpki::EndEntityCert::try_from(&chain[0]).map_err(|e| Error::invalid("certificate", format!("the leaf cannot be checked: {e}")))?;
    let (anchors, intermediates) = if own_root {
        let root = chain.last().expect("a root");
        let anchor = webpki::anchor_from_trusted_cert(root).map_err(|e| Error::invalid("certificate", format!("the root cannot be used: {e}")))?.to_owned();
        (vec![anchor], &chain[1..chain.len() - 1])
    } else {
        (webpki_roots::TLS_SERVER_ROOTS.to_vec(), &chain[1..])
    };
    let time = UnixTime::since_unix_epoch(std::time::Duration::from_secs(now.unix_timestamp().max(0) as u64));
    let algorithms = rustls::crypto::aws_lc_rs::default_provider().signature_verification_algorithms.all;
    leaf.verify_for_usage(algorithms, &anchors, intermediates, time, webpki::KeyUsage::server_auth(), None, None).map(|_| ()).map_err(|e| {
        let why = match e {
            webpki::Error::InvalidSignatureForPublicKey | webpki::Error::UnknownIssuer => {
                "a signature in the chain does not verify: a certificate and its issuer do not belong together"
            }
            webpki::Error::CertExpired { .. } => "a certificate in the chain has expired: get the current intermediates from your CA",
            webpki::Error::CertNotValidYet { .. } => "a certificate in the chain is not valid yet",
            webpki::Error::CaUsedAsEndEntity => "the leaf is a CA certificate: upload the server certificate first",
            webpki::Error::EndEntityUsedAsCa => "a certificate after the leaf is not a CA: the chain holds a second server certificate",
            webpki::Error::RequiredEkuNotFoundContext(_) => "the leaf is not for TLS servers (its extended key usage lacks serverAuth)",
            _ => return Error::invalid("certificate", format!("the chain does not verify: {e}")),
        };
        Error::invalid("certificate", why)
    })
}

/// A DER Name without its SEQUENCE header, as trust anchors hold subjects.
fn name_content(der: &[u8]) -> &[u8] {
    match der {
        [0x30, len, rest @ ..] if *len < 0x80 => rest,
        [0x30, len, rest @ ..] => rest.get(usize::from(len & 0x7f)..).unwrap_or_default(),
        _ => der,
    }
}

fn self_issued(cert: &X509Certificate<'_>) -> bool {
    cert.subject().as_raw() == cert.issuer().as_raw()
}

fn describe(cert: &X509Certificate<'_>) -> String {
    cert.subject().iter_common_name().next().and_then(|cn| cn.as_str().ok()).map(str::to_string).unwrap_or_else(|| cert.subject().to_string())
}

/// Whether the leaf's names cover `hostname`: a plain name by an equal name or a wildcard one
/// label up; a wildcard hostname only by the same wildcard.
fn names_host(names: &[String], hostname: &str) -> bool {
    if hostname.starts_with("*.") {
        return names.iter().any(|n| n.strip_prefix("DNS:").is_some_and(|d| d.eq_ignore_ascii_case(hostname)));
    }
    inspect::names_cover_host(names, &url::Host::Domain(hostname))
}

#[cfg(test)]
mod tests {
    use super::*;
    use testkit::pki as test_pki;

    fn ders(certs: &[&test_pki::TestCert]) -> Vec<CertificateDer<'static>> {
        certs.iter().map(|c| c.cert_der()).collect()
    }

    fn now() -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    #[test]
    fn a_complete_chain_in_order_passes_and_one_out_of_order_is_put_in_order() {
        let root = test_pki::ca("Edge Root");
        let intermediate = test_pki::intermediate(&root, "Edge Intermediate");
        let leaf = test_pki::server_leaf(&intermediate, "api.example.test");
        let checked = check("api.example.test", ders(&[&leaf, &intermediate, &root]), now()).unwrap();
        assert_eq!(checked.chain.len(), 3);
        assert!(checked.notes.is_empty(), "{:?}", checked.notes);
        let shuffled = check("api.example.test", ders(&[&root, &leaf, &intermediate]), now()).unwrap();
        assert_eq!(shuffled.chain, ders(&[&leaf, &intermediate, &root]));
        assert!(shuffled.notes[0].contains("out of order"), "{:?}", shuffled.notes);
    }

    #[test]
    fn a_missing_intermediate_is_named() {
        let root = test_pki::ca("Edge Root");
        let intermediate = test_pki::intermediate(&root, "Edge Intermediate");
        let leaf = test_pki::server_leaf(&intermediate, "api.example.test");
        let err = check("api.example.test", ders(&[&leaf, &root]), now()).unwrap_err().to_string();
        assert!(err.contains("is issued by \"CN=Edge Intermediate\", which is not in the chain"), "{err}");
        let stray = test_pki::ca("Someone Else");
        let err = check("api.example.test", ders(&[&leaf, &intermediate, &root, &stray]), now()).unwrap_err().to_string();
        assert!(err.contains("\"Someone Else\" is not part of the leaf's chain"), "{err}");
        let err = check("api.example.test", ders(&[&leaf]), now()).unwrap_err().to_string();
        assert!(err.contains("is issued by \"CN=Edge Intermediate\", which is not in the chain"), "{err}");
        let err = check("api.example.test", ders(&[&leaf, &intermediate]), now()).unwrap_err().to_string();
        assert!(err.contains("\"Edge Intermediate\" is issued by \"CN=Edge Root\", which is not in the chain"), "{err}");
    }

    #[test]
    fn the_leaf_must_name_the_host_and_be_current() {
        let root = test_pki::ca("Edge Root");
        let leaf = test_pki::server_leaf(&root, "api.example.test");
        let err = check("other.example.test", ders(&[&leaf, &root]), now()).unwrap_err().to_string();
        assert!(err.contains("does not name other.example.test") && err.contains("DNS:api.example.test"), "{err}");
        let expired = test_pki::server_valid(&root, "api.example.test", -30, -1);
        let err = check("api.example.test", ders(&[&expired, &root]), now()).unwrap_err().to_string();
        assert!(err.contains("expired on"), "{err}");
        let wildcard = test_pki::server_leaf(&root, "*.apps.test");
        check("one.apps.test", ders(&[&wildcard, &root]), now()).unwrap();
        check("*.apps.test", ders(&[&wildcard, &root]), now()).unwrap();
        assert!(check("a.b.apps.test", ders(&[&wildcard, &root]), now()).is_err());
        assert!(check("*.api.example.test", ders(&[&leaf, &root]), now()).is_err());
    }

    #[test]
    fn names_compare_as_trust_anchors_hold_them() {
        let root = test_pki::ca("Edge Root");
        let der = root.cert_der();
        let anchor = webpki::anchor_from_trusted_cert(&der).unwrap();
        let (_, parsed) = X509Certificate::from_der(root.der()).unwrap();
        assert_eq!(name_content(parsed.subject().as_raw()), anchor.subject.as_ref());
    }

    #[test]
    fn a_self_signed_leaf_is_taken_and_a_foreign_signature_is_not() {
        let own = test_pki::self_signed_server("api.example.test");
        let checked = check("api.example.test", ders(&[&own]), now()).unwrap();
        assert!(checked.notes[0].contains("self-signed"));
        // The same names, signed by another key: the issuer's name matches, the signature does not.
        let root = test_pki::ca("Edge Root");
        let impostor = test_pki::ca("Edge Root");
        let leaf = test_pki::server_leaf(&impostor, "api.example.test");
        let err = check("api.example.test", ders(&[&leaf, &root]), now()).unwrap_err().to_string();
        assert!(err.contains("does not verify"), "{err}");
        let two = test_pki::server_leaf(&root, "two.example.test");
        let err = check("api.example.test", ders(&[&test_pki::server_leaf(&root, "api.example.test"), &two, &root]), now()).unwrap_err().to_string();
        assert!(err.contains("more than one chain"), "{err}");
    }
}
