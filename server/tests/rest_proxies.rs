//! API proxies and their endpoint configurations through the REST API of the real binary:
//! ids or slugs, the consistency rules, another project's proxy (404), a viewer's PUT (403),
//! certificates in use, and the activity log.
mod harness;

use harness::{error_code, start, token, ADMIN_EMAIL, ADMIN_PASSWORD};
use rcgen::{CertificateParams, DnType, KeyPair};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

fn server_certificate(host: &str) -> String {
    let mut params = CertificateParams::new(vec![host.to_string()]).unwrap();
    params.distinguished_name.push(DnType::CommonName, host);
    params.self_signed(&KeyPair::generate().unwrap()).unwrap().pem()
}

#[tokio::test]
async fn proxies_and_endpoints_over_rest() {
    let gh = start();
    let base = &gh.base;
    let client = Client::new();
    let admin = token(&client, base, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let api = |path: &str| format!("{base}/api/v1{path}");
    let send = |method: reqwest::Method, path: &str, tok: &str, body: Option<Value>| {
        let mut req = client.request(method, api(path)).bearer_auth(tok.to_string());
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send()
    };
    use reqwest::Method as M;

    for name in ["Weather", "Other"] {
        assert_eq!(send(M::POST, "/projects", &admin, Some(json!({"name": name}))).await.unwrap().status(), StatusCode::CREATED);
    }
    let res = send(M::POST, "/users", &admin, Some(json!({"email": "vic@example.test", "name": "Vic", "password": "a long password!"}))).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = send(M::POST, "/projects/weather/members", &admin, Some(json!({"email": "vic@example.test", "role": "viewer"}))).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let vic = token(&client, base, "vic@example.test", "a long password!").await;

    // Create, with a contract whose operations are listed.
    let contract = "openapi: 3.0.3\npaths:\n  /current:\n    get: {summary: Current weather}\n";
    let body = json!({"name": "Weather API", "version": "v1", "context_path": "/weather/v1", "backend_url": "https://backend.test:9443", "contract": contract});
    let res = send(M::POST, "/projects/weather/proxies", &admin, Some(body)).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let proxy: Value = res.json().await.unwrap();
    assert_eq!(proxy["slug"], "weather-api-v1");
    assert_eq!(proxy["operations"][0]["summary"], "Current weather");
    assert_eq!(proxy["environments"][0]["state"], "not_deployed");
    let id = proxy["id"].as_i64().unwrap();

    // The same context path again is refused, naming the proxy that has it.
    let body = json!({"name": "Clone", "version": "v1", "context_path": "/weather/v1", "backend_url": "http://backend.test"});
    let res = send(M::POST, "/projects/weather/proxies", &admin, Some(body)).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let err: Value = res.json().await.unwrap();
    assert!(err["error"]["message"].as_str().unwrap().contains("Weather API v1"), "{err}");

    // By id or slug; another project's proxy is not there.
    assert_eq!(send(M::GET, &format!("/projects/weather/proxies/{id}"), &admin, None).await.unwrap().status(), StatusCode::OK);
    let res = send(M::GET, "/projects/other/proxies/weather-api-v1", &admin, None).await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(res).await, "not_found");
    let res = send(M::GET, &format!("/projects/other/proxies/{id}/endpoints/development"), &admin, None).await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // Certificates: the backend's, and a generated client key pair.
    let res = send(M::POST, "/projects/weather/certificates", &admin, Some(json!({"kind": "endpoint", "certificate_pem": server_certificate("backend.test")})))
        .await
        .unwrap();
    let endpoint_id = res.json::<Value>().await.unwrap()[0]["id"].as_i64().unwrap();
    let res = send(M::POST, "/projects/weather/certificates", &admin, Some(json!({"kind": "client", "generate": {"common_name": "gw-dev"}}))).await.unwrap();
    let client_id = res.json::<Value>().await.unwrap()[0]["id"].as_i64().unwrap();

    let settings = json!({
        "url": "https://backend.test:9443/api", "endpoint_certificate_ids": [endpoint_id], "verify_hostname": true,
        "verify_chain": true, "mutual_ssl": true, "client_certificate_id": client_id, "connect_timeout_ms": 1500, "read_timeout_ms": 9000
    });
    // A viewer may read but not PUT.
    let res = send(M::PUT, "/projects/weather/proxies/weather-api-v1/endpoints/development", &vic, Some(settings.clone())).await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_code(res).await, "forbidden");
    // Mutual SSL without a client certificate is refused, naming the field.
    let mut missing = settings.clone();
    missing["client_certificate_id"] = Value::Null;
    let res = send(M::PUT, "/projects/weather/proxies/weather-api-v1/endpoints/development", &admin, Some(missing)).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Saved by environment slug, read back by environment id.
    let res = send(M::PUT, &format!("/projects/weather/proxies/{id}/endpoints/development"), &admin, Some(settings)).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let envs: Value = client.get(api("/environments")).bearer_auth(&admin).send().await.unwrap().json().await.unwrap();
    let dev = envs.as_array().unwrap().iter().find(|e| e["slug"] == "development").unwrap();
    assert!(dev["gateway_url"].as_str().unwrap().starts_with("https://127.0.0.1:"), "{dev}");
    assert!(dev["gateway_certificate_pem"].as_str().unwrap().contains("BEGIN CERTIFICATE"));
    let dev_id = dev["id"].as_i64().unwrap();
    let res = send(M::GET, &format!("/projects/weather/proxies/weather-api-v1/endpoints/{dev_id}"), &vic, None).await.unwrap();
    let saved: Value = res.json().await.unwrap();
    assert_eq!((saved["mutual_ssl"].clone(), saved["client_certificate_id"].clone()), (json!(true), json!(client_id)));
    assert_eq!(saved["url"], "https://backend.test:9443/api");
    assert_eq!(saved["connect_timeout_ms"], 1500);
    let all: Value = send(M::GET, "/projects/weather/proxies/weather-api-v1/endpoints", &admin, None).await.unwrap().json().await.unwrap();
    assert_eq!(all[1]["environment"]["slug"], "production");
    assert_eq!(all[1]["mutual_ssl"], false);

    // The client certificate is in use: deleting it is refused, saying where.
    let res = send(M::DELETE, &format!("/projects/weather/certificates/{client_id}"), &admin, None).await.unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let err: Value = res.json().await.unwrap();
    assert!(err["error"]["message"].as_str().unwrap().contains("Weather API v1 · Development"), "{err}");

    // Check connection: a real attempt with the saved configuration (here: a closed loopback port).
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let plain = json!({"url": format!("http://127.0.0.1:{closed}/api"), "mutual_ssl": false});
    let res = send(M::PUT, "/projects/weather/proxies/weather-api-v1/endpoints/production", &admin, Some(plain)).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = send(M::POST, "/projects/weather/proxies/weather-api-v1/endpoints/production/check", &admin, None).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let report: Value = res.json().await.unwrap();
    assert_eq!((report["ok"].clone(), report["code"].clone()), (json!(false), json!("upstream_connect_failed")), "{report}");
    assert!(report["message"].as_str().unwrap().contains("refused the connection"), "{report}");
    let res = send(M::POST, "/projects/weather/proxies/weather-api-v1/endpoints/production/check", &vic, None).await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // PATCH changes only what is given; the activity log has every change.
    let res = send(M::PATCH, "/projects/weather/proxies/weather-api-v1", &admin, Some(json!({"description": "Forecasts"}))).await.unwrap();
    let patched: Value = res.json().await.unwrap();
    assert_eq!((patched["description"].clone(), patched["version"].clone()), (json!("Forecasts"), json!("v1")));
    let log: Value = send(M::GET, "/projects/weather/proxies/weather-api-v1/activity", &vic, None).await.unwrap().json().await.unwrap();
    let actions: Vec<&str> = log["items"].as_array().unwrap().iter().map(|a| a["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["proxy.updated", "endpoint.saved", "endpoint.saved", "proxy.created"]);

    // Delete; a viewer cannot, an owner can.
    assert_eq!(send(M::DELETE, "/projects/weather/proxies/weather-api-v1", &vic, None).await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(send(M::DELETE, "/projects/weather/proxies/weather-api-v1", &admin, None).await.unwrap().status(), StatusCode::NO_CONTENT);
    let list: Value = send(M::GET, "/projects/weather/proxies", &admin, None).await.unwrap().json().await.unwrap();
    assert_eq!(list["total"], 0);
    // The OpenAPI document describes the new routes.
    let doc: Value = client.get(api("/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert!(doc["paths"]["/projects/{project}/proxies/{proxy}/endpoints/{environment}"]["put"].is_object());
}
