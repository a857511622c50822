//! Policies and the lifecycle against the real binary, through a real TLS backend that answers
//! like an old PHP server (`Server`, `X-Powered-By`, a `Location` and a JSON body naming its own
//! URL): saved over REST, live from the next deploy; the lifecycle at once.
mod harness;

use harness::{collector_with_pem, start, Api};
use reqwest::{Method as M, StatusCode};
use serde_json::{json, Value};

async fn deploy(api: &Api) {
    let res = api.call(M::POST, "/projects/evil/proxies/collector-v1/deployments", Some(json!({"environment": "development"}))).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap());
}

async fn set_policies(api: &Api, policies: Value) -> reqwest::Response {
    api.call(M::PUT, "/projects/evil/proxies/collector-v1/policies", Some(json!({ "policies": policies }))).await.unwrap()
}

async fn error(res: reqwest::Response) -> (StatusCode, String, String) {
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    (status, body["error"]["code"].as_str().unwrap_or("").into(), body["error"]["field"].as_str().unwrap_or("").into())
}

#[tokio::test]
async fn fingerprints_leave_backend_urls_are_masked_and_callers_filtered_from_the_next_deploy() {
    let gh = start();
    let api = Api::admin(&gh).await;
    let (caller, dev, _) = collector_with_pem(&gh).await;
    let get = |path: &str| caller.get(format!("{dev}{path}")).header("x-echo-fingerprint", "1");

    // Before: the backend's software and its own URL reach every caller.
    let res = get("/collect/a").send().await.unwrap();
    assert_eq!(res.headers()["server"], "Apache/2.2.3 (CentOS)");
    assert_eq!(res.headers()["x-powered-by"], "PHP/5.4");
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let seen: Value = res.json().await.unwrap();
    let backend = seen["self"].as_str().unwrap().trim_end_matches("/collect/a").to_string();
    assert_eq!(location, format!("{backend}/collect/a/next"));
    assert_ne!(backend, dev);

    // Bad input: each refused with the policy and field named; nothing is stored.
    for (policies, field) in [
        (json!([{"kind": "set_request_header", "name": "bad name", "value": "x"}]), "policies[0].name"),
        (json!([{"kind": "set_request_header", "name": "x-env", "value": "a\u{7f}b"}]), "policies[0].value"),
        (json!([{"kind": "remove_request_header", "name": "x-forwarded-for"}]), "policies[0].name"),
        (json!([{"kind": "ip_filter", "allow": ["10.0.0.0/33"]}]), "policies[0].allow"),
        (json!([{"kind": "ip_filter"}]), "policies[0].allow"),
        (
            json!([{"kind": "mask_backend_urls"}, {"kind": "set_response_header", "name": "x-a", "value": "1"}, {"kind": "remove_response_header", "name": "X-A"}]),
            "policies[2].name",
        ),
    ] {
        let (status, code, named) = error(set_policies(&api, policies.clone()).await).await;
        assert_eq!((status, code.as_str(), named.as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", field), "{policies}");
    }
    let stored: Value = api.call(M::GET, "/projects/evil/proxies/collector-v1/policies", None).await.unwrap().json().await.unwrap();
    assert_eq!(stored, json!({"policies": []}));

    // Saved: stored as normalised; live only once deployed.
    let policies = json!([
        {"kind": "remove_fingerprinting_headers"},
        {"kind": "mask_backend_urls"},
        {"kind": "set_request_header", "name": "X-Env", "value": "prod"},
        {"kind": "cors", "allow_origins": ["https://app.example.com"], "max_age": 600},
    ]);
    let res = set_policies(&api, policies).await;
    assert_eq!(res.status(), StatusCode::OK);
    let saved: Value = res.json().await.unwrap();
    assert_eq!(saved["policies"][2], json!({"kind": "set_request_header", "name": "x-env", "value": "prod"}));
    assert_eq!(get("/collect/a").send().await.unwrap().headers()["server"], "Apache/2.2.3 (CentOS)", "not live before the deploy");
    deploy(&api).await;

    let res = get("/collect/b?x=1").header("origin", "https://app.example.com").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let headers = res.headers().clone();
    for gone in ["server", "x-powered-by", "x-aspnet-version"] {
        assert!(headers.get(gone).is_none(), "{gone} reached the caller: {headers:?}");
    }
    assert_eq!(headers["location"], format!("{dev}/collect/b/next").as_str(), "the backend's URL is the gateway's");
    assert_eq!(headers["access-control-allow-origin"], "https://app.example.com");
    assert!(headers.get("content-length").is_none(), "a masked body's length changes");
    let text = res.text().await.unwrap();
    assert!(!text.contains(&backend), "the body still names the backend: {text}");
    let seen: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(seen["self"], format!("{dev}/collect/b"));
    assert_eq!(seen["headers"]["x-env"], "prod");
    assert_eq!(seen["headers"]["accept-encoding"], "identity", "the backend is asked for a body that can be masked");
    // A CORS preflight is answered by the gateway.
    let preflight = caller
        .request(M::OPTIONS, format!("{dev}/collect/c"))
        .header("origin", "https://app.example.com")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "api-key")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), StatusCode::NO_CONTENT);
    assert_eq!(preflight.headers()["access-control-allow-origin"], "https://app.example.com");
    assert_eq!(preflight.headers()["access-control-max-age"], "600");
    assert!(preflight.headers().contains_key("x-request-id"));

    // An IP filter: loopback denied, then only loopback allowed.
    assert_eq!(set_policies(&api, json!([{"kind": "ip_filter", "deny": ["127.0.0.0/8", "::1"]}])).await.status(), StatusCode::OK);
    deploy(&api).await;
    let (status, code, _) = error(get("/collect/d").send().await.unwrap()).await;
    assert_eq!((status, code.as_str()), (StatusCode::FORBIDDEN, "ip_forbidden"));
    assert_eq!(set_policies(&api, json!([{"kind": "ip_filter", "allow": ["127.0.0.1", "::1"]}])).await.status(), StatusCode::OK);
    deploy(&api).await;
    assert_eq!(get("/collect/d").send().await.unwrap().status(), StatusCode::OK);

    // The lifecycle holds at once, with no deploy.
    let patch = |body: Value| api.call(M::PATCH, "/projects/evil/proxies/collector-v1", Some(body));
    let res = patch(json!({"lifecycle": "deprecated", "sunset": "2099-01-01"})).await.unwrap();
    let (status, body) = (res.status(), res.json::<Value>().await.unwrap());
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["lifecycle"]["lifecycle"], "deprecated");
    let res = get("/collect/e").send().await.unwrap();
    assert!(res.headers()["deprecation"].to_str().unwrap().starts_with('@'));
    assert_eq!(res.headers()["sunset"], "Thu, 01 Jan 2099 00:00:00 GMT");
    for (body, field) in
        [(json!({"lifecycle": "published", "sunset": "2099-01-01"}), "sunset"), (json!({"lifecycle": "deprecated", "sunset": "2001-01-01"}), "sunset")]
    {
        assert_eq!(error(patch(body).await.unwrap()).await.2, field);
    }
    assert_eq!(patch(json!({"lifecycle": "retired"})).await.unwrap().status(), StatusCode::OK);
    let (status, code, _) = error(get("/collect/f").send().await.unwrap()).await;
    assert_eq!((status, code.as_str()), (StatusCode::GONE, "api_retired"));
    // Retired survives a restart (compiled from the stored lifecycle).
    let gh = gh.restart();
    let dev = gh.gateways["Development"].clone();
    assert_eq!(caller.get(format!("{dev}/collect/g")).send().await.unwrap().status(), StatusCode::GONE);
    let api = Api::admin(&gh).await;
    assert_eq!(api.call(M::PATCH, "/projects/evil/proxies/collector-v1", Some(json!({"lifecycle": "published"}))).await.unwrap().status(), StatusCode::OK);
    assert_eq!(caller.get(format!("{dev}/collect/h")).send().await.unwrap().status(), StatusCode::OK);
}
