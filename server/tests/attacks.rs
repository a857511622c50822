//! Attacks on the real binary, each test named after the attack. The hardening issue adds the
//! rest; this file holds what has landed.
mod harness;

use harness::{start, trusting, Api};
use reqwest::{Client, Method as M, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;
use testkit::{backend, pki};

/// A proxy "Collector" at /collect, deployed to Development, in front of a testkit echo backend
/// (which reports the headers it got); and a caller that trusts the gateway's certificate.
async fn collector(gh: &harness::Gatehouse) -> (Client, String) {
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
    (trusting(envs[0]["gateway_certificate_pem"].as_str().unwrap()), gh.gateways["Development"].clone())
}

/// A publisher deploys a proxy to their own backend, then lures a console user into calling it
/// through the gateway on the same host: the console's session cookie must not arrive there, and
/// the backend must not be able to plant one.
#[tokio::test]
async fn a_backend_never_sees_nor_sets_the_console_session_cookie() {
    let gh = start();
    let (victim, dev) = collector(&gh).await;
    let res = victim
        .get(format!("{dev}/collect/x"))
        .header("cookie", "theme=dark; gatehouse_session=the-admins-session; __Host-gatehouse_session=another")
        .header("x-echo-set-cookie", "gatehouse_session=planted; Path=/; HttpOnly")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().get_all("set-cookie").iter().next().is_none(), "the planted session cookie is dropped: {:?}", res.headers());
    let seen: Value = res.json().await.unwrap();
    assert_eq!(seen["cookie"], "theme=dark", "{seen}");
    // The backend's own cookies still pass, both ways.
    let res = victim.get(format!("{dev}/collect/y")).header("cookie", "theme=dark").header("x-echo-set-cookie", "cart=3; Path=/").send().await.unwrap();
    assert_eq!(res.headers()["set-cookie"], "cart=3; Path=/");
    assert_eq!(res.json::<Value>().await.unwrap()["cookie"], "theme=dark");
}

/// A caller names another path in `X-Original-URL` / `X-Rewrite-URL`, which some backends take
/// as the real one: neither reaches the backend.
#[tokio::test]
async fn rewrite_headers_from_a_caller_never_reach_the_backend() {
    let gh = start();
    let (caller, dev) = collector(&gh).await;
    let res = caller.get(format!("{dev}/collect/public")).header("x-original-url", "/admin").header("x-rewrite-url", "/admin").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let seen: Value = res.json().await.unwrap();
    assert_eq!(
        (seen["path"].as_str(), seen["x_original_url"].as_str(), seen["x_rewrite_url"].as_str()),
        (Some("/collect/public"), Some(""), Some("")),
        "{seen}"
    );
}
