use super::*;
use crate::model::{KeyAlgorithm, Role};
use crate::projects::{self, NewProject};
use crate::testing;
use testkit::pki as test_pki;

fn master() -> MasterKey {
    MasterKey::parse(&"42".repeat(32)).unwrap()
}

async fn project_with_owner(db: &DatabaseConnection) -> Actor {
    // A publisher, not an admin: everyone may create projects in these tests.
    testing::let_everyone_create_projects(db).await;
    let ada = testing::user(db, "ada@example.test", false).await;
    projects::create(db, &ada, NewProject { name: "Weather".into(), ..Default::default() }).await.unwrap();
    ada
}

#[tokio::test]
async fn endpoint_bundles_become_entries_listed_soonest_expiry_first() {
    let db = testing::db().await;
    let ada = project_with_owner(&db).await;
    let ca = test_pki::ca("Weather CA");
    let leaf = test_pki::server_leaf(&ca, "backend.test");
    let bundle = format!("{}{}", leaf.cert_pem, ca.cert_pem);
    let added = upload_endpoint(&db, &ada, "weather", bundle.as_bytes()).await.unwrap();
    assert_eq!(added.len(), 2);

    let page = list(&db, &ada, "weather", &CertificateFilter::default(), 1, 20).await.unwrap();
    let names: Vec<&str> = page.items.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["backend.test", "Weather CA"], "the leaf expires first");
    assert!(page.items[1].is_ca);
    assert!(!page.items[0].has_private_key);

    // The same upload again adds nothing and says where it already is.
    let again = upload_endpoint(&db, &ada, "weather", leaf.cert_pem.as_bytes()).await.unwrap_err();
    assert!(matches!(again, Error::Conflict(ref m) if m.contains("backend.test")), "{again:?}");

    let filtered = list(&db, &ada, "weather", &CertificateFilter { kind: None, text: "backend".into() }, 1, 20).await.unwrap();
    assert_eq!(filtered.total, 1);
    let clients = list(&db, &ada, "weather", &CertificateFilter { kind: Some(CertificateKind::Client), text: String::new() }, 1, 20).await.unwrap();
    assert_eq!(clients.total, 0);

    let download = pem(&db, &ada, "weather", added[0].id).await.unwrap();
    assert_eq!(download.file_name, "backend.test.pem");
    assert_eq!(input::read_certificates("certificate", download.pem.as_bytes()).unwrap()[0].as_ref(), leaf.der());
}

#[tokio::test]
async fn own_key_pairs_are_checked_before_anything_is_stored() {
    let db = testing::db().await;
    let ada = project_with_owner(&db).await;
    let ours = test_pki::ecdsa_client("ours");
    let theirs = test_pki::ecdsa_client("theirs");
    let expired = test_pki::client_valid("old", -400, -35);

    let mismatch = add_client_pair(&db, &master(), &ada, "weather", ours.cert_pem.as_bytes(), theirs.key_pem.as_bytes()).await.unwrap_err();
    assert!(mismatch.to_string().contains("does not match the certificate's public key"));
    let swapped = add_client_pair(&db, &master(), &ada, "weather", ours.key_pem.as_bytes(), ours.cert_pem.as_bytes()).await.unwrap_err();
    assert_eq!(swapped.field(), Some("certificate"));
    assert!(!swapped.to_string().contains("MII") && !swapped.to_string().contains(&ours.key_pem[30..60]));
    let old = add_client_pair(&db, &master(), &ada, "weather", expired.cert_pem.as_bytes(), expired.key_pem.as_bytes()).await.unwrap_err();
    assert!(old.to_string().contains("expired on"), "{old}");
    assert_eq!(list(&db, &ada, "weather", &CertificateFilter::default(), 1, 20).await.unwrap().total, 0, "nothing half-stored");

    let added = add_client_pair(&db, &master(), &ada, "weather", ours.cert_pem.as_bytes(), ours.key_pem.as_bytes()).await.unwrap();
    assert!(added.has_private_key);
    assert_eq!(added.source, "uploaded");

    // The sealed key opens with the master key that sealed it, and only with that one.
    let (chain, key) = client_identity(&db, &master(), added.id).await.unwrap();
    assert_eq!(chain[0].as_ref(), ours.der());
    assert_eq!(key.secret_der(), input::read_private_key("k", ours.key_pem.as_bytes()).unwrap().secret_der());
    let other = MasterKey::parse(&"43".repeat(32)).unwrap();
    assert!(client_identity(&db, &other, added.id).await.unwrap_err().to_string().contains("different master key"));
}

#[tokio::test]
async fn viewers_download_but_do_not_change_and_outsiders_see_nothing() {
    let db = testing::db().await;
    let ada = project_with_owner(&db).await;
    let vic = testing::user(&db, "vic@example.test", false).await;
    let eve = testing::user(&db, "eve@example.test", false).await;
    projects::add_member(&db, &ada, "weather", "vic@example.test", Role::Viewer).await.unwrap();
    let generated =
        generate_client_pair(&db, &master(), &ada, "weather", GenerateKeyPair { common_name: "dev client".into(), ..Default::default() }).await.unwrap();
    assert_eq!(generated.source, "generated");
    assert_eq!(generated.key_type, "ECDSA P-256");

    assert!(pem(&db, &vic, "weather", generated.id).await.unwrap().pem.contains("BEGIN CERTIFICATE"));
    assert!(matches!(delete(&db, &vic, "weather", generated.id).await, Err(Error::Forbidden(_))));
    let leaf = test_pki::ecdsa_client("x");
    assert!(matches!(upload_endpoint(&db, &vic, "weather", leaf.cert_pem.as_bytes()).await, Err(Error::Forbidden(_))));
    assert!(matches!(get(&db, &eve, "weather", generated.id).await, Err(Error::NotFound(_))));

    delete(&db, &ada, "weather", generated.id).await.unwrap();
    assert!(matches!(get(&db, &ada, "weather", generated.id).await, Err(Error::NotFound(_))));
}

#[tokio::test]
async fn the_database_file_never_holds_the_private_key() {
    let dir = tempfile::tempdir().unwrap();
    let url = crate::db::default_sqlite_url(dir.path());
    let db = crate::db::connect_and_migrate(&url).await.unwrap();
    let ada = project_with_owner(&db).await;
    let pair = test_pki::ecdsa_client("sealed");
    add_client_pair(&db, &master(), &ada, "weather", pair.cert_pem.as_bytes(), pair.key_pem.as_bytes()).await.unwrap();
    for alg in [KeyAlgorithm::Ed25519, KeyAlgorithm::Rsa2048] {
        let req = GenerateKeyPair { common_name: format!("gen-{}", alg.as_str()), key_algorithm: alg, ..Default::default() };
        generate_client_pair(&db, &master(), &ada, "weather", req).await.unwrap();
    }
    db.close().await.unwrap();

    let key_der = input::read_private_key("k", pair.key_pem.as_bytes()).unwrap().secret_der().to_vec();
    let key_base64_line = pair.key_pem.lines().nth(1).unwrap().to_string();
    let key_windows: std::collections::HashSet<&[u8]> = key_der.windows(16).collect();
    let mut scanned = 0;
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        // The -wal/-shm files may vanish as the pool finishes closing; their pages are then in
        // the main file, which is always scanned.
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => panic!("{}: {e}", path.display()),
        };
        if path.ends_with("gatehouse.db") {
            assert!(!bytes.is_empty());
            scanned += 1;
        }
        // Any 16-byte run of the key's DER, or its PEM text, would betray it.
        assert!(!bytes.windows(16).any(|w| key_windows.contains(w)), "key bytes found in the database files");
        assert!(!bytes.windows(key_base64_line.len()).any(|w| w == key_base64_line.as_bytes()), "key PEM found");
        assert!(!bytes.windows(11).any(|w| w == b"PRIVATE KEY"), "no PEM private key of any kind");
    }
    assert_eq!(scanned, 1, "the main database file was scanned");
}
