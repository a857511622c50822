//! The gateway end to end on loopback: real listeners on ports chosen at run time, real TLS on
//! both sides, a backend that requires a client certificate, certificates made now.
use super::*;
use serde_json::Value;
use std::time::Duration;
use testkit::backend::echo as backend;
use testkit::pki::{self, TestCert};

/// A CA, a server certificate for localhost and 127.0.0.1 it issued, and a self-signed client
/// certificate.
fn pki() -> (TestCert, TestCert, TestCert) {
    let ca = pki::ca("Backend CA");
    let leaf = pki::server_leaf(&ca, "localhost");
    (ca, leaf, pki::ecdsa_client("gatehouse-dev"))
}

pub(crate) fn spec(name: &str, context_path: &str, url: String, trusted: &TestCert, client: Option<&TestCert>, read_timeout_ms: u32) -> RouteSpec {
    RouteSpec {
        proxy_id: 1,
        name: name.into(),
        context_path: context_path.into(),
        upstream: UpstreamSettings {
            url,
            trusted: vec![("Backend CA".into(), vec![trusted.cert_der()])],
            verify_hostname: true,
            verify_chain: true,
            client: client.map(|c| ClientIdentity { name: "gatehouse-dev".into(), chain: vec![c.cert_der()], key: c.key_der() }),
            connect_timeout_ms: 1_000,
            read_timeout_ms,
            tls: Default::default(),
            destinations: Default::default(),
        },
        access: Default::default(),
        policies: Vec::new(),
        lifecycle: Default::default(),
    }
}

/// A gateway with a Development listener on a free port, and a client that trusts it.
async fn gateway() -> (Gateway, String, reqwest::Client) {
    gateway_with_threads(2).await
}

/// As `gateway`, with this many gateway threads.
pub(crate) async fn gateway_with_threads(threads: usize) -> (Gateway, String, reqwest::Client) {
    let identity = pki::self_signed_server("localhost");
    let listener = ListenerSpec {
        slug: "development".into(),
        name: "Development".into(),
        addr: "127.0.0.1:0".parse().unwrap(),
        edge: crate::edge::EdgeSpec {
            default: crate::edge::Identity { chain: vec![identity.cert_der()], key: identity.key_der() },
            domains: Vec::new(),
            tls: Default::default(),
        },
    };
    let gateway = Gateway::start(vec![listener], &Settings { threads, ..Settings::default() }, Stop::default()).unwrap();
    let base = gateway.base_url("development").unwrap();
    let client = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(identity.cert_pem.as_bytes()).unwrap())
        .build()
        .unwrap();
    (gateway, base, client)
}

async fn json(res: reqwest::Response) -> Value {
    res.json().await.unwrap()
}

#[tokio::test]
async fn routes_by_longest_prefix_over_mutual_tls_with_forwarding_headers() {
    let (ca, leaf, client_cert) = pki();
    let port = backend(&leaf, Some(&client_cert), Duration::ZERO).await;
    let (gw, base, client) = gateway().await;
    let specs = vec![
        spec("Weather", "/weather", format!("https://127.0.0.1:{port}/api"), &ca, Some(&client_cert), 2_000),
        spec("Weather v1", "/weather/v1", format!("https://localhost:{port}/v1api/"), &ca, Some(&client_cert), 2_000),
    ];
    assert_eq!(gw.publish("development", specs).unwrap(), 2);

    let res = client.get(format!("{base}/weather/v1/current?q=x")).header("connection", "keep-alive, x-secret").header("x-secret", "hop").send().await.unwrap();
    assert_eq!(res.status(), 200);
    let echoed_id = res.headers()["x-request-id"].to_str().unwrap().to_string();
    let seen = json(res).await;
    assert_eq!(seen["path"], "/v1api/current?q=x");
    assert_eq!(seen["host"], format!("localhost:{port}"));
    assert_eq!(seen["xff"], "127.0.0.1");
    assert_eq!(seen["proto"], "https");
    assert_eq!(seen["request_id"], echoed_id.as_str());
    let seen = json(client.get(format!("{base}/weather/other")).send().await.unwrap()).await;
    assert_eq!(seen["path"], "/api/other");
    // A prefix only matches whole segments.
    let res = client.get(format!("{base}/weatherman")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let body = json(res).await;
    assert_eq!(body["error"]["code"], "no_route");
    assert!(body["error"]["request_id"].as_str().is_some_and(|id| id.len() == 32));

    let text = gw.metrics.render();
    assert!(text.contains(r#"gatehouse_gateway_requests_total{environment="development",proxy_id="1",proxy="Weather v1",status="2xx"} 1"#), "{text}");
    assert!(text.contains(r#"gatehouse_gateway_requests_total{environment="development",proxy_id="1",proxy="Weather",status="2xx"} 1"#), "{text}");
    assert!(text.contains(r#"gatehouse_gateway_no_route_total{environment="development"} 1"#), "{text}");
    assert!(text.contains(r#"gatehouse_gateway_request_duration_seconds_count{environment="development",proxy_id="1",proxy="Weather"} 1"#), "{text}");
}

/// HTTP/2 callers (`http2`): request bodies reach the backend whole, past the connection's 1 MiB window
/// (read without giving the room back, they would stall), and many requests on one connection
/// are answered at once, each with what it asked for.
#[tokio::test]
async fn http2_callers_send_bodies_through_and_many_requests_share_a_connection() {
    let (ca, leaf, client_cert) = pki();
    let port = backend(&leaf, Some(&client_cert), Duration::ZERO).await;
    let (gw, base, client) = gateway().await;
    gw.publish("development", vec![spec("Echo", "/echo", format!("https://localhost:{port}/api"), &ca, Some(&client_cert), 5_000)]).unwrap();
    let big = "0123456789abcdef".repeat(200 * 1024 + 1);
    let res = client.post(format!("{base}/echo/up")).body(big.clone()).send().await.unwrap();
    assert_eq!(res.version(), reqwest::Version::HTTP_2);
    assert_eq!(res.status(), 200);
    assert!(res.headers().contains_key("date") && res.headers().contains_key("x-request-id"));
    let seen = json(res).await;
    assert_eq!(seen["path"], "/api/up");
    assert_eq!(seen["body"].as_str().map(str::len), Some(big.len()));
    assert!(seen["body"] == big.as_str());
    // Slower answers first: they come back in whatever order they finish, all on one connection.
    let calls: Vec<_> = (0..24)
        .map(|i| {
            let (client, url) = (client.clone(), format!("{base}/echo/n{i}"));
            tokio::spawn(async move { client.get(url).header("x-echo-delay-ms", format!("{}", 50 - 2 * i)).send().await.unwrap() })
        })
        .collect();
    for (i, call) in calls.into_iter().enumerate() {
        let res = call.await.unwrap();
        assert_eq!((res.version(), res.status()), (reqwest::Version::HTTP_2, reqwest::StatusCode::OK));
        assert_eq!(json(res).await["path"], format!("/api/n{i}"));
    }
    let res = client.get(format!("{base}/nowhere")).send().await.unwrap();
    assert_eq!((res.version(), res.status()), (reqwest::Version::HTTP_2, reqwest::StatusCode::NOT_FOUND));
    assert!(res.headers().contains_key("date") && res.headers().contains_key("content-length"), "{:?}", res.headers());
}

#[tokio::test]
async fn route_lookup_takes_the_longest_context_path_on_whole_segments() {
    let (ca, _, _) = pki();
    let metrics = Metrics::new();
    let specs = ["/a", "/a/b", "/a/b/c.d", "/x/y"]
        .iter()
        .zip(1..)
        .map(|(path, id)| RouteSpec { proxy_id: id, ..spec(path, path, "https://backend.test/base".into(), &ca, None, 1_000) });
    let table = RouteTable::compile(specs.collect(), "development", "https://127.0.0.1:8443", &metrics).unwrap();
    let found = |path: &'static str| table.find(path).map(|(route, rest)| (route.context_path.as_str(), rest));
    assert_eq!(found("/a"), Some(("/a", "")));
    assert_eq!(found("/a/"), Some(("/a", "/")));
    assert_eq!(found("/a/bc"), Some(("/a", "/bc")));
    assert_eq!(found("/a/b/c.d/e/f"), Some(("/a/b/c.d", "/e/f")));
    assert_eq!(found("/a/b/c"), Some(("/a/b", "/c")));
    assert_eq!(found("/x/y/"), Some(("/x/y", "/")));
    assert_eq!(found("/x"), None);
    assert_eq!(found("/ab"), None);
    assert_eq!(found("/"), None);
    let route = table.find("/a/b").unwrap().0;
    assert_eq!((route.origin().as_str(), route.host.to_str().unwrap()), ("https://backend.test/base", "backend.test"));
    assert_eq!(table.without(2).find("/a/b/c").map(|(r, _)| r.context_path.as_str()), Some("/a"));

    // A redeploy replaces the proxy's own route; another proxy at a live path is refused.
    let compile = |id: i32, name: &str, path: &str| {
        Route::compile(
            RouteSpec { proxy_id: id, ..spec(name, path, "https://backend.test/v2".into(), &ca, None, 1_000) },
            "development",
            "https://127.0.0.1:8443",
            &metrics,
        )
        .unwrap()
    };
    let redeployed = table.with(compile(2, "B v2", "/a/b")).unwrap();
    assert_eq!((redeployed.len(), redeployed.find("/a/b").unwrap().0.origin().as_str()), (4, "https://backend.test/v2"));
    let clash = table.with(compile(9, "Other", "/a/b")).map(|_| ()).unwrap_err().to_string();
    assert!(clash.contains("/a/b and Other would both be live at /a/b"), "{clash}");
    let moved = table.with(compile(2, "B moved", "/b")).unwrap();
    assert_eq!((moved.len(), moved.find("/a/b/c").unwrap().0.context_path.as_str(), moved.find("/b").is_some()), (4, "/a", true));
}

#[tokio::test]
async fn upstream_failures_come_back_as_codes_with_their_fix() {
    let (ca, leaf, client_cert) = pki();
    let strict = backend(&leaf, Some(&client_cert), Duration::ZERO).await;
    let slow = backend(&leaf, None, Duration::from_millis(800)).await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (gw, base, client) = gateway().await;
    let specs = vec![
        spec("No client cert", "/strict", format!("https://127.0.0.1:{strict}"), &ca, None, 2_000),
        spec("Slow", "/slow", format!("https://127.0.0.1:{slow}"), &ca, None, 200),
        spec("Down", "/down", format!("https://127.0.0.1:{closed}"), &ca, None, 2_000),
    ];
    gw.publish("development", specs).unwrap();
    for (path, status, code) in
        [("/strict/x", 502, "upstream_tls_client_cert_required"), ("/slow", 504, "upstream_timeout"), ("/down", 502, "upstream_connect_failed")]
    {
        let res = client.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(res.status(), status, "{path}");
        let body = json(res).await;
        assert_eq!(body["error"]["code"], code, "{path}: {body}");
        // The caller learns what went wrong, not where: the detail is the publisher's, by id.
        let told = body["error"]["message"].as_str().unwrap();
        assert!(!told.contains("127.0.0.1") && !told.contains(&strict.to_string()) && !told.contains("gatehouse-dev"), "{path}: {told}");
        let detail = gw.failed_request(body["error"]["request_id"].as_str().unwrap()).expect("kept for the publisher");
        assert_eq!((detail.code, detail.path.as_str()), (code, path));
        assert!(detail.message.contains("127.0.0.1"), "{}", detail.message);
    }
    assert_eq!(gw.failed_requests(1, 10).len(), 3);
    let text = gw.metrics.render();
    assert!(
        text.contains(r#"gatehouse_gateway_upstream_errors_total{environment="development",proxy_id="1",proxy="Slow",code="upstream_timeout"} 1"#),
        "{text}"
    );
}

#[tokio::test]
async fn a_table_that_fails_to_compile_is_refused_and_in_flight_requests_finish_on_theirs() {
    let (ca, leaf, client_cert) = pki();
    let slow = backend(&leaf, None, Duration::from_millis(400)).await;
    let (gw, base, client) = gateway().await;
    gw.publish("development", vec![spec("Slow", "/slow", format!("https://127.0.0.1:{slow}"), &ca, None, 5_000)]).unwrap();

    let broken = spec("Broken", "/broken", "not a url".into(), &ca, Some(&client_cert), 1_000);
    let err = gw.publish("development", vec![broken]).unwrap_err();
    assert!(err.to_string().contains("Broken cannot be compiled"), "{err}");
    assert_eq!(client.get(format!("{base}/slow")).send().await.unwrap().status(), 200, "the old table still serves");

    // Start a request, swap in an empty table while it waits on the backend.
    let in_flight = tokio::spawn({
        let (client, base) = (client.clone(), base.clone());
        async move { client.get(format!("{base}/slow/started")).send().await.unwrap().status() }
    });
    tokio::time::sleep(Duration::from_millis(150)).await;
    gw.publish("development", Vec::new()).unwrap();
    assert_eq!(in_flight.await.unwrap(), 200, "finished on the table it started with");
    assert_eq!(client.get(format!("{base}/slow")).send().await.unwrap().status(), 404, "new requests see the new table");
}

#[test]
fn listen_addresses_default_per_environment_and_a_bad_one_is_named() {
    let slugs = vec!["development".to_string(), "production".to_string(), "staging".to_string()];
    let found = addresses(&slugs, |_| None).unwrap();
    assert_eq!(found["development"].to_string(), "127.0.0.1:8443");
    assert_eq!(found["production"].to_string(), "127.0.0.1:9443");
    assert!(!found.contains_key("staging"), "no default for other environments");
    let set = addresses(&slugs, |name| (name == "GATEHOUSE_GATEWAY_STAGING_ADDR").then(|| "127.0.0.1:7443".to_string())).unwrap();
    assert_eq!(set["staging"].port(), 7443);
    let err = addresses(&slugs, |name| (name == "GATEHOUSE_GATEWAY_PRODUCTION_ADDR").then(|| "nine".to_string())).unwrap_err();
    assert!(err.starts_with("GATEHOUSE_GATEWAY_PRODUCTION_ADDR must be host:port"), "{err}");
}

#[tokio::test]
async fn swapping_route_tables_under_a_steady_stream_of_requests_loses_none() {
    let (ca, leaf, client_cert) = pki();
    let port = backend(&leaf, Some(&client_cert), Duration::ZERO).await;
    let (gw, base, client) = gateway().await;
    let route = |n: usize| spec("Steady", "/steady", format!("https://127.0.0.1:{port}/v{}", n % 2), &ca, Some(&client_cert), 2_000);
    gw.upsert("development", route(0)).unwrap();
    let senders: Vec<_> = (0..4)
        .map(|_| {
            let (client, base) = (client.clone(), base.clone());
            tokio::spawn(async move {
                let mut failed = 0;
                for _ in 0..100 {
                    let ok = client.get(format!("{base}/steady/x")).send().await.is_ok_and(|r| r.status() == 200);
                    failed += usize::from(!ok);
                }
                failed
            })
        })
        .collect();
    for n in 1..=50 {
        gw.upsert("development", route(n)).unwrap();
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let mut failed = 0;
    for sender in senders {
        failed += sender.await.unwrap();
    }
    assert_eq!(failed, 0, "no request may fail while tables are swapped");
    assert_eq!(gw.get("development").unwrap().routes().len(), 1);
}
