//! Starts the real `gatehouse` binary for REST tests (`testkit::binary`), and what the REST
//! tests ask of it.
#![allow(dead_code)]
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
pub use testkit::binary::{Gatehouse, ADMIN_EMAIL, ADMIN_PASSWORD};

pub fn start() -> Gatehouse {
    testkit::binary::start(env!("CARGO_BIN_EXE_gatehouse"))
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
