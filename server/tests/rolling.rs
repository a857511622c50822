//! Three nodes on one PostgreSQL behind Debian's HAProxy (testkit::haproxy: TCP passthrough,
//! health checks on each node's /api/v1/ready), as the README runs them. A deploy through one
//! node is served by all three; then, under steady load through HAProxy over HTTP/1.1 and
//! HTTP/2, each node in turn is stopped (SIGTERM, GATEHOUSE_DRAIN_DELAY=1) and started again on
//! the same addresses, and not one request fails: a draining node says 503 on /ready, HAProxy
//! stops sending it callers, its HTTP/1.1 answers say `Connection: close` and its HTTP/2
//! connections get a GOAWAY, and it still serves whoever reaches it until it stops. Then
//! PostgreSQL stops for two seconds under the same load (nothing fails), and once it is back
//! an undeploy reaches all three.
mod harness;

use harness::{Api, Gatehouse};
use reqwest::{Client, Method as M, StatusCode};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use testkit::haproxy;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// What the callers through HAProxy saw.
#[derive(Default)]
struct Seen {
    ok: AtomicUsize,
    failures: Mutex<Vec<String>>,
}

/// A caller that calls `url` back to back until `done`, on one connection at a time (HTTP/2 when
/// `h2`), as a busy API consumer does.
fn caller(pem: &str, url: String, h2: bool, seen: Arc<Seen>, done: Arc<AtomicBool>) -> tokio::task::JoinHandle<()> {
    let builder = Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).unwrap())
        .pool_max_idle_per_host(1)
        .timeout(Duration::from_secs(10));
    let client = if h2 { builder.http2_prior_knowledge() } else { builder.http1_only() }.build().unwrap();
    tokio::spawn(async move {
        while !done.load(Ordering::Relaxed) {
            match client.get(&url).send().await {
                Ok(res) if res.status() == StatusCode::OK => match res.bytes().await {
                    Ok(_) => _ = seen.ok.fetch_add(1, Ordering::Relaxed),
                    Err(e) => seen.failures.lock().unwrap().push(format!("h2={h2}: body: {e:?}")),
                },
                Ok(res) => seen.failures.lock().unwrap().push(format!("h2={h2}: {}", res.status())),
                Err(e) => seen.failures.lock().unwrap().push(format!("h2={h2}: {e:?}")),
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
}

async fn status(client: &Client, url: &str) -> Option<StatusCode> {
    client.get(url).timeout(Duration::from_secs(2)).send().await.ok().map(|r| r.status())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_behind_haproxy_restart_one_after_the_other_under_load_without_a_failed_request() {
    let mut pg = testkit::postgres::start();
    let url = pg.create_database("gatehouse");
    let key = "ef".repeat(32);
    let ports: Vec<(u16, u16)> = (0..3).map(|_| (free_port(), free_port())).collect();
    let env_of = |(gateway, portal): (u16, u16)| -> Vec<(String, String)> {
        vec![
            ("DATABASE_URL".into(), url.clone()),
            ("GATEHOUSE_MASTER_KEY".into(), key.clone()),
            ("GATEHOUSE_PORTAL_ADDR".into(), format!("127.0.0.1:{portal}")),
            ("GATEHOUSE_GATEWAY_DEVELOPMENT_ADDR".into(), format!("127.0.0.1:{gateway}")),
            ("GATEHOUSE_GATEWAY_THREADS".into(), "1".into()),
            ("GATEHOUSE_DRAIN_DELAY".into(), "1".into()),
        ]
    };
    let start = |i: usize| -> Gatehouse {
        let env = env_of(ports[i]);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let exe = env!("CARGO_BIN_EXE_gatehouse");
        if i == 0 {
            testkit::binary::start_with(exe, &env)
        } else {
            testkit::binary::start_args(exe, &["gateway"], &env)
        }
    };
    // node1 has the console; node2 and node3 are `gatehouse gateway`.
    let mut nodes: Vec<Option<Gatehouse>> = (0..3).map(|i| Some(start(i))).collect();
    let node = |nodes: &[Option<Gatehouse>], i: usize| nodes[i].as_ref().unwrap().gateways["Development"].clone();

    // Deployed through node1: live on all three, each serving it.
    let console = nodes[0].as_ref().unwrap();
    let api = Api::admin(console).await;
    let (direct, _, pem) = harness::collector_with_pem(console).await;
    let res = api.call(M::DELETE, "/projects/evil/proxies/collector-v1/deployments/development", None).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = api.call(M::POST, "/projects/evil/proxies/collector-v1/deployments", Some(json!({"environment": "development"}))).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(res.json::<Value>().await.unwrap()["live_on"], json!({"nodes": 3, "of": 3}));
    for i in 0..3 {
        assert_eq!(status(&direct, &format!("{}/collect", node(&nodes, i))).await, Some(StatusCode::OK), "node{} serves the deploy", i + 1);
    }

    let balancer = haproxy::start(
        &(0..3).map(|i| haproxy::Node { name: format!("node{}", i + 1), gateway_port: ports[i].0, portal_port: ports[i].1 }).collect::<Vec<_>>(),
    );
    balancer.wait_for_up(&["node1", "node2", "node3"], Duration::from_secs(10));
    let h1 = Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).unwrap())
        .http1_only()
        .build()
        .unwrap();
    let through = format!("https://127.0.0.1:{}/collect", balancer.port);
    assert_eq!(status(&direct, &through).await, Some(StatusCode::OK));

    // Steady load through HAProxy: three HTTP/1.1 callers, three HTTP/2 callers.
    let (seen, done) = (Arc::new(Seen::default()), Arc::new(AtomicBool::new(false)));
    let callers: Vec<_> = (0..6).map(|i| caller(&pem, through.clone(), i % 2 == 1, seen.clone(), done.clone())).collect();
    tokio::time::sleep(Duration::from_millis(300)).await;

    // The gateway-only nodes first, then the one with the console.
    for i in [1, 2, 0] {
        let name = format!("node{}", i + 1);
        let others: Vec<String> = (0..3).filter(|j| *j != i).map(|j| format!("node{}", j + 1)).collect();
        let before = seen.ok.load(Ordering::Relaxed);
        let (gateway_url, ready_url) = (format!("{}/collect", node(&nodes, i)), format!("http://127.0.0.1:{}/api/v1/ready", ports[i].1));
        let plain = Client::new();
        assert_eq!(status(&plain, &ready_url).await, Some(StatusCode::OK));

        let stopping = nodes[i].take().unwrap();
        stopping.terminate();
        let draining = Instant::now();
        // Draining: not ready, still serving whoever reaches it, and HAProxy moves callers away.
        let until = Instant::now() + Duration::from_millis(500);
        while status(&plain, &ready_url).await != Some(StatusCode::SERVICE_UNAVAILABLE) {
            assert!(Instant::now() < until, "{name}'s /api/v1/ready did not turn 503 when it began to stop");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let res = h1.get(&gateway_url).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{name} serves while it drains");
        assert_eq!(res.headers().get("connection").map(|v| v.to_str().unwrap()), Some("close"), "{name} tells HTTP/1.1 callers to move");
        let others: Vec<&str> = others.iter().map(String::as_str).collect();
        balancer.wait_for_up(&others, Duration::from_millis(700));
        assert!(draining.elapsed() < Duration::from_secs(1), "HAProxy took {name} out before its drain delay ended");

        // Stopped, started again on the same addresses, and back in HAProxy.
        let started = tokio::task::spawn_blocking(move || stopping.start_again(Duration::from_secs(15))).await.unwrap();
        nodes[i] = Some(started);
        assert_eq!(status(&direct, &gateway_url).await, Some(StatusCode::OK), "{name} serves the deploy again once it is up");
        balancer.wait_for_up(&["node1", "node2", "node3"], Duration::from_secs(10));
        tokio::time::sleep(Duration::from_millis(200)).await;
        let during = seen.ok.load(Ordering::Relaxed) - before;
        assert!(during > 100, "callers were served while {name} restarted: {during}");
        let failures = seen.failures.lock().unwrap().clone();
        assert!(failures.is_empty(), "requests failed while {name} restarted: {failures:#?}");
    }
    // PostgreSQL goes away for two seconds under the same load: every node serves what it has.
    let before = seen.ok.load(Ordering::Relaxed);
    pg.stop();
    tokio::time::sleep(Duration::from_secs(2)).await;
    pg.start_again();
    assert!(seen.ok.load(Ordering::Relaxed) - before > 100, "callers were served while PostgreSQL was down");
    done.store(true, Ordering::Relaxed);
    for c in callers {
        c.await.unwrap();
    }
    let failures = seen.failures.lock().unwrap().clone();
    println!("{} requests through HAProxy across three rolling restarts, {} failed", seen.ok.load(Ordering::Relaxed), failures.len());
    assert!(failures.is_empty(), "{} of {} requests failed: {failures:#?}", failures.len(), seen.ok.load(Ordering::Relaxed) + failures.len());

    // PostgreSQL is back: an undeploy through node1 (retried while its pool reconnects) reaches
    // all three.
    let api = Api::admin(nodes[0].as_ref().unwrap()).await;
    let until = Instant::now() + Duration::from_secs(20);
    loop {
        let res = api.call(M::DELETE, "/projects/evil/proxies/collector-v1/deployments/development", None).await;
        // 409: an earlier try went through but its answer was lost.
        if res.is_ok_and(|r| r.status() == StatusCode::OK || r.status() == StatusCode::CONFLICT) {
            break;
        }
        assert!(Instant::now() < until, "the undeploy after PostgreSQL came back");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for i in 0..3 {
        let url = format!("{}/collect", node(&nodes, i));
        let until = Instant::now() + Duration::from_secs(10);
        while status(&direct, &url).await != Some(StatusCode::NOT_FOUND) {
            assert!(Instant::now() < until, "node{} caught up with the undeploy", i + 1);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    // All three listed again (each left the list when it stopped and came back when it started).
    let res = api.call(M::GET, "/gateways", None).await.unwrap();
    let listed: Vec<Value> = res.json().await.unwrap();
    assert_eq!(listed.iter().filter(|n| n["up"] == true).count(), 3, "{listed:#?}");
}
