//! Starts the real `gatehouse` binary for REST tests (`testkit::binary`), and what the REST
//! tests ask of it.
#![allow(dead_code)]
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
pub use testkit::binary::{Gatehouse, ADMIN_EMAIL, ADMIN_PASSWORD};

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
