//! Starts the real `gatehouse` binary for REST tests (`testkit::binary`), and what the REST
//! tests ask of it.
#![allow(dead_code)]
use reqwest::{Client, Method as M, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;
pub use testkit::binary::{Gatehouse, ADMIN_EMAIL, ADMIN_PASSWORD};
use testkit::{backend, pki};

pub fn start() -> Gatehouse {
    testkit::binary::start(env!("CARGO_BIN_EXE_gatehouse"))
}

/// `start` with more environment variables.
pub fn start_with(env: &[(&str, &str)]) -> Gatehouse {
    testkit::binary::start_with(env!("CARGO_BIN_EXE_gatehouse"), env)
}

/// The REST API of one Gatehouse, called as the administrator.
pub struct Api {
    client: Client,
    base: String,
    token: String,
}

impl Api {
    pub async fn admin(gh: &Gatehouse) -> Api {
        let client = Client::new();
        let token = token(&client, &gh.base, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        Api { client, base: gh.base.clone(), token }
    }

    /// A new user who is not an admin (created by this admin), signed in.
    #[allow(dead_code)] // not every test file uses it
    pub async fn new_user(&self, email: &str) -> Api {
        let password = "a long enough password";
        let res = self.call(reqwest::Method::POST, "/users", Some(serde_json::json!({"email": email, "name": email, "password": password}))).await.unwrap();
        assert_eq!(res.status(), reqwest::StatusCode::CREATED);
        let token = token(&self.client, &self.base, email, password).await;
        Api { client: self.client.clone(), base: self.base.clone(), token }
    }

    /// `method` `/api/v1{path}`, with `body` as JSON when given.
    pub async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> reqwest::Result<reqwest::Response> {
        let mut req = self.client.request(method, format!("{}/api/v1{path}", self.base)).bearer_auth(&self.token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send().await
    }
}

/// A caller of the gateway that trusts exactly the listener certificate `pem` (as
/// GET /environments gives it).
pub fn trusting(pem: &str) -> Client {
    Client::builder().tls_built_in_root_certs(false).add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).unwrap()).build().unwrap()
}

pub async fn token(client: &Client, base: &str, email: &str, password: &str) -> String {
    let res = client.post(format!("{base}/api/v1/tokens")).json(&json!({"email": email, "password": password, "name": "test"})).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string()
}

pub async fn error_code(res: reqwest::Response) -> String {
    let body: Value = res.json().await.expect("errors are JSON");
    assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    body["error"]["code"].as_str().unwrap().to_string()
}

/// A proxy "Collector" at /collect, deployed to Development, in front of a testkit echo backend
/// (which reports the headers it got); and a caller that trusts the gateway's certificate.
pub async fn collector(gh: &Gatehouse) -> (Client, String) {
    let (caller, dev, _) = collector_with_pem(gh).await;
    (caller, dev)
}

/// `collector`, and the gateway's certificate (PEM) for raw connections.
pub async fn collector_with_pem(gh: &Gatehouse) -> (Client, String, String) {
    let api = Api::admin(gh).await;
    let server = pki::self_signed_server("localhost");
    let port = backend::echo(&server, None, Duration::ZERO).await;
    assert_eq!(api.call(M::POST, "/projects", Some(json!({"name": "Evil"}))).await.unwrap().status(), StatusCode::CREATED);
    let res = api.call(M::POST, "/projects/evil/certificates", Some(json!({"kind": "endpoint", "certificate_pem": server.cert_pem}))).await.unwrap();
    let endpoint_id = res.json::<Value>().await.unwrap()[0]["id"].clone();
    let url = format!("https://127.0.0.1:{port}/collect");
    let proxy = json!({"name": "Collector", "version": "v1", "context_path": "/collect", "backend_url": url});
    assert_eq!(api.call(M::POST, "/projects/evil/proxies", Some(proxy)).await.unwrap().status(), StatusCode::CREATED);
    let settings = json!({"url": url, "endpoint_certificate_ids": [endpoint_id]});
    assert_eq!(api.call(M::PUT, "/projects/evil/proxies/collector-v1/endpoints/development", Some(settings)).await.unwrap().status(), StatusCode::OK);
    let res = api.call(M::POST, "/projects/evil/proxies/collector-v1/deployments", Some(json!({"environment": "development"}))).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let envs: Value = api.call(M::GET, "/environments", None).await.unwrap().json().await.unwrap();
    let pem = envs[0]["gateway_certificate_pem"].as_str().unwrap().to_string();
    (trusting(&pem), gh.gateways["Development"].clone(), pem)
}
