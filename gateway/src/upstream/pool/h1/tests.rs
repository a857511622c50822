//! The HTTP/1.1 codec against scripted backends on loopback that write exactly the bytes under
//! test (some in pieces, to split heads and chunks across reads) and record what they were sent.
use super::answer::{MAX_CHUNK_LINE, MAX_TRAILERS};
use super::*;
use http_body_util::Full;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One exchange a scripted backend plays: it reads until what it was sent ends with `until`,
/// then writes `answer`'s pieces, a few milliseconds apart.
struct Exchange {
    until: &'static [u8],
    answer: Vec<&'static [u8]>,
}

fn plays(until: &'static [u8], answer: &[&'static [u8]]) -> Exchange {
    Exchange { until, answer: answer.to_vec() }
}

/// A backend that plays `script` on the one connection it accepts, then closes it if `close`;
/// and what it was sent, by exchange.
async fn backend(script: Vec<Exchange>, close: bool) -> (u16, tokio::task::JoinHandle<Vec<Vec<u8>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let played = tokio::spawn(async move {
        let (mut tcp, _) = listener.accept().await.unwrap();
        tcp.set_nodelay(true).unwrap();
        let mut sent = Vec::new();
        for exchange in script {
            let mut request = Vec::new();
            while !request.ends_with(exchange.until) {
                let mut buf = [0u8; 4096];
                let n = tcp.read(&mut buf).await.unwrap();
                assert!(n > 0, "the gateway closed while the backend expected more");
                request.extend_from_slice(&buf[..n]);
            }
            sent.push(request);
            for piece in exchange.answer {
                tcp.write_all(piece).await.unwrap();
                tokio::time::sleep(Duration::from_millis(3)).await;
            }
        }
        if !close {
            // Held open until the test is done with it.
            let _ = tcp.read(&mut [0u8; 1]).await;
        }
        sent
    });
    (port, played)
}

async fn connect<B>(port: u16) -> Connection<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    Connection::new(Box::new(tcp))
}

fn get(method: Method, path: &str) -> Request<Full<Bytes>> {
    Request::builder().method(method).uri(path).header("host", "backend").body(Full::new(Bytes::new())).unwrap()
}

/// The whole answer body, or the error that ended it.
async fn body<B>(conn: &mut Connection<B>) -> Result<Vec<u8>, Error>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    let mut all = Vec::new();
    while let Some(piece) = std::future::poll_fn(|cx| conn.poll_body(cx)).await {
        all.extend_from_slice(&piece?);
    }
    Ok(all)
}

#[tokio::test]
async fn length_and_chunked_answers_come_whole_and_leave_the_connection_reusable() {
    let (port, played) = backend(
        vec![
            plays(b"\r\n\r\n", &[b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\nx-a: 1\r\nx-a: 2\r\n\r\nhello"]),
            // Head, chunk lines and trailers split across reads, a chunk extension, trailers.
            plays(
                b"\r\n\r\n",
                &[b"HTTP/1.1 200 OK\r\ntransfer-", b"encoding: chunked\r\n\r\n5;ext=1\r", b"\nhello\r\n6\r\n wor", b"ld\r\n0\r\nx-t: 1\r", b"\n\r\n"],
            ),
            plays(b"\r\n\r\n", &[b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"]),
        ],
        false,
    )
    .await;
    let mut conn = connect(port).await;
    let answer = conn.send(get(Method::GET, "/a/b?c=d")).await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let values: Vec<_> = answer.headers().get_all("x-a").iter().map(|v| v.to_str().unwrap()).collect();
    assert_eq!(values, ["1", "2"]);
    assert_eq!(conn.answer_left(), Some(5));
    assert_eq!(body(&mut conn).await.unwrap(), b"hello");
    assert!(conn.reusable());

    conn.send(get(Method::GET, "/two")).await.unwrap();
    assert_eq!(conn.answer_left(), None, "a chunked body's length is not known");
    assert_eq!(body(&mut conn).await.unwrap(), b"hello world");
    assert!(conn.reusable(), "the trailers were read to their end");

    conn.send(get(Method::GET, "/three")).await.unwrap();
    assert!(conn.answer_ended(), "a zero length has no body to read");
    assert!(conn.reusable());
    drop(conn);
    let sent = played.await.unwrap();
    assert_eq!(sent[0], b"GET /a/b?c=d HTTP/1.1\r\nhost: backend\r\n\r\n", "a GET with no body says nothing of one");
}

#[tokio::test]
async fn answers_without_a_body_have_none_whatever_their_headers_say() {
    let (port, _played) = backend(
        vec![
            plays(b"\r\n\r\n", &[b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n"]),
            plays(b"\r\n\r\n", &[b"HTTP/1.1 204 No Content\r\n\r\n"]),
            plays(b"\r\n\r\n", &[b"HTTP/1.1 304 Not Modified\r\ncontent-length: 7\r\n\r\n"]),
            // Informational answers before the real one are skipped.
            plays(
                b"\r\n\r\n",
                &[b"HTTP/1.1 100 Continue\r\n\r\n", b"HTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"],
            ),
        ],
        false,
    )
    .await;
    let mut conn = connect(port).await;
    let answer = conn.send(get(Method::HEAD, "/")).await.unwrap();
    assert_eq!(answer.headers()[CONTENT_LENGTH], "5", "HEAD keeps the length of what GET would get");
    assert!(conn.answer_ended() && conn.reusable());
    for status in [204, 304] {
        assert_eq!(conn.send(get(Method::GET, "/")).await.unwrap().status(), status);
        assert!(conn.answer_ended() && conn.reusable());
    }
    assert_eq!(conn.send(get(Method::GET, "/")).await.unwrap().status(), 200);
    assert_eq!(body(&mut conn).await.unwrap(), b"ok");
    assert!(conn.reusable());
}

#[tokio::test]
async fn a_body_to_the_close_and_a_backend_that_says_close_end_the_connection() {
    let (port, _) = backend(vec![plays(b"\r\n\r\n", &[b"HTTP/1.1 200 OK\r\n\r\nall ", b"of it"])], true).await;
    let mut conn = connect(port).await;
    conn.send(get(Method::GET, "/")).await.unwrap();
    assert_eq!(conn.answer_left(), None);
    assert_eq!(body(&mut conn).await.unwrap(), b"all of it");
    assert!(!conn.reusable());

    for answer in [&b"HTTP/1.1 200 OK\r\nconnection: keep-alive, Close\r\ncontent-length: 1\r\n\r\nx"[..], b"HTTP/1.0 200 OK\r\ncontent-length: 1\r\n\r\nx"] {
        let (port, _) = backend(vec![plays(b"\r\n\r\n", &[answer])], false).await;
        let mut conn = connect(port).await;
        conn.send(get(Method::GET, "/")).await.unwrap();
        assert_eq!(body(&mut conn).await.unwrap(), b"x");
        assert!(!conn.reusable(), "{}", String::from_utf8_lossy(answer));
    }
}

#[tokio::test]
async fn smuggling_shapes_and_broken_framing_are_refused_or_not_reused() {
    // Both: chunked wins, the length is dropped, and the connection is not reused.
    let (port, _) =
        backend(vec![plays(b"\r\n\r\n", &[b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"])], false).await;
    let mut conn = connect(port).await;
    let answer = conn.send(get(Method::GET, "/")).await.unwrap();
    assert!(!answer.headers().contains_key(CONTENT_LENGTH));
    assert_eq!(body(&mut conn).await.unwrap(), b"ok");
    assert!(!conn.reusable());
    // The same when the backend also says close, or speaks HTTP/1.0: the length still goes.
    for answer in [
        &b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 100\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"[..],
        b"HTTP/1.0 200 OK\r\ncontent-length: 100\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
    ] {
        let (port, _) = backend(vec![plays(b"\r\n\r\n", &[answer])], false).await;
        let mut conn = connect(port).await;
        let answer = conn.send(get(Method::GET, "/")).await.unwrap();
        assert!(!answer.headers().contains_key(CONTENT_LENGTH));
        assert_eq!(body(&mut conn).await.unwrap(), b"ok");
        assert!(!conn.reusable());
    }

    for (answer, expected) in [
        (&b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\ncontent-length: 6\r\n\r\nhello"[..], "disagree"),
        (b"HTTP/1.1 200 OK\r\ncontent-length: +5\r\n\r\nhello", "not a number"),
        (b"HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n\r\n", "switched protocols"),
        (b"HTTP/1.1 200 OK\r\nbad header\r\n\r\n", "not valid HTTP/1.1"),
        (b"SSH-2.0-OpenSSH\r\n\r\n", "not valid HTTP/1.1"),
    ] {
        let (port, _) = backend(vec![plays(b"\r\n\r\n", &[answer])], false).await;
        let failed = connect::<Full<Bytes>>(port).await.send(get(Method::GET, "/")).await.unwrap_err();
        assert!(failed.to_string().contains(expected), "{failed}");
    }

    // Cut short: a length not reached, a chunk not ended.
    for answer in [&b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nhello"[..], b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhel"] {
        let (port, _) = backend(vec![plays(b"\r\n\r\n", &[answer])], true).await;
        let mut conn = connect(port).await;
        conn.send(get(Method::GET, "/")).await.unwrap();
        let Err(Error::Io(e)) = body(&mut conn).await else { panic!("a cut body must fail") };
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
    }
    // What the publisher reads: each cause once.
    let (port, _) = backend(vec![plays(b"\r\n\r\n", &[b"HTTP/1.1 200 OK\r\nbad header\r\n\r\n"])], false).await;
    let failed = super::super::Failed::Http1(connect::<Full<Bytes>>(port).await.send(get(Method::GET, "/")).await.unwrap_err());
    let ctx = crate::upstream::Context { host: "backend".into(), port: 443, ..Default::default() };
    let told = crate::upstream::classify(&failed, &ctx);
    assert_eq!(told.kind, crate::errors::ErrorKind::UpstreamProtocolError);
    assert_eq!(told.message, "the backend's answer was not valid HTTP (the exchange failed: its answer's head is not valid HTTP/1.1: invalid header name)");

    let (port, _) = backend(vec![plays(b"\r\n\r\n", &[b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nokay\r\n"])], false).await;
    let mut conn = connect(port).await;
    conn.send(get(Method::GET, "/")).await.unwrap();
    assert!(matches!(body(&mut conn).await, Err(Error::Invalid(_))), "a chunk longer than its size");
}

#[tokio::test]
async fn heads_trailers_and_chunk_lines_are_bounded() {
    let many: &'static [u8] = Box::leak(format!("HTTP/1.1 200 OK\r\n{}\r\n", "x-a: 1\r\n".repeat(MAX_HEADERS + 1)).into_bytes().into_boxed_slice());
    let huge: &'static [u8] = Box::leak(format!("HTTP/1.1 200 OK\r\nx-a: {}\r\n", "a".repeat(MAX_HEAD)).into_bytes().into_boxed_slice());
    for answer in [many, huge] {
        let (port, _) = backend(vec![plays(b"\r\n\r\n", &[answer])], false).await;
        let failed = connect::<Full<Bytes>>(port).await.send(get(Method::GET, "/")).await.unwrap_err();
        assert!(matches!(failed, Error::HeadTooLarge), "{failed}");
    }
    let line: &'static [u8] = Box::leak(format!("1;{}", "e".repeat(MAX_CHUNK_LINE + 8)).into_bytes().into_boxed_slice());
    let trailers: &'static [u8] = Box::leak(format!("0\r\n{}", "x-t: 1\r\n".repeat(MAX_TRAILERS / 8 + 1)).into_bytes().into_boxed_slice());
    for tail in [line, trailers] {
        let (port, _) = backend(vec![plays(b"\r\n\r\n", &[b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n", tail])], false).await;
        let mut conn = connect(port).await;
        conn.send(get(Method::GET, "/")).await.unwrap();
        assert!(matches!(body(&mut conn).await, Err(Error::Invalid(_))));
    }
}

/// A request body of these pieces, of no length known beforehand.
struct Pieces(VecDeque<Bytes>);

impl Body for Pieces {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<hyper::body::Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.0.pop_front().map(|piece| Ok(hyper::body::Frame::data(piece))))
    }
}

#[tokio::test]
async fn request_bodies_go_out_with_their_length_or_chunked() {
    let ok: &'static [u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
    let (port, played) =
        backend(vec![plays(b"hello", &[ok]), plays(b"\r\n\r\n", &[ok]), plays(b"\r\n0\r\n\r\n", &[ok]), plays(b"\r\n\r\n", &[ok])], false).await;
    let mut conn = connect::<http_body_util::Either<Full<Bytes>, Pieces>>(port).await;
    let post = |body| Request::builder().method(Method::POST).uri("/p").header("content-length", "999").body(body).unwrap();
    conn.send(post(http_body_util::Either::Left(Full::new(Bytes::from_static(b"hello"))))).await.unwrap();
    assert!(conn.reusable());
    conn.send(post(http_body_util::Either::Left(Full::new(Bytes::new())))).await.unwrap();
    let pieces = Pieces(VecDeque::from([Bytes::from_static(b"ab"), Bytes::new(), Bytes::from_static(b"cdefghijklmnopq")]));
    conn.send(post(http_body_util::Either::Right(pieces))).await.unwrap();
    assert!(conn.reusable());
    let get = Request::builder().uri("/g").body(http_body_util::Either::Left(Full::new(Bytes::new()))).unwrap();
    conn.send(get).await.unwrap();
    drop(conn);
    let sent = played.await.unwrap();
    // The length is the body's own, never the caller's header.
    assert_eq!(sent[0], b"POST /p HTTP/1.1\r\ncontent-length: 5\r\n\r\nhello");
    assert_eq!(sent[1], b"POST /p HTTP/1.1\r\ncontent-length: 0\r\n\r\n");
    assert_eq!(sent[2], b"POST /p HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n2\r\nab\r\nf\r\ncdefghijklmnopq\r\n0\r\n\r\n");
    assert_eq!(sent[3], b"GET /g HTTP/1.1\r\n\r\n");
}

#[tokio::test]
async fn a_large_request_body_leaves_no_large_buffer_on_an_idle_connection() {
    let ok: &'static [u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
    let (port, _) = backend(vec![plays(b"\r\n0\r\n\r\n", &[ok])], false).await;
    let mut conn = connect::<Pieces>(port).await;
    let big = Pieces(VecDeque::from([Bytes::from(vec![b'a'; 256 * 1024])]));
    conn.send(Request::builder().method(Method::POST).uri("/p").body(big).unwrap()).await.unwrap();
    assert!(conn.reusable());
    assert!(conn.write.capacity() > 256 * 1024, "the piece went out from the write buffer");
    conn.trim();
    assert!(conn.write.capacity() <= READ_SIZE);
    assert!(conn.reusable());
}

#[tokio::test]
async fn an_idle_connection_the_backend_closed_or_wrote_on_is_not_taken() {
    let ok: &'static [u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
    let (port, played) = backend(vec![plays(b"\r\n\r\n", &[ok])], true).await;
    let mut conn = connect::<Full<Bytes>>(port).await;
    assert!(conn.still_open(&mut Context::from_waker(std::task::Waker::noop())));
    conn.send(get(Method::GET, "/")).await.unwrap();
    assert!(conn.reusable());
    played.await.unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(!conn.still_open(&mut Context::from_waker(std::task::Waker::noop())), "the backend closed it");

    let (port, _) = backend(vec![plays(b"\r\n\r\n", &[ok, b"HTTP/1.1 200 OK\r\n"])], false).await;
    let mut conn = connect::<Full<Bytes>>(port).await;
    conn.send(get(Method::GET, "/")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(!conn.still_open(&mut Context::from_waker(std::task::Waker::noop())), "the backend sent something nobody asked for");
}

#[test]
fn read_room_grows_while_reads_fill_it_and_shrinks_after_small_ones() {
    let mut room = ReadRoom::new();
    assert_eq!((room.want, room.block()), (MIN_ROOM, READ_SIZE));
    for _ in 0..10 {
        let want = room.want;
        room.read(want);
    }
    assert_eq!((room.want, room.block()), (MAX_ROOM, MAX_ROOM), "it stops growing at MAX_ROOM");
    room.read(100);
    room.read(MAX_ROOM / 2);
    room.read(100);
    assert_eq!(room.want, MAX_ROOM, "one small read between larger ones (a record split off) changes nothing");
    room.read(0);
    room.read(100);
    assert_eq!(room.want, MAX_ROOM / 2, "two small reads in a row halve it; the end of the stream is not a read");
    for _ in 0..20 {
        room.read(100);
    }
    assert_eq!(room.want, MIN_ROOM, "it never goes below MIN_ROOM");
}

#[tokio::test]
async fn answers_of_12_kib_come_in_one_piece_once_reads_have_grown_and_the_room_is_let_go() {
    let answer: &'static [u8] =
        Box::leak(format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{}", 12 * 1024, "b".repeat(12 * 1024)).into_bytes().into_boxed_slice());
    let small: &'static [u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
    let mut script: Vec<_> = (0..8).map(|_| plays(b"\r\n\r\n", &[answer])).collect();
    script.push(plays(b"\r\n\r\n", &[small]));
    let (port, _) = backend(script, false).await;
    let mut conn = connect::<Full<Bytes>>(port).await;
    let mut pieces = Vec::new();
    for _ in 0..8 {
        conn.send(get(Method::GET, "/12k")).await.unwrap();
        let mut n = 0;
        while let Some(piece) = std::future::poll_fn(|cx| conn.poll_body(cx)).await {
            assert!(!piece.unwrap().is_empty());
            n += 1;
        }
        assert!(conn.reusable());
        pieces.push(n);
    }
    // From 2 KiB the room doubles with each read it fills: 16 KiB by the fourth answer.
    assert_eq!(pieces[4..], [1, 1, 1, 1], "pieces per answer: {pieces:?}");
    assert_eq!(conn.room.want, READ_SIZE);

    // Room grown by large answers is let go before the connection idles.
    conn.room.want = MAX_ROOM;
    conn.send(get(Method::GET, "/small")).await.unwrap();
    assert_eq!(body(&mut conn).await.unwrap(), b"ok");
    assert!(conn.read.capacity() > READ_SIZE);
    conn.trim();
    assert!(conn.read.capacity() <= READ_SIZE);
    assert!(conn.reusable());
}
