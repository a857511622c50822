//! Several nodes on one PostgreSQL (Debian's, a throwaway server on a port chosen at run time):
//! a full node and a gateway-only node started as the real binary. A deploy through the full
//! node is served by the other before the call answers; each node is listed with what it
//! serves; the gateway-only node serves no console; while PostgreSQL is down the nodes keep
//! serving what they had, and once it is back a change made then reaches both.
mod harness;

use harness::{Api, Gatehouse};
use reqwest::{Client, Method as M, StatusCode};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

async fn status(caller: &Client, url: &str) -> Option<StatusCode> {
    caller.get(url).timeout(Duration::from_secs(2)).send().await.ok().map(|r| r.status())
}

/// Polls `check` every 20 ms until it holds, for at most `bound`.
async fn eventually<F, Fut>(bound: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let until = Instant::now() + bound;
    while !check().await {
        assert!(Instant::now() < until, "{what} did not happen within {bound:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn nodes(api: &Api) -> Vec<Value> {
    let res = api.call(M::GET, "/gateways", None).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.json::<Value>().await.unwrap().as_array().unwrap().clone()
}

fn start_gateway_node(env: &[(&str, &str)]) -> Gatehouse {
    testkit::binary::start_args(env!("CARGO_BIN_EXE_gatehouse"), &["gateway"], env)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deploy_through_one_node_is_served_by_every_node_and_survives_the_database_going_away() {
    let mut pg = testkit::postgres::start();
    let url = pg.create_database("gatehouse");
    let key = "ab".repeat(32);
    let env = [("DATABASE_URL", url.as_str()), ("GATEHOUSE_MASTER_KEY", key.as_str())];
    let console = harness::start_with(&env);
    let node = start_gateway_node(&env);
    let api = Api::admin(&console).await;

    // Both nodes are listed, up, with their roles.
    eventually(Duration::from_secs(5), "both nodes listed", || async { nodes(&api).await.iter().filter(|n| n["up"] == true).count() == 2 }).await;
    let listed = nodes(&api).await;
    let mut roles: Vec<&str> = listed.iter().map(|n| n["role"].as_str().unwrap()).collect();
    roles.sort();
    assert_eq!(roles, ["console+gateway", "gateway"]);
    let on_node = listed.iter().find(|n| n["role"] == "gateway").unwrap();
    assert!(on_node["address"].as_str().unwrap().contains(&node.gateways["Development"]), "{on_node}");

    // The gateway-only node has no console and no REST API, only its health check.
    let plain = Client::new();
    assert_eq!(plain.get(format!("{}/api/v1/health", node.base)).send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(plain.get(format!("{}/api/v1/projects", node.base)).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(plain.get(format!("{}/login", node.base)).send().await.unwrap().status(), StatusCode::NOT_FOUND);

    // Deployed through the full node: the other serves it as soon as the deploy answers,
    // which says so.
    let (caller, dev_console, _) = harness::collector_with_pem(&console).await;
    let dev_node = node.gateways["Development"].clone();
    assert_eq!(status(&caller, &format!("{dev_console}/collect")).await, Some(StatusCode::OK));
    let res = api.call(M::POST, "/projects/evil/proxies/collector-v1/deployments", Some(json!({"environment": "development"}))).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let deployed: Value = res.json().await.unwrap();
    assert_eq!(deployed["live_on"], json!({"nodes": 2, "of": 2}), "{deployed}");
    assert_eq!(status(&caller, &format!("{dev_node}/collect")).await, Some(StatusCode::OK), "served by the other node once the deploy answered");

    // Each node says what it serves: the same version of Development as the latest.
    for n in nodes(&api).await {
        let dev = n["serving"].as_array().unwrap().iter().find(|s| s["name"] == "Development").cloned().unwrap_or_default();
        assert_eq!(dev["lag"], 0, "{n}");
        assert!(dev["applied"].as_i64().unwrap() >= 2, "{n}");
    }

    // Undeployed through the full node: gone from both.
    let res = api.call(M::DELETE, "/projects/evil/proxies/collector-v1/deployments/development", None).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["live_on"], json!({"nodes": 2, "of": 2}));
    assert_eq!(status(&caller, &format!("{dev_node}/collect")).await, Some(StatusCode::NOT_FOUND));
    let res = api.call(M::POST, "/projects/evil/proxies/collector-v1/deployments", Some(json!({"environment": "development"}))).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(status(&caller, &format!("{dev_node}/collect")).await, Some(StatusCode::OK));

    // PostgreSQL goes away: both nodes keep serving what they have.
    pg.stop();
    for _ in 0..20 {
        assert_eq!(status(&caller, &format!("{dev_node}/collect")).await, Some(StatusCode::OK));
        assert_eq!(status(&caller, &format!("{dev_console}/collect")).await, Some(StatusCode::OK));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Back: an undeploy made now (retried while the full node's pool reconnects) reaches the
    // gateway-only node, whose listening connection was lost meanwhile.
    pg.start_again();
    eventually(Duration::from_secs(20), "the undeploy through the full node", || async {
        // 409: an earlier try went through but its answer was lost.
        let res = api.call(M::DELETE, "/projects/evil/proxies/collector-v1/deployments/development", None).await;
        res.is_ok_and(|r| r.status() == StatusCode::OK || r.status() == StatusCode::CONFLICT)
    })
    .await;
    eventually(Duration::from_secs(10), "the gateway-only node caught up", || async {
        status(&caller, &format!("{dev_node}/collect")).await == Some(StatusCode::NOT_FOUND)
    })
    .await;

    // A node stopped politely leaves the list.
    node.terminate();
    eventually(Duration::from_secs(10), "the stopped node off the list", || async { nodes(&api).await.len() == 1 }).await;
}
