use super::*;
use crate::testing;
use std::sync::{Arc, Mutex};
use testkit::pki as test_pki;

/// A gateway that compiles each edge as the real one does and keeps the hostnames it serves.
#[derive(Default)]
struct EdgeGateway {
    serving: Mutex<Vec<String>>,
    min_version: Mutex<Option<TlsVersion>>,
}

impl gateway::Control for EdgeGateway {
    fn replace_all(&self, _: &str, routes: Vec<gateway::RouteSpec>) -> std::result::Result<usize, gateway::Error> {
        Ok(routes.len())
    }
    fn upsert(&self, _: &str, _: gateway::RouteSpec) -> std::result::Result<(), gateway::Error> {
        Ok(())
    }
    fn remove(&self, _: &str, _: i32) -> std::result::Result<(), gateway::Error> {
        Ok(())
    }
    fn base_url(&self, _: &str) -> Option<String> {
        Some("https://127.0.0.1:8443".into())
    }
    fn address(&self, _: &str) -> Option<std::net::SocketAddr> {
        Some("127.0.0.1:8443".parse().unwrap())
    }
    fn set_edge(&self, _: &str, edge: EdgeSpec) -> std::result::Result<(), gateway::Error> {
        gateway::edge::compile(&edge, Default::default())?;
        *self.serving.lock().unwrap() = edge.domains.iter().map(|d| d.hostname.clone()).collect();
        *self.min_version.lock().unwrap() = Some(edge.tls.min_version);
        Ok(())
    }
}

async fn setup() -> (Services, Arc<EdgeGateway>, Actor, Actor) {
    let db = testing::db().await;
    let admin = testing::user(&db, "root@example.test", true).await;
    let ada = testing::user(&db, "ada@example.test", false).await;
    let gateway = Arc::new(EdgeGateway::default());
    let services = Services::new(db, MasterKey::parse(&"42".repeat(32)).unwrap(), gateway.clone());
    // The default certificate, made as at start.
    let env = crate::environments::all(&services.db).await.unwrap().remove(0);
    crate::environments::gateway_identity(&services.db, &services.master_key, &env, &[]).await.unwrap();
    (services, gateway, admin, ada)
}

fn upload(hostname: &str, chain: &[&test_pki::TestCert], key: &test_pki::TestCert) -> NewDomain {
    NewDomain {
        hostname: hostname.into(),
        certificate_pem: chain.iter().map(|c| c.cert_pem.clone()).collect(),
        private_key_pem: key.key_pem.clone(),
        acme: None,
    }
}

#[tokio::test]
async fn a_domain_is_live_before_it_is_stored_and_bad_uploads_store_nothing() {
    let (services, gateway, admin, ada) = setup().await;
    let root = test_pki::ca("Domain Root");
    let intermediate = test_pki::intermediate(&root, "Domain Intermediate");
    let leaf = test_pki::server_leaf(&intermediate, "api.example.test");

    // Out of order, root included: put in order, the root kept back from the handshake.
    let added = add(&services, &admin, "development", &upload("API.example.test.", &[&intermediate, &root, &leaf], &leaf)).await.unwrap();
    assert_eq!(added.domain.hostname, "api.example.test");
    assert_eq!(added.domain.chain_length, 2);
    assert_eq!(added.domain.invoke_url.as_deref(), Some("https://api.example.test:8443"));
    assert!(!added.replaced && added.notes[0].contains("out of order"), "{:?}", added.notes);
    assert_eq!(*gateway.serving.lock().unwrap(), ["api.example.test"]);

    // A renewal replaces the certificate of the same name.
    let renewed = test_pki::server_leaf(&intermediate, "api.example.test");
    let again = add(&services, &admin, "development", &upload("api.example.test", &[&renewed, &intermediate, &root], &renewed)).await.unwrap();
    assert!(again.replaced);
    assert_eq!(again.domain.fingerprint_sha256, renewed.fingerprint());

    // Refused, each naming its field, with nothing stored and nothing swapped.
    let other = test_pki::server_leaf(&intermediate, "other.example.test");
    for (new, field, says) in [
        (upload("other.example.test", &[&other, &intermediate, &root], &leaf), "private_key", "does not match"),
        (upload("other.example.test", &[&other], &other), "certificate", "which is not in the chain"),
        (upload("third.example.test", &[&other, &intermediate, &root], &other), "certificate", "does not name third.example.test"),
        (upload("not a host", &[&other, &intermediate], &other), "hostname", "is not a hostname"),
        (upload("10.0.0.1", &[&other, &intermediate], &other), "hostname", "IP address"),
        (NewDomain { private_key_pem: other.cert_pem.clone(), ..upload("other.example.test", &[&other, &intermediate], &other) }, "private_key", "swapped"),
    ] {
        let err = add(&services, &admin, "development", &new).await.unwrap_err();
        assert_eq!(err.field(), Some(field), "{err}");
        assert!(err.to_string().contains(says), "{err}");
    }
    let listed = list(&services, "development").await.unwrap();
    assert_eq!(listed.iter().map(|d| d.hostname.as_str()).collect::<Vec<_>>(), ["api.example.test"]);
    assert_eq!(*gateway.serving.lock().unwrap(), ["api.example.test"]);

    // Publishers read; administrators change.
    assert!(matches!(add(&services, &ada, "development", &upload("other.example.test", &[&other, &intermediate], &other)).await, Err(Error::Forbidden(_))));
    assert!(matches!(delete(&services, &ada, "development", "api.example.test").await, Err(Error::Forbidden(_))));

    // Production is another listener with its own domains.
    assert!(list(&services, "production").await.unwrap().is_empty());
    delete(&services, &admin, "development", "api.example.test").await.unwrap();
    assert!(list(&services, "development").await.unwrap().is_empty());
    assert!(gateway.serving.lock().unwrap().is_empty());
    assert!(matches!(delete(&services, &admin, "development", "api.example.test").await, Err(Error::NotFound(_))));
}

#[tokio::test]
async fn listener_settings_are_checked_then_applied() {
    let (services, gateway, admin, ada) = setup().await;
    let strict = ListenerTlsSettings { min_version: "1.3".into(), cipher_suites: vec![] };
    assert_eq!(set_tls(&services, &admin, "development", &strict).await.unwrap(), strict);
    assert_eq!(*gateway.min_version.lock().unwrap(), Some(TlsVersion::V1_3));
    let env = crate::proxies::endpoints::find_environment(&services.db, "development").await.unwrap();
    assert_eq!(show_settings(&env), strict);

    for (settings, field) in [
        (ListenerTlsSettings { min_version: "1.1".into(), cipher_suites: vec![] }, "min_version"),
        (ListenerTlsSettings { min_version: "1.2".into(), cipher_suites: vec!["TLS_RSA_WITH_RC4_128_SHA".into()] }, "cipher_suites"),
    ] {
        assert_eq!(set_tls(&services, &admin, "development", &settings).await.unwrap_err().field(), Some(field));
    }
    assert!(matches!(set_tls(&services, &ada, "development", &strict).await, Err(Error::Forbidden(_))));
    let env = crate::proxies::endpoints::find_environment(&services.db, "development").await.unwrap();
    assert_eq!(show_settings(&env), strict, "a refused change stores nothing");
}

#[test]
fn hostnames() {
    for good in ["api.example.com", "API.Example.COM.", "*.apps.example.com", "xn--bcher-kva.example", "a-b.c"] {
        check_hostname(good).unwrap_or_else(|e| panic!("{good}: {e}"));
    }
    assert_eq!(check_hostname(" API.Example.com. ").unwrap(), "api.example.com");
    for bad in [
        "",
        "localhost",
        "api..example.com",
        "-api.example.com",
        "api.example.123",
        "a.*.example.com",
        "**.example.com",
        "api_x.example.com",
        "::1",
        "127.0.0.1",
        "bücher.example",
    ] {
        assert!(check_hostname(bad).is_err(), "{bad}");
    }
    assert!(check_hostname(&format!("{}.example.com", "a".repeat(64))).is_err());
}
