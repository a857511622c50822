//! The certificate store through the REST API of the real binary: uploads, generation,
//! downloads, refusals, and who may do what.
mod harness;

use harness::{error_code, start, token, ADMIN_EMAIL, ADMIN_PASSWORD};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

/// A CA and a server certificate it issued, made now.
fn ca_and_leaf() -> (String, String, String) {
    let mut ca_params = CertificateParams::default();
    ca_params.distinguished_name.push(DnType::CommonName, "REST Test CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap();
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let mut leaf_params = CertificateParams::new(vec!["backend.test".to_string()]).unwrap();
    leaf_params.distinguished_name.push(DnType::CommonName, "backend.test");
    leaf_params.not_after = time::OffsetDateTime::now_utc() + time::Duration::days(60);
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();
    (ca.pem(), leaf.pem(), leaf_key.serialize_pem())
}

#[tokio::test]
async fn the_certificate_store_over_rest() {
    let gh = start();
    let base = &gh.base;
    let client = Client::new();
    let admin = token(&client, base, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let post = |path: String, tok: &str, body: Value| client.post(format!("{base}/api/v1{path}")).bearer_auth(tok.to_string()).json(&body).send();

    assert_eq!(post("/projects".into(), &admin, json!({"name": "PKI"})).await.unwrap().status(), StatusCode::CREATED);
    for (email, role) in [("vic@example.test", Some("viewer")), ("eve@example.test", None)] {
        let res = post("/users".into(), &admin, json!({"email": email, "name": email, "password": "a long password!"})).await.unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        if let Some(role) = role {
            let res = post("/projects/pki/members".into(), &admin, json!({"email": email, "role": role})).await.unwrap();
            assert_eq!(res.status(), StatusCode::CREATED);
        }
    }
    let vic = token(&client, base, "vic@example.test", "a long password!").await;
    let eve = token(&client, base, "eve@example.test", "a long password!").await;

    // A bundle becomes one entry per certificate.
    let (ca_pem, leaf_pem, leaf_key) = ca_and_leaf();
    let res = post("/projects/pki/certificates".into(), &admin, json!({"kind": "endpoint", "certificate_pem": format!("{leaf_pem}{ca_pem}")})).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let added: Vec<Value> = res.json().await.unwrap();
    assert_eq!(added.len(), 2);
    assert_eq!(added[0]["subject_alt_names"], json!(["DNS:backend.test"]));
    assert_eq!(added[1]["is_ca"], true);

    // A private key where the certificate belongs: refused, not echoed.
    let res = post("/projects/pki/certificates".into(), &admin, json!({"kind": "endpoint", "certificate_pem": leaf_key})).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.unwrap();
    assert!(body.contains("private key, not a certificate") && !body.contains(&leaf_key[28..70]), "{body}");

    // Too large: refused with the limit.
    let huge = "A".repeat(300 * 1024);
    let res = post("/projects/pki/certificates".into(), &admin, json!({"kind": "endpoint", "certificate_pem": huge})).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("256 KiB"));

    // Generate a client key pair; nothing private comes back.
    let res = post(
        "/projects/pki/certificates".into(),
        &admin,
        json!({"kind": "client", "generate": {"common_name": "rest-client", "organization": "Gatehouse", "key_algorithm": "ed25519", "validity_days": 10}}),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let body = res.text().await.unwrap();
    assert!(!body.to_lowercase().contains("private key-----") && !body.contains("PRIVATE"), "{body}");
    let generated: Vec<Value> = serde_json::from_str(&body).unwrap();
    let client_id = generated[0]["id"].as_i64().unwrap();
    assert_eq!(generated[0]["key_type"], "Ed25519");
    assert_eq!(generated[0]["has_private_key"], true);
    assert_eq!(generated[0]["days_left"], 9, "10 days of validity, read a moment later");

    // Soonest expiry first; filters.
    let list: Value = client.get(format!("{base}/api/v1/projects/pki/certificates")).bearer_auth(&vic).send().await.unwrap().json().await.unwrap();
    let names: Vec<&str> = list["items"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["rest-client", "backend.test", "REST Test CA"]);
    let clients: Value =
        client.get(format!("{base}/api/v1/projects/pki/certificates?kind=client")).bearer_auth(&vic).send().await.unwrap().json().await.unwrap();
    assert_eq!(clients["total"], 1);

    // Viewers read and download; they do not change.
    let res = client.get(format!("{base}/api/v1/projects/pki/certificates/{client_id}/pem")).bearer_auth(&vic).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/x-pem-file");
    assert_eq!(res.headers()["content-disposition"], "attachment; filename=\"rest-client.pem\"");
    let pem = res.text().await.unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----") && !pem.contains("PRIVATE"));
    let res = post("/projects/pki/certificates".into(), &vic, json!({"kind": "endpoint", "certificate_pem": leaf_pem})).await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = client.delete(format!("{base}/api/v1/projects/pki/certificates/{client_id}")).bearer_auth(&vic).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_code(res).await, "forbidden");

    // Outsiders see nothing.
    let res = client.get(format!("{base}/api/v1/projects/pki/certificates/{client_id}")).bearer_auth(&eve).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // Delete, then it is gone.
    let res = client.delete(format!("{base}/api/v1/projects/pki/certificates/{client_id}")).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = client.get(format!("{base}/api/v1/projects/pki/certificates/{client_id}")).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}
