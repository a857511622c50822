//! Consumers against the real binary: products, subscriptions and their keys over REST, and the
//! gateway's answers to callers with and without keys, through a real TLS backend that reports
//! what it received.
mod harness;

use harness::{collector, start, Api};
use reqwest::{Client, Method as M, StatusCode};
use serde_json::{json, Value};

async fn code(res: reqwest::Response) -> (StatusCode, String, String) {
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    (status, body["error"]["code"].as_str().unwrap_or("").to_string(), body["error"]["message"].as_str().unwrap_or("").to_string())
}

async fn subscribe(api: &Api, name: &str, product: &str) -> (i64, String, String) {
    let res =
        api.call(M::POST, "/projects/evil/subscriptions", Some(json!({"name": name, "product": product, "contact_email": "dev@example.test"}))).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let created: Value = res.json().await.unwrap();
    (created["id"].as_i64().unwrap(), created["primary_key"].as_str().unwrap().into(), created["secondary_key"].as_str().unwrap().into())
}

async fn deploy(api: &Api, proxy: &str) {
    let res = api.call(M::POST, &format!("/projects/evil/proxies/{proxy}/deployments"), Some(json!({"environment": "development"}))).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap());
}

#[tokio::test]
async fn subscription_keys_products_and_limits_at_the_gateway() {
    let gh = start();
    let api = Api::admin(&gh).await;
    let (caller, dev) = collector(&gh).await;
    let get = |caller: &Client, path: &str| caller.get(format!("{dev}{path}"));

    // The Collector proxy asks for a subscription from its next deploy on.
    let access = json!({"access": {"mode": "subscription"}});
    assert_eq!(api.call(M::PATCH, "/projects/evil/proxies/collector-v1", Some(access)).await.unwrap().status(), StatusCode::OK);
    assert_eq!(get(&caller, "/collect/before").send().await.unwrap().status(), StatusCode::OK, "open until deployed");
    deploy(&api, "collector-v1").await;
    let (status, code_, message) = code(get(&caller, "/collect/a").send().await.unwrap()).await;
    assert_eq!((status, code_.as_str()), (StatusCode::UNAUTHORIZED, "subscription_key_missing"));
    assert!(message.contains("api-key header"), "{message}");

    // A second proxy with the same backend, also by subscription, that Gold does not include.
    let endpoint: Value = api.call(M::GET, "/projects/evil/proxies/collector-v1/endpoints/development", None).await.unwrap().json().await.unwrap();
    let other = json!({"name": "Other", "version": "v1", "context_path": "/other", "backend_url": endpoint["url"], "access": {"mode": "subscription"}});
    assert_eq!(api.call(M::POST, "/projects/evil/proxies", Some(other)).await.unwrap().status(), StatusCode::CREATED);
    let settings = json!({"url": endpoint["url"], "endpoint_certificate_ids": endpoint["endpoint_certificate_ids"]});
    assert_eq!(api.call(M::PUT, "/projects/evil/proxies/other-v1/endpoints/development", Some(settings)).await.unwrap().status(), StatusCode::OK);
    deploy(&api, "other-v1").await;

    // Products: bad plans are refused; Gold has a high limit, Tight a low one, Daily a quota.
    let res = api.call(M::POST, "/projects/evil/products", Some(json!({"name": "Zero", "rate_limit": {"requests": 0, "per_seconds": 10}}))).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = api
        .call(
            M::POST,
            "/projects/evil/products",
            Some(json!({"name": "Odd", "rate_limit": {"requests": 100, "per_seconds": 10}, "quota": {"requests": 10, "period": "day"}})),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    for (name, plan) in [
        ("Gold", json!({"rate_limit": {"requests": 1000, "per_seconds": 60}})),
        ("Tight", json!({"rate_limit": {"requests": 2, "per_seconds": 60}})),
        ("Daily", json!({"quota": {"requests": 1, "period": "day"}})),
    ] {
        let mut body = json!({"name": name, "proxies": ["collector-v1"]});
        body.as_object_mut().unwrap().extend(plan.as_object().unwrap().clone());
        assert_eq!(api.call(M::POST, "/projects/evil/products", Some(body)).await.unwrap().status(), StatusCode::CREATED);
    }
    let (id, primary, secondary) = subscribe(&api, "Mobile", "gold").await;

    // The key in the header: through, not forwarded, the subscription named to the backend.
    let seen: Value =
        get(&caller, "/collect/h?x=1").header("api-key", &primary).header("x-gatehouse-subscription", "999").send().await.unwrap().json().await.unwrap();
    assert_eq!(seen["path"], "/collect/h?x=1");
    assert!(seen["headers"].get("api-key").is_none(), "{seen}");
    assert_eq!(seen["headers"]["x-gatehouse-subscription"], id.to_string(), "the caller's own value is replaced");
    assert_eq!(seen["headers"]["x-gatehouse-product"], "gold");
    // In the query: taken out, the rest kept.
    let seen: Value = get(&caller, &format!("/collect/q?a=1&api-key={secondary}&b=2")).send().await.unwrap().json().await.unwrap();
    assert_eq!(seen["path"], "/collect/q?a=1&b=2");
    // Wrong, empty, twice, both places.
    assert_eq!(code(get(&caller, "/collect/w").header("api-key", "gk_wrong").send().await.unwrap()).await.1, "subscription_key_invalid");
    assert_eq!(code(get(&caller, "/collect/w").header("api-key", "").send().await.unwrap()).await.1, "subscription_key_missing");
    let twice = get(&caller, "/collect/w").header("api-key", &primary).header("api-key", &primary).send().await.unwrap();
    assert_eq!(code(twice).await.0, StatusCode::BAD_REQUEST);
    let both = get(&caller, &format!("/collect/w?api-key={primary}")).header("api-key", &primary).send().await.unwrap();
    let (status, _, message) = code(both).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message.contains("not both"), "{message}");
    // Another proxy the product does not include.
    assert_eq!(code(get(&caller, "/other/x").header("api-key", &primary).send().await.unwrap()).await.1, "not_subscribed");

    // Suspended: refused from the next request, no redeploy; resumed: through again.
    let one = format!("/projects/evil/subscriptions/{id}");
    let patch = |state: &str| api.call(M::PATCH, &one, Some(json!({"state": state})));
    assert_eq!(patch("suspended").await.unwrap().status(), StatusCode::OK);
    let (status, code_, _) = code(get(&caller, "/collect/s").header("api-key", &primary).send().await.unwrap()).await;
    assert_eq!((status, code_.as_str()), (StatusCode::FORBIDDEN, "subscription_suspended"));
    assert_eq!(patch("active").await.unwrap().status(), StatusCode::OK);
    assert_eq!(get(&caller, "/collect/s").header("api-key", &primary).send().await.unwrap().status(), StatusCode::OK);

    // Regenerating the primary key: the old one stops, the secondary keeps working meanwhile.
    let res = api.call(M::POST, &format!("/projects/evil/subscriptions/{id}/regenerate"), Some(json!({"key": "primary"}))).await.unwrap();
    let fresh = res.json::<Value>().await.unwrap()["key"].as_str().unwrap().to_string();
    assert_eq!(code(get(&caller, "/collect/r").header("api-key", &primary).send().await.unwrap()).await.1, "subscription_key_invalid");
    assert_eq!(get(&caller, "/collect/r").header("api-key", &secondary).send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(get(&caller, "/collect/r").header("api-key", &fresh).send().await.unwrap().status(), StatusCode::OK);
    // Listing never shows a key.
    let listed = api.call(M::GET, "/projects/evil/subscriptions?state=active", None).await.unwrap().text().await.unwrap();
    assert!(!listed.contains(&fresh) && !listed.contains(&secondary) && listed.contains(&fresh[..10]), "{listed}");

    // A rate limit: 429 with when to come back.
    let (_, tight, _) = subscribe(&api, "Burst", "tight").await;
    for _ in 0..2 {
        assert_eq!(get(&caller, "/collect/t").header("api-key", &tight).send().await.unwrap().status(), StatusCode::OK);
    }
    let res = get(&caller, "/collect/t").header("api-key", &tight).send().await.unwrap();
    let headers = res.headers().clone();
    assert_eq!(code(res).await.1, "rate_limited");
    let retry: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!((headers["ratelimit-limit"].to_str().unwrap(), headers["ratelimit-remaining"].to_str().unwrap()), ("2", "0"));
    assert_eq!(headers["ratelimit-reset"], headers["retry-after"]);
    let usage: Value = api.call(M::GET, &format!("/projects/evil/subscriptions/{id}/usage?days=2"), None).await.unwrap().json().await.unwrap();
    let today = &usage["days"][1];
    assert_eq!(usage["days"].as_array().unwrap().len(), 2);
    // Five calls got through; suspended and not subscribed were refused; unknown keys belong to nobody.
    assert_eq!((today["allowed"].as_u64(), today["refused"].as_u64(), today["rate_limited"].as_u64()), (Some(5), Some(2), Some(0)), "{usage}");
    // A quota.
    let (daily_id, daily, _) = subscribe(&api, "Nightly", "daily").await;
    assert_eq!(get(&caller, "/collect/d").header("api-key", &daily).send().await.unwrap().status(), StatusCode::OK);
    let res = get(&caller, "/collect/d").header("api-key", &daily).send().await.unwrap();
    assert!(res.headers().contains_key("retry-after"));
    assert_eq!(code(res).await.1, "quota_exceeded");

    // The header's name can be changed (at the next deploy); cancelling is final.
    let renamed = json!({"access": {"mode": "subscription", "key_header": "X-Shop-Key", "key_query": "key"}});
    assert_eq!(api.call(M::PATCH, "/projects/evil/proxies/collector-v1", Some(renamed)).await.unwrap().status(), StatusCode::OK);
    deploy(&api, "collector-v1").await;
    assert_eq!(code(get(&caller, "/collect/n").header("api-key", &fresh).send().await.unwrap()).await.1, "subscription_key_missing");
    let seen: Value = get(&caller, "/collect/n").header("x-shop-key", &fresh).send().await.unwrap().json().await.unwrap();
    assert!(seen["headers"].get("x-shop-key").is_none(), "{seen}");
    assert_eq!(get(&caller, &format!("/collect/n?key={fresh}")).send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(patch("cancelled").await.unwrap().status(), StatusCode::OK);
    assert_eq!(code(get(&caller, "/collect/c").header("x-shop-key", &fresh).send().await.unwrap()).await.1, "subscription_key_invalid");
    assert_eq!(patch("active").await.unwrap().status(), StatusCode::CONFLICT);

    let usage: Value = api.call(M::GET, &format!("/projects/evil/subscriptions/{daily_id}/usage?days=1"), None).await.unwrap().json().await.unwrap();
    assert_eq!((usage["days"][0]["allowed"].as_u64(), usage["days"][0]["quota"].as_u64()), (Some(1), Some(1)), "{usage}");

    // Keys survive a restart (they are read back from the database), and so does a used-up quota.
    let (_, after, _) = subscribe(&api, "Restart", "gold").await;
    let gh = gh.restart();
    let dev = gh.gateways["Development"].clone();
    assert_eq!(caller.get(format!("{dev}/collect/x")).header("x-shop-key", &after).send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(code(caller.get(format!("{dev}/collect/x")).header("x-shop-key", &daily).send().await.unwrap()).await.1, "quota_exceeded");
}

/// A client that trusts the gateway and presents `cert` in every handshake.
fn presenting(pem: &str, cert: &testkit::pki::TestCert) -> Client {
    Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).unwrap())
        .identity(reqwest::Identity::from_pem(cert.identity_pem().as_bytes()).unwrap())
        .build()
        .unwrap()
}

#[tokio::test]
async fn client_certificates_call_as_their_subscription_where_a_proxy_accepts_them() {
    use testkit::pki;
    let gh = start();
    let api = Api::admin(&gh).await;
    let (plain, dev, pem) = harness::collector_with_pem(&gh).await;
    assert!(!testkit::raw::asks_for_client_certificate(&dev, &pem).await, "no live proxy accepts certificates: callers are not asked");

    let product = json!({"name": "Gold", "proxies": ["collector-v1"]});
    assert_eq!(api.call(M::POST, "/projects/evil/products", Some(product)).await.unwrap().status(), StatusCode::CREATED);
    // Trusted client CAs: a certificate that is not a CA is refused, whole.
    let (partner, foreign) = (pki::ca("Partner CA"), pki::ca("Foreign CA"));
    let not_a_ca = pki::client_valid("just-a-client", -1, 30);
    let add = |pem: &str| api.call(M::POST, "/projects/evil/certificates", Some(json!({"kind": "client-ca", "certificate_pem": pem})));
    let res = add(&format!("{}{}", partner.cert_pem, not_a_ca.cert_pem)).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("is not a CA"));
    let listed: Value = api.call(M::GET, "/projects/evil/certificates?kind=client-ca", None).await.unwrap().json().await.unwrap();
    assert_eq!(listed["total"], 0, "nothing half-stored: {listed}");
    let res = add(&partner.cert_pem).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let ca_id = res.json::<Value>().await.unwrap()[0]["id"].as_i64().unwrap();

    // Subscriptions bound to the CA, and to one self-signed certificate by fingerprint.
    let subscribe_with = |name: &str, binding: Value| {
        let mut body = json!({"name": name, "product": "gold"});
        body.as_object_mut().unwrap().extend(binding.as_object().unwrap().clone());
        api.call(M::POST, "/projects/evil/subscriptions", Some(body))
    };
    let res = subscribe_with("Partner", json!({"client_ca": ca_id})).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let partner_sub: Value = res.json().await.unwrap();
    assert_eq!(partner_sub["client_certificate"]["ca"]["name"], "Partner CA");
    let pinned = pki::client_valid("pinned-app", -1, 30);
    let fingerprint = pinned.fingerprint();
    let res = subscribe_with("Pinned", json!({"client_certificate_fingerprint": fingerprint.to_lowercase()})).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let pinned_sub: Value = res.json().await.unwrap();
    assert_eq!(pinned_sub["client_certificate"]["fingerprint"], fingerprint, "shown as the store shows fingerprints");
    // Bad bindings: each a clear error naming the field; one CA or certificate calls as one subscription.
    for (binding, status, field) in [
        (json!({"client_certificate_fingerprint": "12:34"}), StatusCode::UNPROCESSABLE_ENTITY, "client_certificate_fingerprint"),
        (json!({"client_certificate_fingerprint": fingerprint, "client_ca": ca_id}), StatusCode::UNPROCESSABLE_ENTITY, "client_certificate_fingerprint"),
        (json!({"client_ca": 999_999}), StatusCode::UNPROCESSABLE_ENTITY, "client_ca"),
        (json!({"client_ca": ca_id}), StatusCode::CONFLICT, ""),
        (json!({"client_certificate_fingerprint": fingerprint}), StatusCode::CONFLICT, ""),
    ] {
        let res = subscribe_with("Again", binding.clone()).await.unwrap();
        assert_eq!(res.status(), status, "{binding}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["field"].as_str().unwrap_or(""), field, "{body}");
    }

    // Access accepts a certificate from the next deploy; the listener now asks, never forces.
    let access = json!({"access": {"mode": "subscription", "client_certificate": true}});
    assert_eq!(api.call(M::PATCH, "/projects/evil/proxies/collector-v1", Some(access)).await.unwrap().status(), StatusCode::OK);
    deploy(&api, "collector-v1").await;
    assert!(testkit::raw::asks_for_client_certificate(&dev, &pem).await, "a live proxy accepts certificates: callers are asked");
    let (status, code_, message) = code(plain.get(format!("{dev}/collect/none")).send().await.unwrap()).await;
    assert_eq!((status, code_.as_str()), (StatusCode::UNAUTHORIZED, "client_certificate_required"), "{message}");
    assert!(message.contains("api-key header"), "a key is named as the other way in: {message}");

    let from_partner = presenting(&pem, &pki::client_issued(&partner, "partner-app", -1, 30));
    let seen: Value = from_partner.get(format!("{dev}/collect/ca")).send().await.unwrap().json().await.unwrap();
    assert_eq!(seen["headers"]["x-gatehouse-subscription"], partner_sub["id"].to_string(), "{seen}");
    let seen: Value = presenting(&pem, &pinned).get(format!("{dev}/collect/pin")).send().await.unwrap().json().await.unwrap();
    assert_eq!(seen["headers"]["x-gatehouse-subscription"], pinned_sub["id"].to_string(), "{seen}");
    let from_foreign = presenting(&pem, &pki::client_issued(&foreign, "intruder", -1, 30));
    let (status, code_, _) = code(from_foreign.get(format!("{dev}/collect/foreign")).send().await.unwrap()).await;
    assert_eq!((status, code_.as_str()), (StatusCode::FORBIDDEN, "client_certificate_not_subscribed"));
    let expired = presenting(&pem, &pki::client_issued(&partner, "old-app", -30, -1));
    let (status, code_, message) = code(expired.get(format!("{dev}/collect/old")).send().await.unwrap()).await;
    assert_eq!((status, code_.as_str()), (StatusCode::UNAUTHORIZED, "client_certificate_required"));
    assert!(message.contains("expired"), "{message}");
    // A key still works beside a certificate: the key decides.
    let seen: Value = from_partner
        .get(format!("{dev}/collect/key"))
        .header("api-key", pinned_sub["primary_key"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(seen["headers"]["x-gatehouse-subscription"], pinned_sub["id"].to_string());

    // Suspending holds from the next request on the same connection, with no redeploy.
    let one = format!("/projects/evil/subscriptions/{}", partner_sub["id"]);
    assert_eq!(api.call(M::PATCH, &one, Some(json!({"state": "suspended"}))).await.unwrap().status(), StatusCode::OK);
    assert_eq!(code(from_partner.get(format!("{dev}/collect/s")).send().await.unwrap()).await.1, "subscription_suspended");
    // The CA cannot leave the store while a subscription is bound to it; unbinding frees it.
    let res = api.call(M::DELETE, &format!("/projects/evil/certificates/{ca_id}"), None).await.unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("the subscription of Partner"));
    let unbound: Value = api.call(M::PATCH, &one, Some(json!({"client_ca": null}))).await.unwrap().json().await.unwrap();
    assert!(unbound["client_certificate"].is_null(), "{unbound}");
    assert_eq!(api.call(M::DELETE, &format!("/projects/evil/certificates/{ca_id}"), None).await.unwrap().status(), StatusCode::NO_CONTENT);

    // Certificates off again: not accepted, and callers are no longer asked.
    let access = json!({"access": {"mode": "subscription", "client_certificate": false}});
    assert_eq!(api.call(M::PATCH, "/projects/evil/proxies/collector-v1", Some(access)).await.unwrap().status(), StatusCode::OK);
    deploy(&api, "collector-v1").await;
    let fresh = presenting(&pem, &pinned);
    assert_eq!(code(fresh.get(format!("{dev}/collect/off")).send().await.unwrap()).await.1, "subscription_key_missing");
    assert!(!testkit::raw::asks_for_client_certificate(&dev, &pem).await);
}
