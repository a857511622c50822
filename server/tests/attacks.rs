//! Attacks on the real binary, each test named after the attack: one request or a few, each
//! refused or answered safely. Attacks in numbers (slow connections, bursts) are in
//! `attacks_load.rs`.
mod harness;

use harness::{collector, collector_with_pem, start, start_with, trusting, Api};
use reqwest::{Client, Method as M, StatusCode};
use serde_json::{json, Value};
use testkit::raw;

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

/// The status line and the JSON body of a raw HTTP/1.1 answer.
fn parse_answer(answer: &str) -> (String, Value) {
    let status = answer.lines().next().unwrap_or_default().to_string();
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

/// A caller climbs out of the proxy's context path with dot segments, plain or encoded, or hides
/// a separator in an escape: the path is resolved before routing (so `/collect/../../admin` is
/// `/admin`, which no proxy serves) or refused; the backend never sees a path outside its base.
#[tokio::test]
async fn dot_segments_and_encoded_separators_never_leave_the_backends_base_path() {
    let gh = start();
    let (_, dev, pem) = collector_with_pem(&gh).await;
    let config = raw::client_config(&pem, &[b"http/1.1"]);
    let get = |path: &str| format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    for climb in ["/collect/../../admin", "/collect/%2e%2e/%2E%2E/admin", "/collect/./.%2e/admin"] {
        let (status, body) = parse_answer(&raw::exchange(&dev, &config, get(climb).as_bytes()).await);
        assert!(status.contains(" 404 "), "{climb}: {status}");
        assert_eq!(body["error"]["code"], "no_route", "{climb}: {body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("at /admin "), "routed as /admin: {body}");
    }
    let (status, body) = parse_answer(&raw::exchange(&dev, &config, get("/collect/a/../b/./c").as_bytes()).await);
    assert!(status.contains(" 200 "), "{status}");
    assert_eq!(body["path"], "/collect/b/c", "resolved within the context path: {body}");
    for hidden in ["/collect/..%2f..%2fadmin", "/collect/%5c..%5cadmin", "/collect/a%00.json"] {
        let (status, body) = parse_answer(&raw::exchange(&dev, &config, get(hidden).as_bytes()).await);
        assert!(status.contains(" 400 "), "{hidden}: {status}");
        assert_eq!(body["error"]["code"], "bad_request", "{hidden}: {body}");
    }
}

/// Request smuggling: Content-Length and Transfer-Encoding together, with a second request
/// hidden where one reading of the first one's body ends. The gateway reads the chunked body
/// only, never passes a Content-Length on, and closes the connection after its one answer, so
/// the hidden request is never served.
#[tokio::test]
async fn content_length_with_transfer_encoding_cannot_smuggle_a_second_request() {
    let gh = start();
    let (_, dev, pem) = collector_with_pem(&gh).await;
    let config = raw::client_config(&pem, &[b"http/1.1"]);
    let hidden = "GET /collect/smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n";
    let request = format!(
        "POST /collect/first HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n{hidden}",
        5 + hidden.len()
    );
    let answer = raw::exchange(&dev, &config, request.as_bytes()).await;
    assert_eq!(answer.matches("HTTP/1.1 ").count(), 1, "one answer, then the connection closes: {answer}");
    let (status, body) = parse_answer(&answer);
    assert!(status.contains(" 200 "), "{status}");
    assert_eq!(body["path"], "/collect/first");
    assert!(body["headers"].get("content-length").is_none(), "no Content-Length reaches the backend: {body}");
    assert!(!answer.contains("smuggled"));
}

/// A caller forges the forwarding headers (its address, the host, the scheme, a prefix) that
/// backends use for access rules and links: the backend gets the gateway's own instead. Only a
/// caller in GATEHOUSE_TRUSTED_PROXIES has its chain kept, with this hop appended.
#[tokio::test]
async fn forged_forwarding_headers_are_replaced_unless_the_caller_is_a_trusted_proxy() {
    let forged = [
        ("x-forwarded-for", "10.0.0.1"),
        ("x-forwarded-host", "admin.internal"),
        ("x-forwarded-proto", "http"),
        ("x-forwarded-prefix", "/admin"),
        ("x-real-ip", "10.0.0.1"),
        ("forwarded", "for=10.0.0.1;host=admin.internal"),
    ];
    let send = |caller: Client, url: String| async move {
        let mut req = caller.get(url);
        for (name, value) in forged {
            req = req.header(name, value);
        }
        let seen: Value = req.send().await.unwrap().json().await.unwrap();
        seen["headers"].clone()
    };

    let gh = start();
    let (caller, dev) = collector(&gh).await;
    let host = dev.trim_start_matches("https://").to_string();
    let seen = send(caller, format!("{dev}/collect/x")).await;
    assert_eq!(seen["x-forwarded-for"], "127.0.0.1", "{seen}");
    assert_eq!(seen["x-forwarded-host"], host.as_str());
    assert_eq!(seen["x-forwarded-proto"], "https");
    assert_eq!(seen["forwarded"], format!("for=127.0.0.1;proto=https;host=\"{host}\""));
    assert!(seen.get("x-real-ip").is_none() && seen.get("x-forwarded-prefix").is_none(), "{seen}");

    let behind = start_with(&[("GATEHOUSE_TRUSTED_PROXIES", "127.0.0.0/8")]);
    let (caller, dev) = collector(&behind).await;
    let seen = send(caller, format!("{dev}/collect/x")).await;
    assert_eq!(seen["x-forwarded-for"], "10.0.0.1, 127.0.0.1", "{seen}");
    assert_eq!(seen["x-forwarded-host"], "admin.internal");
    assert!(seen["forwarded"].as_str().unwrap().starts_with("for=10.0.0.1;host=admin.internal, for=127.0.0.1;proto=https"), "{seen}");
}

/// "Billion laughs": a 13 KB OpenAPI contract whose YAML aliases stand for billions of values,
/// sent by any signed-in user who can make a project. Before, one took the process from 82 MB
/// to 556 MB; now it is refused with a message saying why, and memory stays where it was.
#[tokio::test]
async fn a_contract_that_yaml_aliases_blow_up_is_refused_and_memory_stays_flat() {
    let gh = start();
    let api = Api::admin(&gh).await;
    assert_eq!(api.call(M::POST, "/projects", Some(json!({"name": "Laughs"}))).await.unwrap().status(), StatusCode::CREATED);
    let mut bomb = String::from("openapi: 3.0.0\ninfo: {title: lol, version: '1'}\npaths: {}\nl0: &l0 [");
    bomb.push_str(&vec!["\"lol lol lol lol lol lol lol lol lol lol lol lol lol lol lol lol lol lol\""; 120].join(","));
    bomb.push_str("]\n");
    for level in 1..=12 {
        let prev = level - 1;
        let refs = vec![format!("*l{prev}"); 40].join(",");
        bomb.push_str(&format!("l{level}: &l{level} [{refs}]\n"));
    }
    assert!(bomb.len() < 16 * 1024, "{} bytes", bomb.len());
    let before = gh.rss_kib();
    let proxy = json!({"name": "Lol", "version": "v1", "context_path": "/lol", "backend_url": "https://127.0.0.1:1/", "contract": bomb});
    let res = api.call(M::POST, "/projects/laughs/proxies", Some(proxy)).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("too many values") && message.contains("aliases"), "{body}");
    let grown = gh.rss_kib().saturating_sub(before);
    assert!(grown < 20 * 1024, "memory grew by {grown} KiB");
    // Nothing half-stored: no proxy was made.
    let listed: Value = api.call(M::GET, "/projects/laughs/proxies", None).await.unwrap().json().await.unwrap();
    assert_eq!(listed["total"], 0, "{listed}");
}

/// Another user on the machine reads the data directory or the master key (which unseals every
/// private key in the database): the directory is made 0700, the key 0600, and a key file
/// others may read stops the start with the fix.
#[test]
fn the_data_directory_and_master_key_are_for_this_user_only() {
    use std::os::unix::fs::PermissionsExt;
    let parent = tempfile::tempdir().unwrap();
    let data = parent.path().join("new").join("data");
    let gh = start_with(&[("GATEHOUSE_DATA_DIR", data.to_str().unwrap())]);
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    let key = data.join("master.key");
    assert_eq!(mode(&key), 0o600);
    drop(gh);

    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .env_clear()
        .env("GATEHOUSE_DATA_DIR", &data)
        .env("GATEHOUSE_PORTAL_ADDR", "127.0.0.1:0")
        .env("GATEHOUSE_GATEWAY_DEVELOPMENT_ADDR", "127.0.0.1:0")
        .env("GATEHOUSE_GATEWAY_PRODUCTION_ADDR", "127.0.0.1:0")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("may be read by other users") && said.contains("chmod 600"), "{said}");
}

/// The console's session cookie sent over plain HTTP, or set by a sibling subdomain: behind a
/// TLS proxy (GATEHOUSE_PUBLIC_URL=https://…) the cookie is `Secure` and `__Host-` (host-only,
/// `Path=/`), which the browser only keeps from https and never lets another host set.
#[tokio::test]
async fn behind_https_the_session_cookie_is_secure_and_host_only() {
    async fn session_cookie(gh: &harness::Gatehouse) -> String {
        let page = reqwest::get(format!("{}/signin", gh.base)).await.unwrap().text().await.unwrap();
        let action = page.split("action=\"").skip(1).filter_map(|rest| rest.split('"').next()).find(|a| a.contains("sign_in")).expect("the sign-in form");
        let client = Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let form = [("email", harness::ADMIN_EMAIL), ("password", harness::ADMIN_PASSWORD)];
        let res = client.post(format!("{}{action}", gh.base)).form(&form).send().await.unwrap();
        let cookies: Vec<String> = res.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_string()).collect();
        cookies.into_iter().find(|c| c.contains("gatehouse_session=")).unwrap_or_else(|| panic!("no session cookie: {:?}", res.headers()))
    }
    let behind_tls = start_with(&[("GATEHOUSE_PUBLIC_URL", "https://console.example.test")]);
    let cookie = session_cookie(&behind_tls).await;
    assert!(cookie.starts_with("__Host-gatehouse_session="), "{cookie}");
    for attribute in ["Secure", "HttpOnly", "Path=/", "SameSite=Lax"] {
        assert!(cookie.split("; ").any(|a| a == attribute), "{attribute} missing: {cookie}");
    }
    assert!(!cookie.contains("Domain="), "{cookie}");

    let local = start();
    let cookie = session_cookie(&local).await;
    assert!(cookie.starts_with("gatehouse_session=") && !cookie.contains("Secure"), "plain HTTP on loopback: {cookie}");
}

/// Someone on the network between a person and the console reads or plants the session
/// cookie, or downgrades the console to plain HTTP: with its own certificate
/// (GATEHOUSE_PORTAL_TLS_CERT/KEY) the console and REST API are served over TLS (HTTP/2 by
/// ALPN, the whole chain), every answer carries HSTS, the session cookie is `Secure` and
/// `__Host-`, and plain HTTP to the port gets no answer; a key that is not the certificate's
/// stops the start, naming the variable.
#[tokio::test]
async fn the_console_over_its_own_tls_sends_hsts_and_only_secure_host_only_cookies() {
    let dir = tempfile::tempdir().unwrap();
    let ca = testkit::pki::ca("Console CA");
    let leaf = testkit::pki::server_leaf(&ca, "localhost");
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_string_lossy().into_owned()
    };
    let (chain, key) = (write("chain.pem", &format!("{}{}", leaf.cert_pem, ca.cert_pem)), write("key.pem", &leaf.key_pem));
    let gh = start_with(&[("GATEHOUSE_PORTAL_TLS_CERT", chain.as_str()), ("GATEHOUSE_PORTAL_TLS_KEY", key.as_str())]);
    let addr: std::net::SocketAddr = gh.base.strip_prefix("https://").unwrap_or_else(|| panic!("not https: {}", gh.base)).parse().unwrap();
    let base = format!("https://localhost:{}", addr.port());
    let client = Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(ca.cert_pem.as_bytes()).unwrap())
        .resolve("localhost", addr)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = client.get(format!("{base}/signin")).send().await.unwrap();
    assert_eq!((res.status(), res.version()), (StatusCode::OK, reqwest::Version::HTTP_2));
    assert_eq!(res.headers()["strict-transport-security"], "max-age=31536000");
    let page = res.text().await.unwrap();
    let action = page.split("action=\"").skip(1).filter_map(|rest| rest.split('"').next()).find(|a| a.contains("sign_in")).expect("the sign-in form");
    let form = [("email", harness::ADMIN_EMAIL), ("password", harness::ADMIN_PASSWORD)];
    let res = client.post(format!("{base}{action}")).form(&form).send().await.unwrap();
    let cookie = res.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_string()).find(|c| c.contains("gatehouse_session=")).unwrap();
    assert!(cookie.starts_with("__Host-gatehouse_session="), "{cookie}");
    for attribute in ["Secure", "HttpOnly", "Path=/", "SameSite=Lax"] {
        assert!(cookie.split("; ").any(|a| a == attribute), "{attribute} missing: {cookie}");
    }
    // The REST API is on the same listener.
    let token = harness::token(&client, &base, harness::ADMIN_EMAIL, harness::ADMIN_PASSWORD).await;
    assert!(!token.is_empty());
    // Plain HTTP to the TLS port: no answer at all, so nothing to downgrade to.
    assert!(reqwest::get(format!("http://{addr}/signin")).await.is_err());
    drop(gh);

    let stranger = testkit::pki::server_leaf(&ca, "other.test");
    let wrong = write("wrong.pem", &stranger.key_pem);
    let data = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .env_clear()
        .env("GATEHOUSE_DATA_DIR", data.path())
        .env("GATEHOUSE_PORTAL_ADDR", "127.0.0.1:0")
        .env("GATEHOUSE_GATEWAY_DEVELOPMENT_ADDR", "127.0.0.1:0")
        .env("GATEHOUSE_GATEWAY_PRODUCTION_ADDR", "127.0.0.1:0")
        .env("GATEHOUSE_PORTAL_TLS_CERT", &chain)
        .env("GATEHOUSE_PORTAL_TLS_KEY", &wrong)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("GATEHOUSE_PORTAL_TLS_KEY is not the key of the certificate in GATEHOUSE_PORTAL_TLS_CERT"), "{said}");
}

/// Anybody who reaches the console reads /metrics (every proxy's name, traffic and errors), and
/// a publisher names a proxy to break the exposition format or a log line: /metrics is not
/// served without GATEHOUSE_METRICS_TOKEN or GATEHOUSE_METRICS_ADDR, and names with quotes,
/// backslashes or control characters are refused.
#[tokio::test]
async fn metrics_are_not_for_anonymous_callers_and_names_cannot_break_out_of_a_label() {
    let gh = start();
    let res = reqwest::get(format!("{}/metrics", gh.base)).await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(res.text().await.unwrap().contains("GATEHOUSE_METRICS_TOKEN"));
    let api = Api::admin(&gh).await;
    for name in ["Evil\" } 1\nfake_metric{a=\"", "back\\slash", "tab\there"] {
        let res = api.call(M::POST, "/projects", Some(json!({"name": name}))).await.unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{name:?}");
    }
    assert_eq!(api.call(M::POST, "/projects", Some(json!({"name": "Plain"}))).await.unwrap().status(), StatusCode::CREATED);
    let proxy = json!({"name": "x\"y", "version": "v1", "context_path": "/x", "backend_url": "https://127.0.0.1:1/"});
    let res = api.call(M::POST, "/projects/plain/proxies", Some(proxy)).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("double quotes, backslashes or control characters"));
}

/// A caller provokes backend failures to map the publisher's network: the error it gets names
/// the code, a short message and the request id, never the backend's host, port or certificate;
/// the publisher finds the full detail, with the fix, by that id.
#[tokio::test]
async fn errors_to_callers_never_name_the_backend_and_the_publisher_finds_the_detail_by_request_id() {
    let gh = start();
    let api = Api::admin(&gh).await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    assert_eq!(api.call(M::POST, "/projects", Some(json!({"name": "Down"}))).await.unwrap().status(), StatusCode::CREATED);
    let url = format!("https://127.0.0.1:{closed}/internal");
    let proxy = json!({"name": "Down", "version": "v1", "context_path": "/down", "backend_url": url});
    assert_eq!(api.call(M::POST, "/projects/down/proxies", Some(proxy)).await.unwrap().status(), StatusCode::CREATED);
    let res = api.call(M::POST, "/projects/down/proxies/down-v1/deployments", Some(json!({"environment": "development"}))).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let envs: Value = api.call(M::GET, "/environments", None).await.unwrap().json().await.unwrap();
    let caller = trusting(envs[0]["gateway_certificate_pem"].as_str().unwrap());

    let res = caller.get(format!("{}/down/x", gh.gateways["Development"])).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_GATEWAY);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "upstream_connect_failed");
    let told = body["error"]["message"].as_str().unwrap();
    assert!(!told.contains("127.0.0.1") && !told.contains(&closed.to_string()) && !told.contains("internal"), "{told}");
    let id = body["error"]["request_id"].as_str().unwrap();

    let failed: Value = api.call(M::GET, "/projects/down/proxies/down-v1/failed-calls", None).await.unwrap().json().await.unwrap();
    let found = failed.as_array().unwrap().iter().find(|f| f["request_id"] == id).unwrap_or_else(|| panic!("{id} not in {failed}"));
    assert_eq!(
        (found["code"].as_str(), found["path"].as_str(), found["environment"].as_str()),
        (Some("upstream_connect_failed"), Some("/down/x"), Some("development"))
    );
    assert!(found["message"].as_str().unwrap().contains(&format!("127.0.0.1:{closed}")), "{found}");
}

/// A publisher points a proxy at the cloud's metadata service (169.254.169.254), whose answers
/// hold the machine's credentials, to read it through the gateway or Check connection: both
/// refuse link-local and metadata addresses, written in the URL or resolved from a name.
#[tokio::test]
async fn backends_on_link_local_or_metadata_addresses_are_refused() {
    let gh = start();
    let api = Api::admin(&gh).await;
    assert_eq!(api.call(M::POST, "/projects", Some(json!({"name": "Meta"}))).await.unwrap().status(), StatusCode::CREATED);
    let proxy = json!({"name": "Meta", "version": "v1", "context_path": "/meta", "backend_url": "http://169.254.169.254/latest/meta-data"});
    assert_eq!(api.call(M::POST, "/projects/meta/proxies", Some(proxy)).await.unwrap().status(), StatusCode::CREATED);
    let res = api.call(M::POST, "/projects/meta/proxies/meta-v1/deployments", Some(json!({"environment": "development"}))).await.unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let body: Value = res.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("169.254.169.254 is link-local"), "{body}");
    let res = api.call(M::POST, "/projects/meta/proxies/meta-v1/endpoints/development/check", None).await.unwrap();
    let report = res.text().await.unwrap();
    assert!(report.contains("169.254.169.254 is link-local"), "{report}");
    // Nothing was served: the path is not routed.
    let envs: Value = api.call(M::GET, "/environments", None).await.unwrap().json().await.unwrap();
    let caller = trusting(envs[0]["gateway_certificate_pem"].as_str().unwrap());
    let res = caller.get(format!("{}/meta/iam", gh.gateways["Development"])).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

/// A signed-in user (or a stolen token) uses Check connection to knock on hosts from the
/// server as fast as it likes: each user gets 30 such calls a minute (Test included), then 429.
#[tokio::test]
async fn check_connection_cannot_knock_on_backends_as_fast_as_one_likes() {
    let gh = start();
    let api = Api::admin(&gh).await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    assert_eq!(api.call(M::POST, "/projects", Some(json!({"name": "Knock"}))).await.unwrap().status(), StatusCode::CREATED);
    let proxy = json!({"name": "Knock", "version": "v1", "context_path": "/knock", "backend_url": format!("http://127.0.0.1:{closed}/")});
    assert_eq!(api.call(M::POST, "/projects/knock/proxies", Some(proxy)).await.unwrap().status(), StatusCode::CREATED);
    let check = "/projects/knock/proxies/knock-v1/endpoints/development/check";
    for i in 0..30 {
        assert_eq!(api.call(M::POST, check, None).await.unwrap().status(), StatusCode::OK, "check {i}");
    }
    let res = api.call(M::POST, check, None).await.unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.text().await.unwrap().contains("try again in"));
}

/// A publisher's backend (or the name it resolves to) sits on a network the operator wants kept
/// out of reach of this environment: an admin's deny list refuses it from the next connection,
/// for a live proxy too; a change that a live backend's own address would break is refused whole;
/// a publisher cannot change the lists.
#[tokio::test]
async fn an_admin_deny_list_cuts_a_live_backend_off_at_once_and_publishers_cannot_lift_it() {
    let gh = start();
    let api = Api::admin(&gh).await;
    let (caller, dev) = collector(&gh).await;
    assert_eq!(caller.get(format!("{dev}/collect/a")).send().await.unwrap().status(), StatusCode::OK);
    let lists = |allow: &[&str], deny: &[&str]| Some(json!({"allowed_destinations": allow, "denied_destinations": deny}));

    // The live backend is written as 127.0.0.1: denying loopback would break it, so nothing changes.
    let res = api.call(M::PATCH, "/environments/development", lists(&[], &["127.0.0.0/8"])).await.unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let body: Value = res.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("Collector v1 cannot be compiled"), "{body}");
    let envs: Value = api.call(M::GET, "/environments", None).await.unwrap().json().await.unwrap();
    assert_eq!(envs[0]["denied_destinations"], json!([]));

    // By name, the backend resolves to loopback: the list is taken, and the next call is refused.
    let endpoint = "/projects/evil/proxies/collector-v1/endpoints/development";
    let mut settings: Value = api.call(M::GET, endpoint, None).await.unwrap().json().await.unwrap();
    settings["url"] = json!(settings["url"].as_str().unwrap().replace("127.0.0.1", "localhost"));
    assert_eq!(api.call(M::PUT, endpoint, Some(settings)).await.unwrap().status(), StatusCode::OK);
    let deploy = api.call(M::POST, "/projects/evil/proxies/collector-v1/deployments", Some(json!({"environment": "development"}))).await.unwrap();
    assert_eq!(deploy.status(), StatusCode::CREATED);
    assert_eq!(caller.get(format!("{dev}/collect/b")).send().await.unwrap().status(), StatusCode::OK);
    let res = api.call(M::PATCH, "/environments/development", lists(&[], &["127.0.0.0/8", "::1"])).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["denied_destinations"], json!(["127.0.0.0/8", "::1/128"]));
    let res = caller.get(format!("{dev}/collect/c")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_GATEWAY);
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_string();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "upstream_connect_failed");
    assert!(!body.to_string().contains("127.0.0.1") && !body.to_string().contains("deny list"), "callers get no detail: {body}");
    let failed: Value = api.call(M::GET, "/projects/evil/proxies/collector-v1/failed-calls", None).await.unwrap().json().await.unwrap();
    assert!(failed.to_string().contains(&request_id) && failed.to_string().contains("on this environment's deny list"), "{failed}");

    // An allow list that does not cover the backend refuses it too; one that does lets it through.
    let res = api.call(M::PATCH, "/environments/development", lists(&["10.0.0.0/8"], &[])).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(caller.get(format!("{dev}/collect/d")).send().await.unwrap().status(), StatusCode::BAD_GATEWAY);
    assert_eq!(api.call(M::PATCH, "/environments/development", lists(&["127.0.0.1", "::1"], &[])).await.unwrap().status(), StatusCode::OK);
    assert_eq!(caller.get(format!("{dev}/collect/e")).send().await.unwrap().status(), StatusCode::OK);

    // A typo is named; a publisher is refused; neither changes anything.
    let res = api.call(M::PATCH, "/environments/development", lists(&["127.0.0.1"], &["10.0.0.0/8", "evil.example"])).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["field"], "denied_destinations", "{body}");
    let publisher = api.new_user("pat@example.test").await;
    let res = publisher.call(M::PATCH, "/environments/development", lists(&[], &[])).await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(caller.get(format!("{dev}/collect/f")).send().await.unwrap().status(), StatusCode::OK);
}

/// Any signed-in user fills the instance with projects (and so with context paths and
/// certificates): only admins create projects unless an admin lets everyone.
#[tokio::test]
async fn only_admins_create_projects_unless_an_admin_lets_everyone() {
    let gh = start();
    let api = Api::admin(&gh).await;
    let user = api.new_user("una@example.test").await;
    let res = user.call(M::POST, "/projects", Some(json!({"name": "Squat"}))).await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.text().await.unwrap().contains("only administrators create projects"));
    let settings: Value = user.call(M::GET, "/settings", None).await.unwrap().json().await.unwrap();
    assert_eq!(settings["project_creation"], "admins");
    assert_eq!(user.call(M::PATCH, "/settings", Some(json!({"project_creation": "everyone"}))).await.unwrap().status(), StatusCode::FORBIDDEN);
    let res = api.call(M::PATCH, "/settings", Some(json!({"project_creation": "anyone"}))).await.unwrap();
    assert!(res.status().is_client_error(), "an unknown value is refused: {}", res.status());
    let res = api.call(M::PATCH, "/settings", Some(json!({"project_creation": "everyone"}))).await.unwrap();
    assert_eq!(res.json::<Value>().await.unwrap()["project_creation"], "everyone");
    let res = user.call(M::POST, "/projects", Some(json!({"name": "Mine"}))).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(res.json::<Value>().await.unwrap()["role"], "owner");
}
