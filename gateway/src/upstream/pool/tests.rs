//! The pool through a real gateway (one gateway thread, so one pool's connections) to real
//! backends on loopback, counting the connections each backend accepts.
use crate::tests::{gateway_with_threads, spec};
use crate::Control;
use bytes::Bytes;
use http_body_util::{Either, Full};
use hyper::body::Frame;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use testkit::pki;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A body of "first", then nothing for ten seconds, then "rest": an answer still streaming.
struct Slow {
    sent: u8,
    pause: Pin<Box<tokio::time::Sleep>>,
}

impl hyper::body::Body for Slow {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.sent {
            0 => {
                self.sent = 1;
                Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(b"first")))))
            }
            1 => {
                std::task::ready!(self.pause.as_mut().poll(cx));
                self.sent = 2;
                Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(b"rest")))))
            }
            _ => Poll::Ready(None),
        }
    }
}

/// A body of these pieces, of no length known beforehand (sent chunked).
struct Chunks(std::collections::VecDeque<Bytes>);

impl hyper::body::Body for Chunks {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.0.pop_front().map(|piece| Ok(Frame::data(piece))))
    }
}

/// A backend (HTTP/2 or HTTP/1.1 by ALPN over TLS when `tls` is given, else plain HTTP/1.1)
/// that answers `/echo` with the request's body, `/empty` with 204, `/slow` with `Slow` and anything else with "hello"; and how
/// many connections it has accepted.
async fn counting_backend(tls: Option<rustls::ServerConfig>) -> (u16, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let acceptor = tls.map(|mut config| {
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        tokio_rustls::TlsAcceptor::from(Arc::new(config))
    });
    let counter = accepted.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(|req: hyper::Request<hyper::body::Incoming>| async move {
                    if req.uri().path() == "/echo" {
                        let body = http_body_util::BodyExt::collect(req.into_body()).await.map(|b| b.to_bytes()).unwrap_or_default();
                        return Ok(hyper::Response::new(Either::Left(Full::new(body))));
                    }
                    let mut answer = hyper::Response::new(match req.uri().path() {
                        "/slow" => Either::Right(Slow { sent: 0, pause: Box::pin(tokio::time::sleep(Duration::from_secs(10))) }),
                        "/empty" => Either::Left(Full::new(Bytes::new())),
                        _ => Either::Left(Full::new(Bytes::from_static(b"hello"))),
                    });
                    if req.uri().path() == "/empty" {
                        *answer.status_mut() = hyper::StatusCode::NO_CONTENT;
                    }
                    Ok::<_, Infallible>(answer)
                });
                let builder = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
                let _ = match &acceptor {
                    None => builder.serve_connection(hyper_util::rt::TokioIo::new(tcp), service).await,
                    Some(acceptor) => {
                        let Ok(tls) = acceptor.accept(tcp).await else { return };
                        builder.serve_connection(hyper_util::rt::TokioIo::new(tls), service).await
                    }
                };
            });
        }
    });
    (port, accepted)
}

/// A gateway with one thread and one proxy at `path` to the plain-HTTP backend on `port`; the
/// gateway (kept while the test runs), its base URL and a client trusting it.
async fn plain_proxy(name: &str, path: &str, port: u16, timeout_ms: u32) -> (crate::Gateway, String, reqwest::Client) {
    let (gw, base, client) = gateway_with_threads(1).await;
    gw.upsert("development", spec(name, path, format!("http://127.0.0.1:{port}"), &pki::ca("Unused"), None, timeout_ms)).unwrap();
    (gw, base, client)
}

#[tokio::test]
async fn an_http1_connection_is_reused_once_its_answer_has_ended_and_never_while_it_streams() {
    let (port, accepted) = counting_backend(None).await;
    let (_gw, base, client) = plain_proxy("Plain", "/plain", port, 20_000).await;
    for _ in 0..30 {
        let res = client.get(format!("{base}/plain/x")).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.text().await.unwrap(), "hello");
    }
    // An empty answer (which the gateway's server may never read) gives it back as well.
    for _ in 0..3 {
        assert_eq!(client.get(format!("{base}/plain/empty")).send().await.unwrap().status(), 204);
        assert_eq!(client.get(format!("{base}/plain/x")).send().await.unwrap().text().await.unwrap(), "hello");
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 1, "one connection carries every request, one after another");

    // An answer still streaming holds its connection: the next request needs another, and gets
    // its own answer, not the rest of the first.
    let mut streaming = client.get(format!("{base}/plain/slow")).send().await.unwrap();
    assert_eq!(streaming.chunk().await.unwrap().unwrap(), "first");
    assert_eq!(client.get(format!("{base}/plain/x")).send().await.unwrap().text().await.unwrap(), "hello");
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
    // Given up by the caller before it ended, that connection is closed, not given back.
    drop(streaming);
    tokio::time::sleep(Duration::from_millis(200)).await;
    for _ in 0..5 {
        assert_eq!(client.get(format!("{base}/plain/x")).send().await.unwrap().text().await.unwrap(), "hello");
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 2, "the connection that finished its answer is reused");
}

#[tokio::test]
async fn request_bodies_go_out_whole_on_one_reused_connection() {
    // The request holding a connection drives it, the upload included: a body larger than the
    // socket buffers, with a length and streamed (chunked), arrives whole each time.
    let (port, accepted) = counting_backend(None).await;
    let (_gw, base, client) = plain_proxy("Echo", "/echo", port, 20_000).await;
    let big: Vec<u8> = (0..3 * 1024 * 1024).map(|i: u32| (i % 251) as u8).collect();
    // A connection nobody drives stalls rather than fails: bounded, so that fails too.
    let rounds = async {
        for round in 0..3 {
            let res = client.post(format!("{base}/echo/echo")).body(big.clone()).send().await.unwrap();
            assert_eq!(res.status(), 200);
            assert!(res.bytes().await.unwrap() == big, "round {round}: the body with a length came back whole");
            let streamed = reqwest::Body::wrap(Chunks(big.chunks(100_000).map(Bytes::copy_from_slice).collect()));
            let res = client.post(format!("{base}/echo/echo")).body(streamed).send().await.unwrap();
            assert_eq!(res.status(), 200);
            assert!(res.bytes().await.unwrap() == big, "round {round}: the streamed body came back whole");
        }
    };
    tokio::time::timeout(Duration::from_secs(30), rounds).await.expect("every upload and its echo finished");
    assert_eq!(accepted.load(Ordering::SeqCst), 1, "every upload went out on the one connection");
}

#[tokio::test]
async fn a_connection_the_backend_closed_while_idle_costs_no_request() {
    // A backend that closes every connection right after its answer, without saying so in a
    // Connection header: the gateway finds each pooled connection closed, before or as it sends.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tcp.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = tcp.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello").await;
            });
        }
    });
    let (_gw, base, client) = plain_proxy("Closing", "/closing", port, 5_000).await;
    for i in 0..40 {
        let res = client.get(format!("{base}/closing/x")).send().await.unwrap();
        assert_eq!(res.status(), 200, "request {i}");
        assert_eq!(res.text().await.unwrap(), "hello");
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 40);
}

#[tokio::test]
async fn an_http2_backend_gets_one_connection_for_concurrent_requests() {
    let ca = pki::ca("Backend CA");
    let leaf = pki::server_leaf(&ca, "localhost");
    let (port, accepted) = counting_backend(Some(testkit::backend::server_config(&leaf, &[], None))).await;
    let (gw, base, client) = gateway_with_threads(1).await;
    gw.upsert("development", spec("Multiplexed", "/h2", format!("https://localhost:{port}"), &ca, None, 5_000)).unwrap();
    assert_eq!(client.get(format!("{base}/h2/x")).send().await.unwrap().text().await.unwrap(), "hello");
    for _ in 0..3 {
        let calls: Vec<_> = (0..8)
            .map(|_| {
                let call = client.get(format!("{base}/h2/x")).send();
                tokio::spawn(async move { call.await.unwrap().text().await.unwrap() })
            })
            .collect();
        for call in calls {
            assert_eq!(call.await.unwrap(), "hello");
        }
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 1, "HTTP/2 carries concurrent requests on one connection");
}
