//! ACME for real against Debian's pebble: the real binary asks pebble for a certificate for a
//! domain, pebble validates the TLS-ALPN-01 challenge by connecting to the Development
//! listener itself (its DNS server answers 127.0.0.1), the issued chain is served by SNI and
//! verifies to pebble's root, and it is renewed before it ends. An unreachable directory stores
//! nothing; a name pebble refuses ends "failed" with pebble's own words.
mod harness;

use harness::{start_with, Api};
use reqwest::{Method as M, StatusCode};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use testkit::pebble;
use testkit::pki;

const HOST: &str = "acme.example.test";

async fn domain(api: &Api, hostname: &str) -> Value {
    let all: Value = api.call(M::GET, "/environments/development/domains", None).await.unwrap().json().await.unwrap();
    all.as_array().unwrap().iter().find(|d| d["hostname"] == hostname).cloned().unwrap_or(Value::Null)
}

/// Waits until the domain's ACME state is `state` (and, when given, its fingerprint differs).
async fn settled(api: &Api, hostname: &str, state: &str, not: Option<&Value>, log: &std::path::Path) -> Value {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let found = domain(api, hostname).await;
        if found["acme"]["state"] == state && not.is_none_or(|old| &found["fingerprint_sha256"] != old) {
            return found;
        }
        assert!(found["acme"]["state"] != "failed" || state == "failed", "the order failed: {found}\n{}", std::fs::read_to_string(log).unwrap_or_default());
        assert!(Instant::now() < deadline, "still {found}\n{}", std::fs::read_to_string(log).unwrap_or_default());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_certificate_is_issued_through_acme_validated_on_the_listener_and_renewed() {
    // Pebble's HTTPS CA, trusted by Gatehouse; pebble validates on the Development listener.
    let https_ca = pki::ca("Pebble HTTPS Test CA");
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("acme-ca.pem");
    std::fs::write(&ca_file, &https_ca.cert_pem).unwrap();
    let gh = start_with(&[("GATEHOUSE_ACME_CA_FILE", ca_file.to_str().unwrap()), ("GATEHOUSE_ACME_CHECK_SECS", "1")]);
    let api = Api::admin(&gh).await;
    let addr: std::net::SocketAddr = gh.gateways["Development"].trim_start_matches("https://").parse().unwrap();
    // Certificates of 30 s, so the renewal (a third of the life before the end) comes in 20 s.
    let pebble = pebble::start(&https_ca, pebble::Options { tls_port: addr.port(), validity_secs: Some(30), blocklist: vec!["blocked.example.test".into()] });

    // An unreachable directory: refused, nothing stored.
    let unreachable = json!({"hostname": HOST, "acme": {"directory_url": "https://127.0.0.1:1/dir"}});
    let res = api.call(M::POST, "/environments/development/domains", Some(unreachable)).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let error: Value = res.json().await.unwrap();
    assert_eq!(error["error"]["field"], "acme.directory_url", "{error}");
    assert!(error["error"]["message"].as_str().unwrap().contains("could not be used"), "{error}");
    assert_eq!(domain(&api, HOST).await, Value::Null);
    let wildcard = json!({"hostname": "*.example.test", "acme": {"directory_url": pebble.directory_url}});
    let res = api.call(M::POST, "/environments/development/domains", Some(wildcard)).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Ordered: pending at once, issued after pebble has validated on our listener.
    let request = json!({"hostname": HOST, "acme": {"directory_url": pebble.directory_url, "contact_email": "ops@example.test"}});
    let res = api.call(M::POST, "/environments/development/domains", Some(request)).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let added: Value = res.json().await.unwrap();
    assert_eq!(added["domain"]["acme"]["state"], "pending", "{added}");
    let issued = settled(&api, HOST, "issued", None, &pebble.log).await;
    assert_eq!(issued["source"], "acme");
    let root = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(https_ca.cert_pem.as_bytes()).unwrap())
        .build()
        .unwrap()
        .get(format!("{}/roots/0", pebble.management_url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let dev = gh.gateways["Development"].clone();
    let first = testkit::raw::served_chain(&dev, HOST, &root).await;
    assert_eq!(first.len(), 2, "leaf and pebble's intermediate");

    // Renewed before it ends: a new certificate is served, the domain says so.
    let renewed = settled(&api, HOST, "issued", Some(&issued["fingerprint_sha256"]), &pebble.log).await;
    assert_ne!(renewed["not_after"], issued["not_after"]);
    let second = testkit::raw::served_chain(&dev, HOST, &root).await;
    assert_ne!(first[0], second[0], "the renewed certificate is served");

    // A name pebble refuses: failed, with pebble's own words, and nothing served for it.
    let blocked = json!({"hostname": "blocked.example.test", "acme": {"directory_url": pebble.directory_url}});
    let res = api.call(M::POST, "/environments/development/domains", Some(blocked)).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let failed = settled(&api, "blocked.example.test", "failed", None, &pebble.log).await;
    assert!(failed["acme"]["detail"].as_str().unwrap().contains("rejectedIdentifier"), "{failed}");
}
