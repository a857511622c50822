//! Edge TLS against the real binary: a custom domain uploaded over REST is served by SNI, leaf
//! and intermediate, with no restart, and the default certificate without SNI (seen by
//! `openssl s_client`, as a person would check); the listener's minimum version and TLS 1.2
//! suites hold from the next handshake; bad uploads store nothing; a restart keeps it all.
mod harness;

use harness::{collector_with_pem, error_code, start, Api};
use reqwest::{Method as M, StatusCode};
use serde_json::{json, Value};
use std::process::Command;
use testkit::pki::{self, TestCert};

const HOST: &str = "api.example.test";

/// `openssl s_client` to the listener: its output, and whether the handshake finished.
fn s_client(addr: &str, args: &[&str]) -> (String, bool) {
    let out = Command::new("openssl")
        .args(["s_client", "-connect", addr, "-showcerts"])
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("openssl is installed");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let finished = out.status.success() && text.contains("-----BEGIN CERTIFICATE-----");
    (text, finished)
}

/// The subjects of the certificates served, in order (" 0 s:CN = …" lines).
fn served(text: &str) -> Vec<String> {
    text.lines().filter_map(|l| l.trim().split_once(" s:").filter(|(n, _)| n.parse::<u8>().is_ok()).map(|(_, s)| s.to_string())).collect()
}

fn upload(hostname: &str, chain: &[&TestCert], key: &TestCert) -> Value {
    json!({"hostname": hostname, "certificate_pem": chain.iter().map(|c| c.cert_pem.as_str()).collect::<String>(), "private_key_pem": key.key_pem})
}

fn addr_of(url: &str) -> String {
    url.trim_start_matches("https://").to_string()
}

#[tokio::test]
async fn a_domain_is_served_by_sni_with_its_chain_and_the_listener_settings_hold_at_once() {
    let gh = start();
    let api = Api::admin(&gh).await;
    let (_, dev, _) = collector_with_pem(&gh).await;
    let addr = addr_of(&dev);
    let root = pki::ca("Domain Root");
    let intermediate = pki::intermediate(&root, "Domain Intermediate");
    let leaf = pki::server_leaf(&intermediate, HOST);

    // Before: every name gets the default certificate.
    let (text, ok) = s_client(&addr, &["-servername", HOST]);
    assert!(ok, "{text}");
    assert_eq!(served(&text).len(), 1, "{text}");
    assert!(served(&text)[0].contains("Gatehouse Development gateway"), "{text}");

    // Bad uploads, each named, nothing stored.
    let expired = pki::server_valid(&intermediate, HOST, -30, -1);
    let other = pki::server_leaf(&intermediate, "other.example.test");
    for (body, field, says) in [
        (upload("not a hostname", &[&leaf, &intermediate, &root], &leaf), "hostname", "is not a hostname"),
        (upload(HOST, &[&leaf], &leaf), "certificate", "is issued by \"CN=Domain Intermediate\", which is not in the chain"),
        (upload(HOST, &[&leaf, &intermediate, &root], &other), "private_key", "does not match"),
        (upload(HOST, &[&expired, &intermediate, &root], &expired), "certificate", "expired on"),
        (upload(HOST, &[&other, &intermediate, &root], &other), "certificate", "does not name api.example.test"),
    ] {
        let res = api.call(M::POST, "/environments/development/domains", Some(body)).await.unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let error: Value = res.json().await.unwrap();
        assert_eq!(error["error"]["field"], field, "{error}");
        assert!(error["error"]["message"].as_str().unwrap().contains(says), "{error}");
    }
    let publisher = api.new_user("pat@example.test").await;
    let res = publisher.call(M::POST, "/environments/development/domains", Some(upload(HOST, &[&leaf, &intermediate, &root], &leaf))).await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let listed: Value = api.call(M::GET, "/environments/development/domains", None).await.unwrap().json().await.unwrap();
    assert_eq!(listed, json!([]));

    // Given out of order: put in order, served from the next handshake (leaf and
    // intermediate; the root is checked, not sent), no restart.
    let res = api.call(M::POST, "/environments/development/domains", Some(upload(HOST, &[&root, &intermediate, &leaf], &leaf))).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let added: Value = res.json().await.unwrap();
    assert!(added["notes"][0].as_str().unwrap().contains("out of order"), "{added}");
    let port = addr.rsplit(':').next().unwrap();
    assert_eq!(added["domain"]["invoke_url"], format!("https://{HOST}:{port}"));
    assert_eq!(added["domain"]["chain_length"], 2);
    let (text, ok) = s_client(&addr, &["-servername", HOST]);
    assert!(ok, "{text}");
    let chain = served(&text);
    assert_eq!(chain.len(), 2, "{text}");
    assert!(chain[0].contains(HOST) && chain[1].contains("Domain Intermediate"), "{chain:?}");
    let (text, _) = s_client(&addr, &["-noservername"]);
    assert!(served(&text)[0].contains("Gatehouse Development gateway"), "no SNI: the default certificate\n{text}");
    let (text, _) = s_client(&addr, &["-servername", "unknown.example.test"]);
    assert!(served(&text)[0].contains("Gatehouse Development gateway"), "an unknown name: the default certificate\n{text}");

    // A caller that trusts only the domain's root calls the API by its name.
    let socket: std::net::SocketAddr = addr.parse().unwrap();
    let caller = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(root.cert_pem.as_bytes()).unwrap())
        .resolve(HOST, socket)
        .build()
        .unwrap();
    let res = caller.get(format!("https://{HOST}:{port}/collect/by-name")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // The environment's invoke URL is the domain's now.
    let envs: Value = api.call(M::GET, "/environments", None).await.unwrap().json().await.unwrap();
    assert_eq!(envs[0]["gateway_url"], format!("https://{HOST}:{port}"));
    assert_eq!(envs[0]["domains"][0]["hostname"], HOST);

    // Listener settings: TLS 1.3 only refuses a TLS 1.2 client at once; a suite list limits
    // TLS 1.2; an unknown suite or version is refused and changes nothing.
    for (tls, field) in
        [(json!({"min_version": "1.1"}), "min_version"), (json!({"min_version": "1.2", "cipher_suites": ["TLS_RSA_WITH_RC4_128_SHA"]}), "cipher_suites")]
    {
        let res = api.call(M::PATCH, "/environments/development", Some(json!({"tls": tls}))).await.unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(res.json::<Value>().await.unwrap()["error"]["field"], field);
    }
    let res = api.call(M::PATCH, "/environments/development", Some(json!({"tls": {"min_version": "1.3"}}))).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["tls"]["min_version"], "1.3");
    let (text, ok) = s_client(&addr, &["-servername", HOST, "-tls1_2"]);
    assert!(!ok, "a TLS 1.2 client is refused\n{text}");
    let (text, ok) = s_client(&addr, &["-servername", HOST, "-tls1_3"]);
    assert!(ok, "{text}");
    let suites = json!({"tls": {"min_version": "1.2", "cipher_suites": ["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"]}});
    assert_eq!(api.call(M::PATCH, "/environments/development", Some(suites)).await.unwrap().status(), StatusCode::OK);
    assert!(s_client(&addr, &["-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384"]).1, "the allowed suite");
    assert!(!s_client(&addr, &["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"]).1, "a suite not allowed");

    // A restart keeps the domain and the settings.
    let gh = gh.restart();
    let api = Api::admin(&gh).await;
    let addr = addr_of(&gh.gateways["Development"]);
    let (text, ok) = s_client(&addr, &["-servername", HOST]);
    assert!(ok && served(&text).len() == 2, "{text}");
    assert!(!s_client(&addr, &["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"]).1, "the suite list survives a restart");

    // Deleted: the name gets the default certificate from the next handshake.
    let res = api.call(M::DELETE, &format!("/environments/development/domains/{HOST}"), None).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (text, _) = s_client(&addr, &["-servername", HOST]);
    assert!(served(&text)[0].contains("Gatehouse Development gateway"), "{text}");
    let res = api.call(M::DELETE, &format!("/environments/development/domains/{HOST}"), None).await.unwrap();
    assert_eq!(error_code(res).await, "not_found");
}
