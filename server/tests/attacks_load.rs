//! Attacks that come in numbers or take their time, on the real binary: thousands of slow
//! connections, a stop under load, a burst of password guesses. The other attacks are in
//! `attacks.rs`.
mod harness;

use harness::{collector, collector_with_pem, start, start_with};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;
use testkit::raw;

/// Slowloris: thousands of connections that each send half a request head (over TLS to the
/// gateway, in clear to the portal) or never finish the TLS handshake, or open HTTP/2 and send
/// nothing. Other callers are served all the while, and every slow connection is closed once
/// the header timeout (2 s here) has passed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowloris_connections_are_closed_and_other_callers_are_served_meanwhile() {
    use tokio::io::AsyncWriteExt;
    use tokio::net::TcpStream;
    rlimit::increase_nofile_limit(u64::MAX).unwrap();
    let gh = start_with(&[("GATEHOUSE_HEADER_TIMEOUT", "2")]);
    let (caller, dev, pem) = collector_with_pem(&gh).await;
    let h1 = raw::client_config(&pem, &[b"http/1.1"]);
    let h2 = raw::client_config(&pem, &[b"h2"]);
    let half = b"GET /collect/x HTTP/1.1\r\nHost: localhost\r\nX-Slow: ";

    let opened = std::time::Instant::now();
    let mut tls_slow = Vec::new();
    for _ in 0..1000 {
        let (h1, dev) = (h1.clone(), dev.clone());
        tls_slow.push(tokio::spawn(async move {
            let mut stream = raw::tls(&dev, &h1).await;
            stream.write_all(half).await.unwrap();
            stream.flush().await.unwrap();
            stream
        }));
    }
    let mut tls_slow: Vec<_> = futures_join(tls_slow).await;
    let mut plain_slow = Vec::new();
    for _ in 0..1000 {
        let mut portal = TcpStream::connect(raw::address(&gh.base)).await.unwrap();
        portal.write_all(half).await.unwrap();
        plain_slow.push(portal);
    }
    for _ in 0..200 {
        // TCP only: the TLS handshake never starts.
        plain_slow.push(TcpStream::connect(raw::address(&dev)).await.unwrap());
    }
    let mut silent_h2 = Vec::new();
    for _ in 0..50 {
        silent_h2.push(raw::tls(&dev, &h2).await);
    }
    let held = opened.elapsed();

    // Everybody else is served meanwhile, by the gateway and the portal.
    let started = std::time::Instant::now();
    let res = caller.get(format!("{dev}/collect/ok")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(reqwest::get(format!("{}/signin", gh.base)).await.unwrap().status(), StatusCode::OK);
    assert!(started.elapsed() < Duration::from_secs(2), "callers waited {:?} behind the slow connections", started.elapsed());

    // And every slow connection is closed: 2 s from its opening, whatever the time it took to
    // open them all.
    let bound = Duration::from_secs(4) + held;
    let closed = futures_join(tls_slow.drain(..).map(|mut s| tokio::spawn(async move { raw::closed_within(&mut s, bound).await })).collect()).await;
    assert!(closed.iter().all(|c| *c), "{} half-sent TLS requests still open", closed.iter().filter(|c| !**c).count());
    let closed = futures_join(plain_slow.drain(..).map(|mut s| tokio::spawn(async move { raw::closed_within(&mut s, bound).await })).collect()).await;
    assert!(closed.iter().all(|c| *c), "{} half-sent portal requests or unfinished handshakes still open", closed.iter().filter(|c| !**c).count());
    let closed = futures_join(silent_h2.drain(..).map(|mut s| tokio::spawn(async move { raw::closed_within(&mut s, bound).await })).collect()).await;
    assert!(closed.iter().all(|c| *c), "{} silent HTTP/2 connections still open", closed.iter().filter(|c| !**c).count());
}

/// Every task's result, in order.
async fn futures_join<T>(tasks: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::with_capacity(tasks.len());
    for task in tasks {
        out.push(task.await.unwrap());
    }
    out
}

/// A service manager stops Gatehouse (SIGTERM) while requests are in flight: every request
/// already sent is answered in full, then the process exits cleanly; new connections are no
/// longer taken.
#[tokio::test]
async fn a_stop_under_load_finishes_every_request_already_sent() {
    let mut gh = start();
    let (caller, dev) = collector(&gh).await;
    let mut sent = Vec::new();
    for i in 0..40 {
        let request = caller.get(format!("{dev}/collect/{i}")).header("x-echo-delay-ms", "1500").send();
        sent.push(tokio::spawn(request));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    gh.terminate();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(tokio::net::TcpStream::connect(raw::address(&dev)).await.is_err(), "no new connection is taken once stopping");
    for (i, request) in sent.into_iter().enumerate() {
        let res = request.await.unwrap().unwrap_or_else(|e| panic!("request {i} failed: {e}"));
        assert_eq!(res.status(), StatusCode::OK, "request {i}");
        assert_eq!(res.json::<Value>().await.unwrap()["path"], format!("/collect/{i}"));
    }
    let status = gh.exited_within(Duration::from_secs(10)).expect("gatehouse still running 10 s after SIGTERM");
    assert!(status.success(), "{status:?}");
}

/// 3,000 parallel guesses at the administrator's password, the right one sent into the middle
/// of them. Before, every guess got its own thread and argon2's 19 MiB at once, and all were let
/// in before the first failure was counted. Now the checks run one per core, an account takes
/// at most five checks failed or in flight, so the right password is refused too, and memory
/// stays bounded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_parallel_password_guesses_neither_exhausts_memory_nor_slips_past_the_lock_out() {
    rlimit::increase_nofile_limit(u64::MAX).unwrap();
    let gh = start();
    let pid = gh.pid();
    let before = gh.rss_kib();
    let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(before));
    let sampling = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let (peak, sampling) = (peak.clone(), sampling.clone());
        std::thread::spawn(move || {
            while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                peak.fetch_max(testkit::binary::rss_kib(pid), std::sync::atomic::Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(10));
            }
        })
    };
    let client = Client::new();
    let url = format!("{}/api/v1/tokens", gh.base);
    let guess = |password: String| {
        let request = client.post(&url).json(&json!({"email": harness::ADMIN_EMAIL, "password": password, "name": "guess"}));
        tokio::spawn(async move { request.send().await.map(|res| res.status()) })
    };
    let mut burst: Vec<_> = (0..1500).map(|i| guess(format!("guess number {i}"))).collect();
    let right = guess(harness::ADMIN_PASSWORD.to_string());
    burst.extend((1500..3000).map(|i| guess(format!("guess number {i}"))));
    let mut answered = std::collections::HashMap::new();
    for status in futures_join(burst).await {
        *answered.entry(status.expect("every guess is answered")).or_insert(0) += 1;
    }
    let right = right.await.unwrap().unwrap();
    sampling.store(false, std::sync::atomic::Ordering::Relaxed);
    sampler.join().unwrap();
    assert_eq!(right, StatusCode::TOO_MANY_REQUESTS, "the right password slipped in among the guesses: {answered:?}");
    let checked = answered.get(&StatusCode::UNAUTHORIZED).copied().unwrap_or(0);
    assert!(checked <= 5, "{checked} guesses were checked: {answered:?}");
    assert_eq!(checked + answered.get(&StatusCode::TOO_MANY_REQUESTS).copied().unwrap_or(0), 3000, "{answered:?}");
    let grown = peak.load(std::sync::atomic::Ordering::Relaxed).saturating_sub(before);
    assert!(grown < 150 * 1024, "memory grew by {grown} KiB during the burst");
    // And the account stays locked for now, whatever the password.
    let later = client.post(&url).json(&json!({"email": harness::ADMIN_EMAIL, "password": harness::ADMIN_PASSWORD, "name": "x"})).send().await.unwrap();
    assert_eq!(later.status(), StatusCode::TOO_MANY_REQUESTS);
}
