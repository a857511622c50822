use super::*;
use crate::model::{GenerateKeyPair, NoticeLevel, Role};
use crate::projects::{self, NewProject};
use crate::proxies::tests::{project_with_owner, weather};
use crate::secrets::MasterKey;
use crate::testing;
use testkit::pki as test_pki;

fn master() -> MasterKey {
    MasterKey::parse(&"42".repeat(32)).unwrap()
}

/// A project with the Weather proxy (backend https://backend.test:9000/api), an endpoint
/// certificate for backend.test and a generated client key pair.
struct Setup {
    db: DatabaseConnection,
    ada: Actor,
    endpoint: Certificate,
    client: Certificate,
}

async fn setup() -> Setup {
    let db = testing::db().await;
    let ada = project_with_owner(&db).await;
    crate::proxies::create(&db, &ada, "weather", weather("/weather/v1")).await.unwrap();
    let ca = test_pki::ca("Weather CA");
    let leaf = test_pki::server_leaf(&ca, "backend.test");
    let endpoint = certificates::upload_endpoint(&db, &ada, "weather", leaf.cert_pem.as_bytes()).await.unwrap().remove(0);
    let request = GenerateKeyPair { common_name: "gatehouse-dev".into(), ..Default::default() };
    let client = certificates::generate_client_pair(&db, &master(), &ada, "weather", request).await.unwrap();
    Setup { db, ada, endpoint, client }
}

fn mutual(s: &Setup) -> EndpointSettings {
    EndpointSettings {
        url: "https://backend.test:9000/api".into(),
        endpoint_certificate_ids: vec![s.endpoint.id],
        verify_hostname: true,
        verify_chain: true,
        mutual_ssl: true,
        client_certificate_id: Some(s.client.id),
        connect_timeout_ms: 2_000,
        read_timeout_ms: 10_000,
        accept_host_mismatch: false,
        tls: Default::default(),
        pins: vec![],
    }
}

async fn save_dev(s: &Setup, settings: EndpointSettings) -> Result<EndpointConfig> {
    save(&s.db, &s.ada, "weather", "weather-api-v1", "development", settings).await
}

#[tokio::test]
async fn a_mutual_tls_endpoint_is_saved_and_read_back_per_environment() {
    let s = setup().await;
    let saved = save_dev(&s, mutual(&s)).await.unwrap();
    assert_eq!(saved.settings(), mutual(&s));
    assert_eq!(saved.endpoint_certificates[0].name, "backend.test");
    assert!(saved.notices.is_empty(), "{:?}", saved.notices);
    let production = get(&s.db, &s.ada, "weather", "weather-api-v1", "production").await.unwrap();
    assert!(!production.mutual_ssl, "each environment keeps its own configuration");
    // Where the certificates are used shows in the store.
    let client = certificates::get(&s.db, &s.ada, "weather", s.client.id).await.unwrap();
    assert_eq!(client.used_by, ["Weather API v1 · Development (client certificate)"]);
}

#[tokio::test]
async fn mutual_ssl_needs_a_client_key_pair_and_https() {
    let s = setup().await;
    let none = save_dev(&s, EndpointSettings { client_certificate_id: None, ..mutual(&s) }).await.unwrap_err();
    assert_eq!(none.field(), Some("client_certificate_id"));
    assert!(none.to_string().contains("Existing Certificates"), "{none}");
    let public_only = save_dev(&s, EndpointSettings { client_certificate_id: Some(s.endpoint.id), ..mutual(&s) }).await.unwrap_err();
    assert!(public_only.to_string().contains("has no private key"), "{public_only}");
    let plain = save_dev(&s, EndpointSettings { url: "http://backend.test:9000".into(), ..mutual(&s) }).await.unwrap_err();
    assert_eq!(plain.field(), Some("mutual_ssl"));
    let swapped = save_dev(&s, EndpointSettings { endpoint_certificate_ids: vec![s.client.id], ..mutual(&s) }).await.unwrap_err();
    assert!(swapped.to_string().contains("is a client key pair"), "{swapped}");
}

#[tokio::test]
async fn timeouts_urls_and_foreign_certificates_are_refused() {
    let s = setup().await;
    let slow = save_dev(&s, EndpointSettings { connect_timeout_ms: 60_001, ..mutual(&s) }).await.unwrap_err();
    assert_eq!(slow.field(), Some("connect_timeout_ms"));
    let fast = save_dev(&s, EndpointSettings { read_timeout_ms: 5, ..mutual(&s) }).await.unwrap_err();
    assert_eq!(fast.field(), Some("read_timeout_ms"));
    let url = save_dev(&s, EndpointSettings { url: "ftp://backend.test".into(), ..mutual(&s) }).await.unwrap_err();
    assert_eq!(url.field(), Some("url"));

    let bob = testing::user(&s.db, "bob@example.test", false).await;
    projects::create(&s.db, &bob, NewProject { name: "Maps".into(), ..Default::default() }).await.unwrap();
    let theirs = test_pki::ca("Maps CA");
    let foreign = certificates::upload_endpoint(&s.db, &bob, "maps", theirs.cert_pem.as_bytes()).await.unwrap().remove(0);
    let err = save_dev(&s, EndpointSettings { endpoint_certificate_ids: vec![foreign.id], ..mutual(&s) }).await.unwrap_err();
    assert!(err.to_string().contains("no certificate"), "{err}");
}

#[tokio::test]
async fn a_certificate_for_another_host_is_refused_until_the_publisher_accepts_it() {
    let s = setup().await;
    let elsewhere = EndpointSettings { url: "https://other.test/api".into(), ..mutual(&s) };
    let err = save_dev(&s, elsewhere.clone()).await.unwrap_err();
    assert_eq!(err.field(), Some("endpoint_certificate_ids"));
    assert!(err.to_string().contains("other.test") && err.to_string().contains("DNS:backend.test"), "{err}");
    let kept = save_dev(&s, EndpointSettings { accept_host_mismatch: true, ..elsewhere.clone() }).await.unwrap();
    assert!(kept.notices.iter().any(|n| n.level == NoticeLevel::Warning && n.text.contains("names the backend's host")));
    // With hostname verification off the check does not apply; with a CA it is the handshake's job.
    save_dev(&s, EndpointSettings { verify_hostname: false, ..elsewhere.clone() }).await.unwrap();
    let ca = certificates::upload_endpoint(&s.db, &s.ada, "weather", test_pki::ca("Other CA").cert_pem.as_bytes()).await.unwrap().remove(0);
    save_dev(&s, EndpointSettings { endpoint_certificate_ids: vec![ca.id], ..elsewhere.clone() }).await.unwrap();
    // A self-signed server certificate marked CA still names its host, so it is checked.
    let own =
        certificates::upload_endpoint(&s.db, &s.ada, "weather", test_pki::self_signed_ca_server("backend.test").cert_pem.as_bytes()).await.unwrap().remove(0);
    let err = save_dev(&s, EndpointSettings { endpoint_certificate_ids: vec![own.id], ..elsewhere }).await.unwrap_err();
    assert_eq!(err.field(), Some("endpoint_certificate_ids"), "{err}");
}

#[tokio::test]
async fn chain_verification_off_is_a_lasting_warning_on_the_card_and_in_the_listing() {
    let s = setup().await;
    let saved = save_dev(&s, EndpointSettings { verify_chain: false, ..mutual(&s) }).await.unwrap();
    assert!(saved.notices.iter().any(|n| n.level == NoticeLevel::Warning && n.text.contains("chain verification is off")));
    let proxy = crate::proxies::get(&s.db, &s.ada, "weather", "weather-api-v1").await.unwrap();
    assert_eq!(proxy.warnings, ["Development: certificate chain verification is off"]);
}

#[tokio::test]
async fn certificates_expiring_soon_are_flagged_in_the_listing() {
    let s = setup().await;
    let old = test_pki::client_valid("nearly-done", -300, 10);
    let pair = certificates::add_client_pair(&s.db, &master(), &s.ada, "weather", old.cert_pem.as_bytes(), old.key_pem.as_bytes()).await.unwrap();
    let saved = save_dev(&s, EndpointSettings { client_certificate_id: Some(pair.id), ..mutual(&s) }).await.unwrap();
    assert!(saved.notices.iter().any(|n| n.text.contains("\"nearly-done\" expires in")), "{:?}", saved.notices);
    let proxy = crate::proxies::get(&s.db, &s.ada, "weather", "weather-api-v1").await.unwrap();
    assert!(proxy.warnings[0].starts_with("Development: \"nearly-done\" expires on"), "{:?}", proxy.warnings);
}

#[tokio::test]
async fn the_first_uploaded_endpoint_certificate_becomes_every_environments_default() {
    let s = setup().await;
    // Production picks its own certificate first; Development has none.
    let prod_ca = certificates::upload_endpoint(&s.db, &s.ada, "weather", test_pki::ca("Prod CA").cert_pem.as_bytes()).await.unwrap().remove(0);
    let prod = EndpointSettings { endpoint_certificate_ids: vec![prod_ca.id], mutual_ssl: false, client_certificate_id: None, ..mutual(&s) };
    save(&s.db, &s.ada, "weather", "weather-api-v1", "production", prod).await.unwrap();

    let leaf = test_pki::server_leaf(&test_pki::ca("Dev CA"), "backend.test");
    let (certs, took) = upload_endpoint_certificate(&s.db, &s.ada, "weather", "weather-api-v1", leaf.cert_pem.as_bytes()).await.unwrap();
    assert_eq!(took, ["Development"]);
    let dev = get(&s.db, &s.ada, "weather", "weather-api-v1", "development").await.unwrap();
    assert_eq!(dev.endpoint_certificate_ids, [certs[0].id]);
    let production = get(&s.db, &s.ada, "weather", "weather-api-v1", "production").await.unwrap();
    assert_eq!(production.endpoint_certificate_ids, [prod_ca.id], "an environment's own choice is kept");
    // Uploading a certificate the store already holds reuses it instead of failing.
    let (again, _) = upload_endpoint_certificate(&s.db, &s.ada, "weather", "weather-api-v1", leaf.cert_pem.as_bytes()).await.unwrap();
    assert_eq!(again[0].id, certs[0].id);
}

#[tokio::test]
async fn a_certificate_in_use_cannot_be_deleted_and_the_refusal_says_where() {
    let s = setup().await;
    save_dev(&s, mutual(&s)).await.unwrap();
    let err = certificates::delete(&s.db, &s.ada, "weather", s.client.id).await.unwrap_err();
    assert!(matches!(err, Error::Conflict(ref m) if m.contains("Weather API v1 · Development (client certificate)")), "{err:?}");
    let err = certificates::delete(&s.db, &s.ada, "weather", s.endpoint.id).await.unwrap_err();
    assert!(err.to_string().contains("Development (endpoint certificate)"), "{err}");
    // Once the endpoint no longer refers to them, both can go.
    let plain = EndpointSettings { endpoint_certificate_ids: vec![], mutual_ssl: false, client_certificate_id: None, ..mutual(&s) };
    save_dev(&s, plain).await.unwrap();
    certificates::delete(&s.db, &s.ada, "weather", s.client.id).await.unwrap();
    certificates::delete(&s.db, &s.ada, "weather", s.endpoint.id).await.unwrap();
}

#[tokio::test]
async fn a_certificate_used_in_many_places_names_five_and_counts_the_rest() {
    let s = setup().await;
    save_dev(&s, mutual(&s)).await.unwrap();
    for i in 2..=4 {
        let another = crate::model::NewProxy { version: format!("v{i}"), ..weather(&format!("/weather/v{i}")) };
        let slug = crate::proxies::create(&s.db, &s.ada, "weather", another).await.unwrap().slug;
        for env in ["development", "production"] {
            save(&s.db, &s.ada, "weather", &slug, env, mutual(&s)).await.unwrap();
        }
    }
    // 1 + 3 × 2 = 7 configurations use the key pair and trust the endpoint certificate.
    for id in [s.client.id, s.endpoint.id] {
        let used_by = certificates::get(&s.db, &s.ada, "weather", id).await.unwrap().used_by;
        assert_eq!(used_by.len(), 6, "{used_by:?}");
        assert_eq!(used_by[5], "and 2 more");
        assert!(used_by[0].starts_with("Weather API v1 · Development ("), "{used_by:?}");
    }
}

#[tokio::test]
async fn viewers_read_endpoints_but_cannot_save_them_and_every_save_is_logged() {
    let s = setup().await;
    testing::user(&s.db, "vic@example.test", false).await;
    projects::add_member(&s.db, &s.ada, "weather", "vic@example.test", Role::Viewer).await.unwrap();
    let vic = crate::auth::actor_for_user(&s.db, 2).await.unwrap();
    assert_eq!(list(&s.db, &vic, "weather", "weather-api-v1").await.unwrap().len(), 2);
    let denied = save(&s.db, &vic, "weather", "weather-api-v1", "development", mutual(&s)).await;
    assert!(matches!(denied, Err(Error::Forbidden(_))));
    save_dev(&s, mutual(&s)).await.unwrap();
    let missing = save(&s.db, &s.ada, "weather", "weather-api-v1", "staging", mutual(&s)).await.unwrap_err();
    assert!(matches!(missing, Error::NotFound(ref m) if m.contains("staging")));
    let log = crate::activity::list(&s.db, &s.ada, "weather", None, 1, 20).await.unwrap();
    assert_eq!(log.items[0].action, "endpoint.saved");
    assert!(log.items[0].summary.contains("Mutual SSL on with \"gatehouse-dev\""), "{}", log.items[0].summary);
}

#[tokio::test]
async fn tls_versions_suites_and_pins_are_saved_checked_and_nothing_half_stored() {
    let s = setup().await;
    let leaf_pin = gateway::upstream::pins::format(&[7u8; 32]);
    let tls = crate::model::EndpointTls { min_version: "1.3".into(), max_version: "1.3".into(), cipher_suites: vec![] };
    let pinned = EndpointSettings { tls: tls.clone(), pins: vec![leaf_pin.clone()], ..mutual(&s) };
    let saved = save_dev(&s, pinned.clone()).await.unwrap();
    assert_eq!((saved.tls.clone(), saved.pins.clone()), (tls.clone(), vec![leaf_pin.clone()]));
    assert!(saved.notices.iter().any(|n| n.text.contains("in addition to chain verification")), "{:?}", saved.notices);
    // Pins instead of the chain: said so, as information rather than the chain-off warning.
    let instead = save_dev(&s, EndpointSettings { verify_chain: false, ..pinned.clone() }).await.unwrap();
    assert!(instead.notices.iter().any(|n| n.level == NoticeLevel::Info && n.text.contains("instead of a CA")), "{:?}", instead.notices);
    assert!(!instead.notices.iter().any(|n| n.level == NoticeLevel::Warning), "{:?}", instead.notices);
    // Bad input: refused with the field, and the saved configuration is untouched.
    for (bad, field) in [
        (EndpointSettings { pins: vec!["sha256/AAAA".into()], ..mutual(&s) }, "pins"),
        (EndpointSettings { pins: vec!["md5/abc".into()], ..mutual(&s) }, "pins"),
        (EndpointSettings { tls: crate::model::EndpointTls { max_version: "1.2".into(), ..tls.clone() }, ..mutual(&s) }, "tls.max_version"),
        (
            EndpointSettings { tls: crate::model::EndpointTls { cipher_suites: vec!["TLS_RSA_WITH_RC4_128_SHA".into()], ..Default::default() }, ..mutual(&s) },
            "tls.cipher_suites",
        ),
    ] {
        match save_dev(&s, bad).await.unwrap_err() {
            Error::Invalid { field: f, .. } => assert_eq!(f.as_deref(), Some(field)),
            other => panic!("{other:?}"),
        }
    }
    let kept = get(&s.db, &s.ada, "weather", "weather-api-v1", "development").await.unwrap();
    assert_eq!((kept.tls, kept.pins, kept.verify_chain), (tls, vec![leaf_pin], false));
}
