//! Plain-http requests on pooled HTTP/1.1 connections that the calling task drives itself.
//!
//! reqwest hands every request to a connection task, which tokio may run on another thread, so
//! one round trip waits for several cross-thread wake-ups: the request handed over, the head
//! handed back, the body asked for and handed back. Here the caller polls the connection while
//! it waits for its answer, so the only wake-up is the socket's. On the 2-vCPU VM of
//! BENCHMARKS.md that takes a loopback GET from about 120 us to 90 us
//! (`BENCH_PROFILE=inline` of the core bench).
//!
//! Nobody polls an idle connection: one the server closed meanwhile is found when it is taken
//! (polled once), and a request that a dead connection never sent goes again on a new one.
//! Names resolve and addresses are checked as [`crate::EgressClient`]'s reqwest client does.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{Connection, SendRequest};
use hyper_util::rt::TokioIo;
use reqwest::header::{HeaderMap, HeaderValue};
use tokio::net::TcpStream;

use crate::{Denied, EgressPolicy};

/// How long an idle connection is kept (reqwest's default too).
const IDLE_TIMEOUT: Duration = Duration::from_secs(90);
/// Idle connections kept per origin.
const MAX_IDLE_PER_ORIGIN: usize = 32;

type Sender = SendRequest<Full<Bytes>>;
type Driver = Connection<TokioIo<TcpStream>, Full<Bytes>>;

/// An upstream's answer, its body read in full.
#[derive(Debug)]
pub struct DirectResponse {
    /// The status code.
    pub status: u16,
    /// The headers, as they came.
    pub headers: HeaderMap,
    /// The body.
    pub body: Vec<u8>,
}

/// Why a direct request failed.
#[derive(Debug, thiserror::Error)]
pub enum DirectError {
    /// The policy refuses the address.
    #[error(transparent)]
    Denied(#[from] Denied),
    /// Not a plain-http URL with a host, or a request hyper cannot write.
    #[error("{0}")]
    Invalid(String),
    /// No connection could be made.
    #[error("could not connect")]
    Connect(#[source] std::io::Error),
    /// The request failed before the response head came.
    #[error("the request failed")]
    Request(#[source] hyper::Error),
    /// The response body broke off.
    #[error("the response body broke off")]
    Body(#[source] hyper::Error),
    /// The response is larger than the caller's limit (its length or what was read).
    #[error("the response is larger than the {limit} byte limit")]
    TooLarge {
        /// The caller's limit in bytes.
        limit: usize,
    },
}

/// One connection: the handle requests go through and the future that does its I/O.
struct Pooled {
    sender: Sender,
    driver: Driver,
    idle_since: Instant,
}

impl Pooled {
    /// Whether the connection can take a request now. Polls its I/O once without waiting,
    /// which is how a close by the server shows.
    fn usable(&mut self) -> bool {
        let mut cx = Context::from_waker(std::task::Waker::noop());
        match Pin::new(&mut self.driver).poll(&mut cx) {
            Poll::Ready(_) => false,
            Poll::Pending => self.sender.is_ready(),
        }
    }
}

/// Idle connections by origin (host and port).
#[derive(Default)]
pub(crate) struct Pool {
    idle: Mutex<Idle>,
}

#[derive(Default)]
struct Idle {
    by_origin: HashMap<(String, u16), Vec<Pooled>>,
    /// When every origin's expired connections were last closed (not only the origin a
    /// connection goes back to), so that origins no longer called hold no sockets for long.
    swept: Option<Instant>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool").finish_non_exhaustive()
    }
}

impl Pool {
    fn idle(&self) -> std::sync::MutexGuard<'_, Idle> {
        self.idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The most recently used idle connection to `origin` that can take a request.
    fn take(&self, origin: &(String, u16)) -> Option<Pooled> {
        let mut stale = Vec::new();
        let found = {
            let mut idle = self.idle();
            let list = idle.by_origin.get_mut(origin)?;
            let mut found = None;
            while let Some(mut pooled) = list.pop() {
                if pooled.idle_since.elapsed() < IDLE_TIMEOUT && pooled.usable() {
                    found = Some(pooled);
                    break;
                }
                stale.push(pooled);
            }
            if list.is_empty() {
                idle.by_origin.remove(origin);
            }
            found
        };
        // Closing sockets outside the lock.
        drop(stale);
        found
    }

    fn put(&self, origin: (String, u16), mut pooled: Pooled) {
        if !pooled.usable() {
            return;
        }
        pooled.idle_since = Instant::now();
        let mut dropped = Vec::new();
        {
            let mut idle = self.idle();
            if idle.swept.is_none_or(|at| at.elapsed() >= IDLE_TIMEOUT / 3) {
                idle.swept = Some(Instant::now());
                for list in idle.by_origin.values_mut() {
                    dropped.extend(list.extract_if(.., |p| p.idle_since.elapsed() >= IDLE_TIMEOUT));
                }
                idle.by_origin.retain(|_, list| !list.is_empty());
            }
            let list = idle.by_origin.entry(origin).or_default();
            list.push(pooled);
            let excess = list.len().saturating_sub(MAX_IDLE_PER_ORIGIN);
            dropped.extend(list.drain(..excess));
        }
        // Closing sockets outside the lock.
        drop(dropped);
    }
}

/// Sends `request` to `origin` on an idle connection, or on a new one when there is none or
/// the idle one died before sending it; reads the whole body (up to `limit` bytes) while
/// driving the connection, then pools the connection again if it can be reused.
pub(crate) async fn send(
    pool: &Pool,
    policy: &EgressPolicy,
    url: &url::Url,
    request: hyper::Request<Full<Bytes>>,
    limit: usize,
) -> Result<DirectResponse, DirectError> {
    let origin = origin(url)?;
    let mut request = request;
    // An idle connection first; a new one when there is none, or when the idle one died
    // before it wrote the request.
    for new in [false, true] {
        let mut pooled = if new {
            connect(policy, url, origin.1).await?
        } else {
            match pool.take(&origin) {
                Some(pooled) => pooled,
                None => continue,
            }
        };
        match exchange(&mut pooled, request, limit).await {
            Outcome::Done(result, reusable) => {
                if reusable {
                    pool.put(origin, pooled);
                }
                return result;
            }
            Outcome::NotSent(unsent) => request = unsent,
        }
    }
    // A new connection that closed before taking its first request.
    Err(DirectError::Connect(std::io::Error::new(
        std::io::ErrorKind::ConnectionAborted,
        "the connection closed before the request was sent",
    )))
}

/// The origin of a plain-http URL: its host and port.
fn origin(url: &url::Url) -> Result<(String, u16), DirectError> {
    if url.scheme() != "http" {
        return Err(DirectError::Invalid(format!(
            "direct connections are plain http, not `{}`",
            url.scheme()
        )));
    }
    let host = url
        .host_str()
        .ok_or_else(|| DirectError::Invalid("the URL has no host".into()))?;
    Ok((host.to_string(), url.port_or_known_default().unwrap_or(80)))
}

/// A new connection to the first address of `url`'s host that the policy allows.
async fn connect(policy: &EgressPolicy, url: &url::Url, port: u16) -> Result<Pooled, DirectError> {
    let addresses: Vec<SocketAddr> = match url.host() {
        Some(url::Host::Ipv4(ip)) => vec![SocketAddr::new(ip.into(), port)],
        Some(url::Host::Ipv6(ip)) => vec![SocketAddr::new(ip.into(), port)],
        Some(url::Host::Domain(name)) => {
            let found = tokio::net::lookup_host((name, port))
                .await
                .map_err(DirectError::Connect)?;
            policy.allowed(name, found)?
        }
        None => return Err(DirectError::Invalid("the URL has no host".into())),
    };
    let mut last_error = None;
    for address in addresses {
        match TcpStream::connect(address).await {
            Ok(stream) => {
                stream.set_nodelay(true).map_err(DirectError::Connect)?;
                let (sender, driver) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                    .await
                    .map_err(DirectError::Request)?;
                return Ok(Pooled {
                    sender,
                    driver,
                    idle_since: Instant::now(),
                });
            }
            Err(error) => last_error = Some(error),
        }
    }
    Err(DirectError::Connect(last_error.unwrap_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::NotFound, "the name has no address")
    })))
}

enum Outcome {
    /// The result, and whether the connection can take another request.
    Done(Result<DirectResponse, DirectError>, bool),
    /// The connection closed before the request was written: the request, to send elsewhere.
    NotSent(hyper::Request<Full<Bytes>>),
}

/// One request and its whole response on `pooled`, driving the connection meanwhile.
async fn exchange(
    pooled: &mut Pooled,
    request: hyper::Request<Full<Bytes>>,
    limit: usize,
) -> Outcome {
    let (answer, closed) = {
        let Pooled { sender, driver, .. } = pooled;
        let answer = async {
            let response = sender.try_send_request(request).await?;
            Ok(read(response, limit).await)
        };
        let mut answer = std::pin::pin!(answer);
        let mut closed = false;
        let answer: Result<
            Result<DirectResponse, DirectError>,
            hyper::client::conn::TrySendError<_>,
        > = std::future::poll_fn(|cx| {
            // The connection's I/O runs until it ends; the answer resolves either way (hyper
            // fails what a closed connection can no longer answer).
            if !closed && Pin::new(&mut *driver).poll(cx).is_ready() {
                closed = true;
            }
            answer.as_mut().poll(cx)
        })
        .await;
        (answer, closed)
    };
    match answer {
        Ok(result) => {
            let reusable = !closed && result.is_ok();
            Outcome::Done(result, reusable)
        }
        Err(mut unsent) => match unsent.take_message() {
            Some(request) => Outcome::NotSent(request),
            None => Outcome::Done(Err(DirectError::Request(unsent.into_error())), false),
        },
    }
}

/// The response with its body read, refusing more than `limit` bytes.
async fn read(
    response: hyper::Response<hyper::body::Incoming>,
    limit: usize,
) -> Result<DirectResponse, DirectError> {
    let (head, mut body) = response.into_parts();
    let declared = head
        .headers
        .get(reqwest::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(DirectError::TooLarge { limit });
    }
    let mut bytes = Vec::with_capacity(declared.map_or(0, |length| length as usize));
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(DirectError::Body)?;
        if let Ok(data) = frame.into_data() {
            if bytes.len() + data.len() > limit {
                return Err(DirectError::TooLarge { limit });
            }
            bytes.extend_from_slice(&data);
        }
    }
    Ok(DirectResponse {
        status: head.status.as_u16(),
        headers: head.headers,
        body: bytes,
    })
}

/// The request for `url` in origin form, with `Host` and the headers given.
pub(crate) fn request(
    method: reqwest::Method,
    url: &url::Url,
    headers: HeaderMap,
    body: Option<Bytes>,
) -> Result<hyper::Request<Full<Bytes>>, DirectError> {
    let target = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_string(),
    };
    let host = match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_string(),
        (None, _) => return Err(DirectError::Invalid("the URL has no host".into())),
    };
    let mut request = hyper::Request::builder()
        .method(method)
        .uri(target)
        .body(Full::new(body.unwrap_or_default()))
        .map_err(|e| DirectError::Invalid(e.to_string()))?;
    let host = HeaderValue::from_str(&host).map_err(|e| DirectError::Invalid(e.to_string()))?;
    *request.headers_mut() = headers;
    request.headers_mut().insert(reqwest::header::HOST, host);
    Ok(request)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use crate::{AddressClass, EgressClient, EgressPolicy};

    use super::DirectError;

    /// How the test server answers one request on a connection.
    #[derive(Clone, Copy)]
    enum Answer {
        /// 200 with a small body; the connection stays open.
        KeepAlive,
        /// The same, then the server closes the connection without saying so first.
        ThenClose,
        /// 200 with `connection: close`.
        SaysClose,
        /// A declared body of 100 bytes.
        Hundred,
        /// A chunked body of 100 bytes.
        HundredChunked,
    }

    /// A loopback HTTP/1.1 server answering its n-th request (over all connections) with
    /// `answers[n]`; counts connections and keeps each request's head.
    struct Server {
        port: u16,
        accepted: Arc<AtomicUsize>,
        heads: Arc<std::sync::Mutex<Vec<String>>>,
    }

    async fn server(answers: Vec<Answer>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let heads = Arc::new(std::sync::Mutex::new(Vec::new()));
        let served = Arc::new(AtomicUsize::new(0));
        let (count, kept) = (accepted.clone(), heads.clone());
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                let (answers, kept, served) = (answers.clone(), kept.clone(), served.clone());
                tokio::spawn(async move {
                    let mut buffer = Vec::new();
                    loop {
                        let mut chunk = [0u8; 1024];
                        while !buffer.windows(4).any(|w| w == b"\r\n\r\n") {
                            match stream.read(&mut chunk).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                            }
                        }
                        let end = buffer.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
                        kept.lock()
                            .unwrap()
                            .push(String::from_utf8_lossy(&buffer[..end]).into_owned());
                        buffer.drain(..end);
                        let n = served.fetch_add(1, Ordering::SeqCst);
                        let answer = answers.get(n).copied().unwrap_or(Answer::KeepAlive);
                        let text = match answer {
                            Answer::KeepAlive | Answer::ThenClose => {
                                "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}".to_string()
                            }
                            Answer::SaysClose => "HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\n{}".to_string(),
                            Answer::Hundred => format!(
                                "HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{}",
                                "x".repeat(100)
                            ),
                            Answer::HundredChunked => format!(
                                "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n64\r\n{}\r\n0\r\n\r\n",
                                "x".repeat(100)
                            ),
                        };
                        if stream.write_all(text.as_bytes()).await.is_err() {
                            return;
                        }
                        if matches!(answer, Answer::ThenClose | Answer::SaysClose) {
                            return;
                        }
                    }
                });
            }
        });
        Server {
            port,
            accepted,
            heads,
        }
    }

    async fn get(
        client: &EgressClient,
        url: &str,
        limit: usize,
    ) -> Result<super::DirectResponse, DirectError> {
        let url = url::Url::parse(url).unwrap();
        client
            .send_direct(reqwest::Method::GET, &url, Default::default(), None, limit)
            .await
    }

    fn client(policy: EgressPolicy) -> EgressClient {
        // reqwest's builder (the same client holds both) needs a crypto provider.
        let _ = rustls::crypto::ring::default_provider().install_default();
        EgressClient::new(policy, |b| b).unwrap()
    }

    #[tokio::test]
    async fn connections_are_reused_and_one_the_server_closed_is_replaced() {
        use Answer::*;
        let server = server(vec![KeepAlive, ThenClose, KeepAlive, SaysClose, KeepAlive]).await;
        let client = client(EgressPolicy::with_loopback());
        let url = format!("http://127.0.0.1:{}/a/b?x=1&y=%20", server.port);
        for expected_connections in [1, 1] {
            let response = get(&client, &url, 1024).await.unwrap();
            assert_eq!((response.status, &response.body[..]), (200, &b"{}"[..]));
            assert_eq!(server.accepted.load(Ordering::SeqCst), expected_connections);
        }
        // The server closed its side after the second answer: the pool finds that out when it
        // takes the connection, and the request goes on a new one.
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let response = get(&client, &url, 1024).await.unwrap();
        assert_eq!(response.status, 200);
        assert_eq!(server.accepted.load(Ordering::SeqCst), 2);
        // `connection: close` is honoured: the next request connects again.
        get(&client, &url, 1024).await.unwrap();
        get(&client, &url, 1024).await.unwrap();
        assert_eq!(server.accepted.load(Ordering::SeqCst), 3);
        let heads = server.heads.lock().unwrap().clone();
        assert_eq!(heads.len(), 5);
        let first = heads[0].to_ascii_lowercase();
        assert!(
            first.starts_with("get /a/b?x=1&y=%20 http/1.1\r\n"),
            "{first}"
        );
        assert!(
            first.contains(&format!("\r\nhost: 127.0.0.1:{}\r\n", server.port)),
            "{first}"
        );
    }

    #[tokio::test]
    async fn answers_over_the_limit_are_refused_declared_or_chunked() {
        let server = server(vec![
            Answer::Hundred,
            Answer::HundredChunked,
            Answer::Hundred,
        ])
        .await;
        let client = client(EgressPolicy::with_loopback());
        let url = format!("http://127.0.0.1:{}/", server.port);
        for _ in 0..2 {
            let error = get(&client, &url, 99).await.unwrap_err();
            assert!(
                matches!(error, DirectError::TooLarge { limit: 99 }),
                "{error}"
            );
        }
        let response = get(&client, &url, 100).await.unwrap();
        assert_eq!(response.body.len(), 100);
    }

    #[tokio::test]
    async fn the_policy_checks_literals_and_resolved_names_before_connecting() {
        let server = server(vec![]).await;
        let client = client(EgressPolicy::public_only());
        for host in ["127.0.0.1", "localhost"] {
            let url = format!("http://{host}:{}/", server.port);
            match get(&client, &url, 1024).await {
                Err(DirectError::Denied(denied)) => {
                    assert_eq!(denied.class, AddressClass::Loopback, "{host}")
                }
                other => panic!("{host}: {other:?}"),
            }
        }
        assert_eq!(server.accepted.load(Ordering::SeqCst), 0);
        let https = get(&client, "https://example.com/", 1024)
            .await
            .unwrap_err();
        assert!(matches!(https, DirectError::Invalid(_)), "{https}");
    }
}
