//! `Serve` over an in-memory pipe, with h2's own client on the other end.
use super::*;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use std::sync::Arc;
use tokio::io::AsyncReadExt;
use tokio::io::AsyncWriteExt;

type Answer = Response<BoxBody<Bytes, BoxError>>;

fn text(body: &str) -> BoxBody<Bytes, BoxError> {
    Full::new(Bytes::from(body.to_string())).map_err(|e| match e {}).boxed()
}

/// `handle` served on one end of an in-memory pipe (pinging every `keep_alive`), an h2
/// client on the other.
async fn connect<H, F>(keep_alive: Duration, handle: H) -> (h2::client::SendRequest<Bytes>, tokio::task::JoinHandle<Result<(), h2::Error>>)
where
    H: FnMut(Request<RequestBody>) -> F + Send + Unpin + 'static,
    F: Future<Output = Answer> + Send + 'static,
{
    let (client, server) = tokio::io::duplex(1 << 20);
    let serving = tokio::spawn(Serve::new(server, &builder(128, 20), keep_alive, handle));
    let (send, connection) = h2::client::handshake(client).await.unwrap();
    tokio::spawn(async move {
        let _ = connection.await;
    });
    (send, serving)
}

/// The whole body of an answer, giving the room back as it is read.
async fn read_all(mut body: RecvStream) -> Vec<u8> {
    let mut all = Vec::new();
    while let Some(piece) = body.data().await {
        let piece = piece.unwrap();
        let _ = body.flow_control().release_capacity(piece.len());
        all.extend_from_slice(&piece);
    }
    all
}

fn get(path: &str) -> Request<()> {
    Request::get(format!("https://localhost{path}")).body(()).unwrap()
}

#[tokio::test]
async fn answers_get_date_and_length_lose_hop_by_hop_headers_and_stream_past_the_callers_window() {
    let (mut send, _serving) = connect(Duration::from_secs(20), |req: Request<RequestBody>| async move {
        if req.uri().path() == "/small" {
            return Response::new(text("hello"));
        }
        // 300 KiB in pieces, of no declared length: more than the caller's 64 KiB window.
        let pieces = (0..3).map(|i| Ok::<_, BoxError>(Frame::data(Bytes::from(vec![b'a' + i as u8; 100 * 1024]))));
        let mut answer = Response::new(BodyExt::boxed(StreamBody::new(futures_util::stream::iter(pieces))));
        for (name, value) in [("connection", "close"), ("keep-alive", "timeout=5"), ("transfer-encoding", "chunked"), ("x-kept", "1")] {
            answer.headers_mut().insert(hyper::header::HeaderName::from_static(name), HeaderValue::from_static(value));
        }
        answer
    })
    .await;
    let (answer, _) = send.send_request(get("/small"), true).unwrap();
    let answer = answer.await.unwrap();
    assert_eq!(answer.headers()[CONTENT_LENGTH], "5");
    assert!(httpdate::parse_http_date(answer.headers()[DATE].to_str().unwrap()).is_ok());
    assert_eq!(read_all(answer.into_body()).await, b"hello");

    let (answer, _) = send.send_request(get("/large"), true).unwrap();
    let answer = answer.await.unwrap();
    assert_eq!(answer.status(), 200);
    let names: Vec<&str> = answer.headers().keys().map(|n| n.as_str()).collect();
    assert!(names.contains(&"x-kept") && names.contains(&"date"), "{names:?}");
    for gone in ["connection", "keep-alive", "transfer-encoding", "content-length"] {
        assert!(!names.contains(&gone), "{gone} in {names:?}");
    }
    let body = tokio::time::timeout(Duration::from_secs(10), read_all(answer.into_body())).await.expect("the whole body in time");
    assert_eq!(body.len(), 300 * 1024);
    assert!(body[..100 * 1024].iter().all(|b| *b == b'a') && body[200 * 1024..].iter().all(|b| *b == b'c'));
}

#[tokio::test]
async fn request_bodies_arrive_whole_with_their_declared_length_and_trailers() {
    let (mut send, _serving) = connect(Duration::from_secs(20), |req: Request<RequestBody>| async move {
        let declared = req.body().size_hint().exact();
        let collected = req.into_body().collect().await.unwrap();
        let trailers = collected.trailers().map_or(0, HeaderMap::len);
        Response::new(text(&format!("{declared:?} {} {trailers}", collected.to_bytes().len())))
    })
    .await;
    let answer = |send: &mut h2::client::SendRequest<Bytes>, req: Request<()>, pieces: Vec<Bytes>, trailers: Option<HeaderMap>| {
        let (answer, mut stream) = send.send_request(req, pieces.is_empty() && trailers.is_none()).unwrap();
        let count = pieces.len();
        for (i, piece) in pieces.into_iter().enumerate() {
            stream.send_data(piece, i + 1 == count && trailers.is_none()).unwrap();
        }
        if let Some(trailers) = trailers {
            stream.send_trailers(trailers).unwrap();
        }
        let whole = async move { String::from_utf8(read_all(answer.await.unwrap().into_body()).await).unwrap() };
        async move { tokio::time::timeout(Duration::from_secs(10), whole).await.expect("answered in time: is the window given back?") }
    };
    assert_eq!(answer(&mut send, get("/"), vec![], None).await, "Some(0) 0 0");
    let declared = Request::post("https://localhost/").header(CONTENT_LENGTH, "10").body(()).unwrap();
    assert_eq!(answer(&mut send, declared, vec![Bytes::from_static(b"01234"), Bytes::from_static(b"56789")], None).await, "Some(10) 10 0");
    // 2.5 MiB of no declared length: more than the connection's 1 MiB window, so it only
    // arrives if each piece read gives its room back.
    let big = (0..10).map(|_| Bytes::from(vec![b'x'; 256 * 1024])).collect();
    assert_eq!(answer(&mut send, Request::post("https://localhost/").body(()).unwrap(), big, None).await, "None 2621440 0");
    let mut trailers = HeaderMap::new();
    trailers.insert("x-checksum", HeaderValue::from_static("1"));
    assert_eq!(answer(&mut send, Request::post("https://localhost/").body(()).unwrap(), vec![Bytes::from_static(b"abc")], Some(trailers)).await, "None 3 1");
}

#[tokio::test]
async fn answer_trailers_follow_the_body() {
    let (mut send, _serving) = connect(Duration::from_secs(20), |_req: Request<RequestBody>| async {
        let mut trailers = HeaderMap::new();
        trailers.insert("grpc-status", HeaderValue::from_static("0"));
        let frames = [Ok::<_, BoxError>(Frame::data(Bytes::from_static(b"payload"))), Ok(Frame::trailers(trailers))];
        Response::new(BodyExt::boxed(StreamBody::new(futures_util::stream::iter(frames))))
    })
    .await;
    let (answer, _) = send.send_request(get("/"), true).unwrap();
    let mut body = answer.await.unwrap().into_body();
    let piece = body.data().await.unwrap().unwrap();
    assert_eq!(&piece[..], b"payload");
    let trailers = tokio::time::timeout(Duration::from_secs(5), body.trailers()).await.expect("trailers in time").unwrap();
    assert_eq!(trailers.expect("trailers sent")["grpc-status"], "0");
}

#[tokio::test]
async fn requests_of_one_connection_are_answered_side_by_side() {
    // Each answer waits until both requests are in: one at a time, neither would finish.
    let both = Arc::new(tokio::sync::Barrier::new(2));
    let (mut send, _serving) = connect(Duration::from_secs(20), move |req: Request<RequestBody>| {
        let both = both.clone();
        async move {
            both.wait().await;
            Response::new(text(req.uri().path()))
        }
    })
    .await;
    let (first, _) = send.send_request(get("/first"), true).unwrap();
    let (second, _) = send.send_request(get("/second"), true).unwrap();
    let both = tokio::time::timeout(Duration::from_secs(5), async { (first.await.unwrap(), second.await.unwrap()) }).await.expect("answered side by side");
    assert_eq!(read_all(both.0.into_body()).await, b"/first");
    assert_eq!(read_all(both.1.into_body()).await, b"/second");
}

/// Dropped when the request it belongs to is.
struct Dropped(Option<tokio::sync::oneshot::Sender<()>>);

impl Drop for Dropped {
    fn drop(&mut self) {
        let _ = self.0.take().map(|tx| tx.send(()));
    }
}

#[tokio::test]
async fn a_callers_reset_cancels_its_request() {
    let (tx, dropped) = tokio::sync::oneshot::channel();
    let mut tx = Some(tx);
    let (mut send, _serving) = connect(Duration::from_secs(20), move |_req: Request<RequestBody>| {
        let guard = Dropped(tx.take());
        async move {
            let _guard = guard;
            std::future::pending::<()>().await;
            Response::new(text("never"))
        }
    })
    .await;
    let (_answer, mut stream) = send.send_request(get("/slow"), true).unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    stream.send_reset(Reason::CANCEL);
    tokio::time::timeout(Duration::from_secs(5), dropped).await.expect("the request was dropped").unwrap();
}

#[tokio::test]
async fn a_caller_that_answers_no_ping_is_closed_and_one_that_answers_is_kept() {
    let handle = |_req: Request<RequestBody>| async { Response::new(text("ok")) };
    let every = Duration::from_millis(100);
    // A client that says its preface and settings, then reads and never answers.
    let (mut client, server) = tokio::io::duplex(1 << 16);
    let serving = tokio::spawn(Serve::new(server, &builder(128, 20), every, handle));
    client.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00").await.unwrap();
    tokio::spawn(async move {
        let mut sink = [0u8; 1024];
        while client.read(&mut sink).await.is_ok_and(|n| n > 0) {}
    });
    tokio::time::timeout(Duration::from_secs(5), serving).await.expect("closed after an unanswered ping").unwrap().unwrap();

    let (mut send, serving) = connect(every, handle).await;
    tokio::time::sleep(every * 6).await;
    assert!(!serving.is_finished(), "a caller that answers pings stays");
    let (answer, _) = send.send_request(get("/"), true).unwrap();
    assert_eq!(answer.await.unwrap().status(), 200);
}

#[tokio::test]
async fn a_graceful_shutdown_lets_the_request_in_flight_finish_and_takes_no_more() {
    let release = Arc::new(tokio::sync::Notify::new());
    let waiting = release.clone();
    let handle = move |_req: Request<RequestBody>| {
        let waiting = waiting.clone();
        async move {
            waiting.notified().await;
            Response::new(text("finished"))
        }
    };
    let (client, server) = tokio::io::duplex(1 << 16);
    let (shut, shutdown) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(async move {
        let mut serve = std::pin::pin!(Serve::new(server, &builder(128, 20), Duration::from_secs(20), handle));
        tokio::select! {
            ended = serve.as_mut() => return ended,
            _ = shutdown => serve.as_mut().graceful_shutdown(),
        }
        serve.await
    });
    let (mut send, connection) = h2::client::handshake(client).await.unwrap();
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let (answer, _) = send.send_request(get("/"), true).unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    shut.send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!serving.is_finished(), "the request in flight holds the connection open");
    release.notify_one();
    let answer = answer.await.unwrap();
    assert_eq!(read_all(answer.into_body()).await, b"finished");
    tokio::time::timeout(Duration::from_secs(5), serving).await.expect("closed once it finished").unwrap().unwrap();
}
