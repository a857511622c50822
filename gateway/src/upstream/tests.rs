//! Real TLS backends on 127.0.0.1 ports chosen at run time, certificates made now: one test
//! per error code the gateway can return, and the successful mutual-TLS case.
use super::*;
use rustls::ServerConfig;
use testkit::backend::server_config;
use testkit::pki::{self as test_pki, TestCert};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[derive(Clone, Copy)]
enum Answer {
    Http,
    Garbage,
    Silent,
}

/// A backend on a fresh port: TLS with `server` (plain TCP when `None`), then `answer`.
async fn backend(server: Option<ServerConfig>, answer: Answer) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let acceptor = server.map(|s| tokio_rustls::TlsAcceptor::from(Arc::new(s)));
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else { return };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let reply: &[u8] = match answer {
                    Answer::Http => b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
                    Answer::Garbage => b"hello there\r\n",
                    Answer::Silent => b"",
                };
                let mut buf = [0u8; 2048];
                match acceptor {
                    Some(acceptor) => {
                        let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                        let _ = tls.read(&mut buf).await;
                        if reply.is_empty() {
                            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                        }
                        let _ = tls.write_all(reply).await;
                        let _ = tls.shutdown().await;
                    }
                    None => {
                        let mut tcp = tcp;
                        let _ = tcp.read(&mut buf).await;
                        let _ = tcp.write_all(reply).await;
                    }
                }
            });
        }
    });
    port
}

fn settings(url: String, trusted: &[&TestCert], client: Option<&TestCert>) -> UpstreamSettings {
    UpstreamSettings {
        url,
        trusted: trusted.iter().map(|c| ("backend CA".to_string(), vec![c.cert_der()])).collect(),
        verify_hostname: true,
        verify_chain: true,
        client: client.map(|c| ClientIdentity { name: "gatehouse-dev".into(), chain: vec![c.cert_der()], key: c.key_der() }),
        connect_timeout_ms: 2_000,
        read_timeout_ms: 2_000,
        tls: UpstreamTls::default(),
        destinations: Default::default(),
    }
}

async fn check(s: UpstreamSettings) -> ConnectionReport {
    check_connection(&compile(&s).unwrap()).await
}

#[tokio::test]
async fn mutual_tls_through_a_private_ca_succeeds_and_shows_the_chain() {
    let ca = test_pki::ca("Backend CA");
    let leaf = test_pki::server_leaf(&ca, "localhost");
    let client = test_pki::ecdsa_client("gatehouse-dev");
    let port = backend(Some(server_config(&leaf, &[], Some(&client))), Answer::Http).await;
    let report = check(settings(format!("https://127.0.0.1:{port}/api"), &[&ca], Some(&client))).await;
    assert!(report.ok, "{report:?}");
    assert_eq!(report.http_status, Some(200));
    assert!(report.tls_version.starts_with("TLSv1."), "{}", report.tls_version);
    assert_eq!(report.chain[0].subject, "CN=localhost");
    // The backend's own (self-signed, pinned) certificate is trusted as well as its CA.
    let own = test_pki::self_signed_ca_server("localhost");
    let port = backend(Some(server_config(&own, &[], None)), Answer::Http).await;
    assert!(check(settings(format!("https://localhost:{port}"), &[&own], None)).await.ok);
}

#[tokio::test]
async fn an_unknown_issuer_is_named_with_the_fix() {
    let ca = test_pki::ca("Backend CA");
    let leaf = test_pki::server_leaf(&ca, "localhost");
    let port = backend(Some(server_config(&leaf, &[], None)), Answer::Http).await;
    let other = test_pki::ca("Some Other CA");
    let report = check(settings(format!("https://localhost:{port}"), &[&other], None)).await;
    assert_eq!(report.code(), Some("upstream_tls_unknown_issuer"), "{report:?}");
    assert!(report.message.contains("issued by CN=Backend CA") && report.message.contains("upload it on the Endpoints page"), "{}", report.message);
    assert_eq!(report.chain[0].subject, "CN=localhost", "what the backend presented is shown");
    // With chain verification off the same backend is accepted.
    let mut off = settings(format!("https://localhost:{port}"), &[&other], None);
    off.verify_chain = false;
    assert!(check(off).await.ok);

    // A self-signed CA certificate presented as the backend's own (webpki: CaUsedAsEndEntity)
    // is an unknown issuer too, with the fix in words, not a library's error name.
    let own = test_pki::self_signed_ca_server("localhost");
    let port = backend(Some(server_config(&own, &[], None)), Answer::Http).await;
    let report = check(settings(format!("https://localhost:{port}"), &[&other], None)).await;
    assert_eq!(report.code(), Some("upstream_tls_unknown_issuer"), "{report:?}");
    assert!(
        report.message.contains("is self-signed") && report.message.contains("upload the backend's certificate as an endpoint certificate"),
        "{}",
        report.message
    );
    assert!(!report.message.contains("CaUsedAsEndEntity"), "{}", report.message);
}

#[tokio::test]
async fn an_expired_certificate_and_a_wrong_host_are_told_apart() {
    let ca = test_pki::ca("Backend CA");
    let old = test_pki::server_valid(&ca, "localhost", -60, -1);
    let port = backend(Some(server_config(&old, &[], None)), Answer::Http).await;
    let report = check(settings(format!("https://localhost:{port}"), &[&ca], None)).await;
    assert_eq!(report.code(), Some("upstream_tls_expired"), "{report:?}");
    assert!(report.message.contains("expired on"), "{}", report.message);

    let elsewhere = test_pki::server_valid(&ca, "other.test", -1, 30);
    let port = backend(Some(server_config(&elsewhere, &[], None)), Answer::Http).await;
    let report = check(settings(format!("https://localhost:{port}"), &[&ca], None)).await;
    assert_eq!(report.code(), Some("upstream_tls_hostname_mismatch"), "{report:?}");
    assert!(report.message.contains("DNS:other.test, not for localhost"), "{}", report.message);
    let mut lenient = settings(format!("https://localhost:{port}"), &[&ca], None);
    lenient.verify_hostname = false;
    assert!(check(lenient).await.ok);
}

#[tokio::test]
async fn a_backend_that_wants_a_client_certificate_says_which_fix_applies() {
    let ca = test_pki::ca("Backend CA");
    let leaf = test_pki::server_leaf(&ca, "localhost");
    let trusted_client = test_pki::ecdsa_client("trusted");
    let port = backend(Some(server_config(&leaf, &[], Some(&trusted_client))), Answer::Http).await;
    let none = check(settings(format!("https://localhost:{port}"), &[&ca], None)).await;
    assert_eq!(none.code(), Some("upstream_tls_client_cert_required"), "{none:?}");
    assert!(none.message.contains("turn on Mutual SSL"), "{}", none.message);
    let stranger = test_pki::ecdsa_client("stranger");
    let wrong = check(settings(format!("https://localhost:{port}"), &[&ca], Some(&stranger))).await;
    assert_eq!(wrong.code(), Some("upstream_tls_client_cert_rejected"), "{wrong:?}");
    assert!(wrong.message.contains("\"gatehouse-dev\""), "{}", wrong.message);
}

#[tokio::test]
async fn connection_handshake_protocol_and_timeout_failures() {
    let ca = test_pki::ca("Backend CA");
    // Nothing listening.
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port();
    let refused = check(settings(format!("https://127.0.0.1:{closed}"), &[&ca], None)).await;
    assert_eq!(refused.code(), Some("upstream_connect_failed"), "{refused:?}");
    // Plain HTTP where https was configured.
    let plain = backend(None, Answer::Garbage).await;
    let handshake = check(settings(format!("https://127.0.0.1:{plain}"), &[&ca], None)).await;
    assert_eq!(handshake.code(), Some("upstream_tls_handshake_failed"), "{handshake:?}");
    // Not HTTP at all.
    let protocol = check(settings(format!("http://127.0.0.1:{plain}"), &[], None)).await;
    assert_eq!(protocol.code(), Some("upstream_protocol_error"), "{protocol:?}");
    // Accepts, never answers.
    let leaf = test_pki::server_leaf(&ca, "localhost");
    let silent = backend(Some(server_config(&leaf, &[], None)), Answer::Silent).await;
    let mut quick = settings(format!("https://localhost:{silent}"), &[&ca], None);
    quick.read_timeout_ms = 300;
    let timeout = check(quick).await;
    assert_eq!(timeout.code(), Some("upstream_timeout"), "{timeout:?}");
    assert_eq!(crate::ErrorKind::UpstreamTimeout.status(), 504);
    assert!(timeout.message.contains("300 ms"));
}

#[test]
fn routes_with_the_same_trust_and_key_pair_share_one_tls_configuration() {
    let ca = test_pki::ca("Backend CA");
    let (client, other) = (test_pki::ecdsa_client("gatehouse-dev"), test_pki::ecdsa_client("gatehouse-prod"));
    let tls = |s: UpstreamSettings| compile(&s).unwrap().tls.unwrap();
    let first = tls(settings("https://a.test".into(), &[&ca], Some(&client)));
    let second = tls(settings("https://b.test:8443/api".into(), &[&ca], Some(&client)));
    assert!(Arc::ptr_eq(&first, &second), "same certificates, key and checks: one configuration");
    assert!(!Arc::ptr_eq(&first, &tls(settings("https://a.test".into(), &[&ca], Some(&other)))), "another key pair");
    assert!(!Arc::ptr_eq(&first, &tls(settings("https://a.test".into(), &[&ca], None))), "no client certificate");
    let lax = UpstreamSettings { verify_hostname: false, ..settings("https://a.test".into(), &[&ca], Some(&client)) };
    assert!(!Arc::ptr_eq(&first, &tls(lax)), "other verification");
    // The cache does not keep a configuration alive once no route holds it.
    drop((first, second));
    let key = config_key(&settings("https://a.test".into(), &[&ca], Some(&client)));
    assert!(SHARED_CONFIGS.lock().unwrap().get(&key).and_then(std::sync::Weak::upgrade).is_none());
}

#[test]
fn a_backend_url_on_a_metadata_address_is_refused_when_compiled() {
    for url in ["http://169.254.169.254/latest/meta-data", "https://[fe80::1]/", "http://[fd00:ec2::254]/"] {
        let err = compile(&settings(url.into(), &[], None)).unwrap_err().to_string();
        assert!(err.contains("the gateway does not call such addresses"), "{url}: {err}");
    }
    assert!(compile(&settings("https://127.0.0.1:8443/".into(), &[], None)).is_ok());
}

#[tokio::test]
async fn an_environment_deny_list_refuses_a_backend_by_the_address_its_name_resolves_to() {
    let ca = test_pki::ca("Backend CA");
    let leaf = test_pki::server_leaf(&ca, "localhost");
    let port = backend(Some(server_config(&leaf, &[], None)), Answer::Http).await;
    let with = |deny: &str| UpstreamSettings {
        destinations: Arc::new(destinations::Destinations { allow: vec![], deny: destinations::parse_ranges(deny).unwrap() }),
        ..settings(format!("https://localhost:{port}"), &[&ca], None)
    };
    assert!(check(with("10.0.0.0/8")).await.ok, "not on the list: called");
    let refused = check(with("127.0.0.0/8, ::1")).await;
    assert_eq!(refused.code(), Some("upstream_connect_failed"), "{refused:?}");
    assert!(refused.message.contains("on this environment's deny list"), "{}", refused.message);
    // An address in the URL is refused as the route is compiled.
    let literal = compile(&UpstreamSettings { url: format!("https://127.0.0.1:{port}"), ..with("127.0.0.0/8") }).unwrap_err();
    assert!(literal.to_string().contains("in 127.0.0.0/8, on this environment's deny list"), "{literal}");
}

fn pin_of(cert: &TestCert) -> String {
    pins::format(&pins::of_certificate(cert.cert_der().as_ref()).unwrap())
}

#[tokio::test]
async fn pinned_keys_hold_with_the_chain_or_instead_of_it_and_a_stranger_is_named() {
    let ca = test_pki::ca("Backend CA");
    let leaf = test_pki::server_leaf(&ca, "localhost");
    let port = backend(Some(server_config(&leaf, &[], None)), Answer::Http).await;
    let url = format!("https://localhost:{port}");
    let stranger = pin_of(&test_pki::ca("Someone else"));
    let pinned = |pins: Vec<String>, verify_chain: bool, trusted: &[&TestCert]| UpstreamSettings {
        verify_chain,
        tls: UpstreamTls { pins, ..UpstreamTls::default() },
        ..settings(url.clone(), trusted, None)
    };
    // Check connection shows the backend's pin, to copy.
    let report = check(pinned(vec![], true, &[&ca])).await;
    assert!(report.ok, "{report:?}");
    assert_eq!(report.chain[0].spki_pin, pin_of(&leaf));
    // In addition to the chain: the pin among others.
    assert!(check(pinned(vec![stranger.clone(), pin_of(&leaf)], true, &[&ca])).await.ok);
    // Instead of the chain: no endpoint certificate at all, the key is what is trusted.
    assert!(check(pinned(vec![pin_of(&leaf)], false, &[])).await.ok);
    // Pinning the CA's key does not pin the leaf's (HPKP's intermediate pins are not taken).
    for verify_chain in [true, false] {
        let refused = check(pinned(vec![stranger.clone(), pin_of(&ca)], verify_chain, &[&ca])).await;
        assert_eq!(refused.code(), Some("upstream_tls_pin_mismatch"), "{refused:?}");
        assert!(refused.message.contains(&format!("presented a key with pin {}", pin_of(&leaf))), "{}", refused.message);
        assert!(refused.message.contains(&stranger), "the pins it has are listed: {}", refused.message);
    }
    assert_eq!(crate::ErrorKind::UpstreamTlsPinMismatch.status(), 502);
    // A pin that is not one is refused when compiled, with the field.
    let bad = compile(&pinned(vec!["sha256/AAAA".into()], true, &[&ca])).unwrap_err();
    assert!(matches!(&bad, crate::errors::Error::Invalid { field: "pins", .. }), "{bad}");
}

#[tokio::test]
async fn the_endpoint_tls_versions_bound_the_handshake() {
    let ca = test_pki::ca("Backend CA");
    let leaf = test_pki::server_leaf(&ca, "localhost");
    let only13 = rustls::ServerConfig::builder_with_provider(testkit::backend::provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![leaf.cert_der()], leaf.key_der())
        .unwrap();
    let port = backend(Some(only13), Answer::Http).await;
    let with = |min: &str, max: &str| UpstreamSettings {
        tls: UpstreamTls {
            min_version: crate::edge::TlsVersion::parse(min).unwrap(),
            max_version: crate::edge::TlsVersion::parse(max).unwrap(),
            ..UpstreamTls::default()
        },
        ..settings(format!("https://localhost:{port}"), &[&ca], None)
    };
    let report = check(with("1.3", "1.3")).await;
    assert!(report.ok && report.tls_version == "TLSv1.3", "{report:?}");
    let refused = check(with("1.2", "1.2")).await;
    assert_eq!(refused.code(), Some("upstream_tls_handshake_failed"), "{refused:?}");
    assert!(refused.message.contains("TLS 1.2 only") && refused.message.contains("share no TLS version"), "{}", refused.message);
    assert!(refused.message.contains("widen the endpoint's TLS settings"), "{}", refused.message);
    let backwards = compile(&with("1.3", "1.2")).unwrap_err();
    assert!(matches!(&backwards, crate::errors::Error::Invalid { field: "tls.max_version", .. }), "{backwards}");
    // A TLS 1.2 backend with one suite: the endpoint's suites decide whether they meet.
    let mut one_suite = rustls::crypto::aws_lc_rs::default_provider();
    one_suite.cipher_suites.retain(|s| s.suite().as_str() == Some("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"));
    let tls12 = rustls::ServerConfig::builder_with_provider(Arc::new(one_suite))
        .with_protocol_versions(&[&rustls::version::TLS12])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![leaf.cert_der()], leaf.key_der())
        .unwrap();
    let port = backend(Some(tls12), Answer::Http).await;
    let suites = |names: &[&str]| UpstreamSettings {
        tls: UpstreamTls { cipher_suites: names.iter().map(|n| n.to_string()).collect(), ..UpstreamTls::default() },
        ..settings(format!("https://localhost:{port}"), &[&ca], None)
    };
    assert!(check(suites(&[])).await.ok);
    assert!(check(suites(&["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"])).await.ok);
    let apart = check(suites(&["TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"])).await;
    assert_eq!(apart.code(), Some("upstream_tls_handshake_failed"), "{apart:?}");
    assert!(apart.message.contains("share no TLS version or cipher suite"), "{}", apart.message);
    let unknown = compile(&suites(&["TLS_RSA_WITH_RC4_128_SHA"])).unwrap_err();
    assert!(matches!(&unknown, crate::errors::Error::Invalid { field: "tls.cipher_suites", .. }), "{unknown}");
}
