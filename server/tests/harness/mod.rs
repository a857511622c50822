//! Starts the real `gatehouse` binary for REST tests.
#![allow(dead_code)]
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

pub struct Gatehouse {
    child: Child,
    pub base: String,
    /// Each environment's gateway URL, by name ("Development").
    pub gateways: std::collections::HashMap<String, String>,
    data: Option<tempfile::TempDir>,
}

impl Drop for Gatehouse {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Gatehouse {
    /// Stops this server and starts another on the same data directory.
    pub fn restart(mut self) -> Gatehouse {
        let data = self.data.take().unwrap();
        let _ = self.child.kill();
        let _ = self.child.wait();
        start_in(data)
    }
}

pub const ADMIN_EMAIL: &str = "root@example.test";
pub const ADMIN_PASSWORD: &str = "a long admin password";

pub fn start() -> Gatehouse {
    start_in(tempfile::tempdir().unwrap())
}

fn start_in(data: tempfile::TempDir) -> Gatehouse {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("GATEHOUSE_DATA_DIR", data.path())
        .env("GATEHOUSE_PORTAL_ADDR", "127.0.0.1:0")
        .env("GATEHOUSE_GATEWAY_DEVELOPMENT_ADDR", "127.0.0.1:0")
        .env("GATEHOUSE_GATEWAY_PRODUCTION_ADDR", "127.0.0.1:0")
        .env("GATEHOUSE_ADMIN_EMAIL", ADMIN_EMAIL)
        .env("GATEHOUSE_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start gatehouse");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut gateways = std::collections::HashMap::new();
    let base = loop {
        let line = lines.next().expect("gatehouse exited before printing its address").unwrap();
        if let Some(rest) = line.strip_prefix("Gatehouse gateway (") {
            if let Some((name, url)) = rest.split_once("): ") {
                gateways.insert(name.to_string(), url.trim().to_string());
            }
        }
        if let Some(url) = line.strip_prefix("Gatehouse console: ") {
            break url.trim().to_string();
        }
    };
    // The gateway lines come right after the console line.
    while gateways.len() < 2 {
        let line = lines.next().expect("gatehouse exited before printing its gateways").unwrap();
        if let Some((name, url)) = line.strip_prefix("Gatehouse gateway (").and_then(|rest| rest.split_once("): ")) {
            gateways.insert(name.to_string(), url.trim().to_string());
        }
    }
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Gatehouse { child, base, gateways, data: Some(data) }
}

pub async fn token(client: &Client, base: &str, email: &str, password: &str) -> String {
    let res = client
        .post(format!("{base}/api/v1/tokens"))
        .json(&json!({"email": email, "password": password, "name": "test"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string()
}

pub async fn error_code(res: reqwest::Response) -> String {
    let body: Value = res.json().await.expect("errors are JSON");
    assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    body["error"]["code"].as_str().unwrap().to_string()
}

