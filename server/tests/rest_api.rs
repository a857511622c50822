//! Starts the real `gatehouse` binary on a port chosen at run time, with a fresh SQLite file in
//! a temp directory, and drives the REST API as a script would.
mod harness;

use harness::{error_code, start, token, ADMIN_EMAIL, ADMIN_PASSWORD};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use std::process::Command;

#[tokio::test]
async fn the_rest_api_enforces_tokens_membership_and_roles() {
    let gh = start();
    let base = &gh.base;
    let client = Client::new();

    let health = client.get(format!("{base}/api/v1/health")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    assert!(health.headers().contains_key("x-request-id"), "every response carries its request id");
    let ready = client.get(format!("{base}/api/v1/ready")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK, "ready without a token");
    assert_eq!(ready.json::<Value>().await.unwrap()["status"], "ready");

    // Wrong password: 401 with the generic code.
    let res =
        client.post(format!("{base}/api/v1/tokens")).json(&json!({"email": ADMIN_EMAIL, "password": "wrong password", "name": "x"})).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(res).await, "bad_credentials");

    // No token: 401.
    let res = client.get(format!("{base}/api/v1/projects")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(res).await, "unauthenticated");
    let res = client.get(format!("{base}/api/v1/projects")).bearer_auth("ghk_not-a-token").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    let admin = token(&client, base, ADMIN_EMAIL, ADMIN_PASSWORD).await;

    // Malformed bodies: 4xx JSON errors, nothing created.
    let res =
        client.post(format!("{base}/api/v1/projects")).bearer_auth(&admin).body("{not json").header("content-type", "application/json").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_code(res).await, "invalid_json");
    let res = client.post(format!("{base}/api/v1/projects")).bearer_auth(&admin).json(&json!({"slug": "x"})).send().await.unwrap();
    assert!(res.status().is_client_error());
    assert_eq!(error_code(res).await, "invalid_json");
    let res = client.post(format!("{base}/api/v1/projects")).bearer_auth(&admin).json(&json!({"name": "  "})).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_code(res).await, "invalid_request");

    // Create a project.
    let res = client.post(format!("{base}/api/v1/projects")).bearer_auth(&admin).json(&json!({"name": "Weather APIs"})).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let project: Value = res.json().await.unwrap();
    assert_eq!(project["slug"], "weather-apis");
    assert_eq!(project["role"], "owner");
    let listed: Value = client.get(format!("{base}/api/v1/projects")).bearer_auth(&admin).send().await.unwrap().json().await.unwrap();
    assert_eq!(listed["total"], 1);

    // A second person, not a member: the project does not exist for them, by slug or by id.
    let res = client
        .post(format!("{base}/api/v1/users"))
        .bearer_auth(&admin)
        .json(&json!({"email": "bob@example.test", "name": "Bob", "password": "bob's long password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let bob = token(&client, base, "bob@example.test", "bob's long password").await;
    for key in ["weather-apis".to_string(), project["id"].to_string()] {
        let res = client.get(format!("{base}/api/v1/projects/{key}")).bearer_auth(&bob).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{key}");
        assert_eq!(error_code(res).await, "not_found");
    }
    let mine: Value = client.get(format!("{base}/api/v1/projects")).bearer_auth(&bob).send().await.unwrap().json().await.unwrap();
    assert_eq!(mine["total"], 0);
    let res = client.get(format!("{base}/api/v1/users")).bearer_auth(&bob).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // As a viewer Bob sees the project but cannot change it.
    let res = client
        .post(format!("{base}/api/v1/projects/weather-apis/members"))
        .bearer_auth(&admin)
        .json(&json!({"email": "bob@example.test", "role": "viewer"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = client.get(format!("{base}/api/v1/projects/weather-apis")).bearer_auth(&bob).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["role"], "viewer");
    let res = client
        .post(format!("{base}/api/v1/projects/weather-apis/members"))
        .bearer_auth(&bob)
        .json(&json!({"email": ADMIN_EMAIL, "role": "viewer"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_code(res).await, "forbidden");

    // Environments in promotion order.
    let envs: Value = client.get(format!("{base}/api/v1/environments")).bearer_auth(&bob).send().await.unwrap().json().await.unwrap();
    let slugs: Vec<&str> = envs.as_array().unwrap().iter().map(|e| e["slug"].as_str().unwrap()).collect();
    assert_eq!(slugs, ["development", "production"]);

    // Unknown routes and methods are JSON errors too; the OpenAPI document lists the routes.
    let res = client.get(format!("{base}/api/v1/nope")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(res).await, "not_found");
    let res = client.delete(format!("{base}/api/v1/health")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    let doc: Value = client.get(format!("{base}/api/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert_eq!(doc["servers"][0]["url"], "/api/v1");
    for path in ["/tokens", "/projects", "/projects/{project}", "/projects/{project}/members", "/environments", "/health", "/ready", "/users"] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing from the OpenAPI document: {}", doc["paths"]);
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    let listed = &doc["paths"]["/projects"]["get"]["responses"]["200"]["content"]["application/json"]["schema"];
    assert!(listed.to_string().contains("Project"), "the project list's schema names its items: {listed}");
}

#[test]
fn a_malformed_variable_stops_the_start_with_one_line() {
    let data = tempfile::tempdir().unwrap();
    let out =
        Command::new(env!("CARGO_BIN_EXE_gatehouse")).env("GATEHOUSE_DATA_DIR", data.path()).env("GATEHOUSE_PORTAL_ADDR", "not-an-address").output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("GATEHOUSE_PORTAL_ADDR"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
