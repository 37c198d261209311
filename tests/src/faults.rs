//! A fault-injection HTTP server on 127.0.0.1 for the host's resilience tests. It speaks just
//! enough HTTP/1.1 by hand to misbehave in ways a framework would not allow: connection resets,
//! truncated bodies, invalid JSON, 429 storms with `Retry-After`, 5xx bursts, rate-limit
//! headers, a redirect to another host, oversized bodies, slow answers.
//!
//! Routes (`KEY` names a counter, so tests do not share state):
//!
//! | route | behaviour |
//! |---|---|
//! | `/flaky/KEY/N/S[/R]` | the first N requests get status S (with `Retry-After: R`), then 200 `{"items": [1, 2, 3]}` |
//! | `/reset/KEY/N` | the first N connections are closed without an answer, then 200 |
//! | `/truncated` | `Content-Length: 100`, 10 bytes, close |
//! | `/invalid-json` | 200 `application/json` that is not JSON |
//! | `/redirect` | 302 to the URL given to [`FaultServer::redirect_to`] |
//! | `/ratelimited/KEY/S` | 200 with `X-RateLimit-Remaining: 0` and `X-RateLimit-Reset: S` |
//! | `/big/M` | M MiB of JSON |
//! | `/slow/T` | 200 after T ms |
//! | anything else | 200 `{"items": []}` |

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// One request the server saw.
#[derive(Debug, Clone)]
pub struct Seen {
    /// Method.
    pub method: String,
    /// Path and query.
    pub target: String,
    /// Header lines, lower-case names.
    pub headers: Vec<(String, String)>,
    /// When it arrived.
    pub at: Instant,
}

#[derive(Default)]
struct State {
    counters: HashMap<String, u32>,
    seen: Vec<Seen>,
    redirect_to: String,
}

/// The running server (stopped when dropped).
pub struct FaultServer {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn response(status: u16, extra: &[(&str, String)], body: &[u8]) -> Vec<u8> {
    let mut head = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (name, value) in extra {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

impl FaultServer {
    /// Starts the server on a free port of 127.0.0.1 (inside a tokio runtime).
    pub async fn start() -> FaultServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fault server");
        let addr = listener.local_addr().expect("fault server address");
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = shared.clone();
                tokio::spawn(async move {
                    let _ = serve(stream, state).await;
                });
            }
        });
        FaultServer { addr, state, task }
    }

    /// `127.0.0.1:port`.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// Where `/redirect` points.
    pub fn redirect_to(&self, url: &str) {
        self.state.lock().expect("fault server state").redirect_to = url.to_string();
    }

    /// Requests seen so far whose target starts with `prefix`.
    pub fn seen(&self, prefix: &str) -> Vec<Seen> {
        self.state
            .lock()
            .expect("fault server state")
            .seen
            .iter()
            .filter(|s| s.target.starts_with(prefix))
            .cloned()
            .collect()
    }
}

async fn serve(mut stream: TcpStream, state: Arc<Mutex<State>>) -> std::io::Result<()> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            return Ok(());
        }
        buffer.extend_from_slice(&chunk[..read]);
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        if buffer.len() > 64 << 10 {
            return Ok(());
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or("").split(' ');
    let method = request_line.next().unwrap_or("").to_string();
    let target = request_line.next().unwrap_or("/").to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let path = target.split('?').next().unwrap_or("/").to_string();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let route = segments.first().copied().unwrap_or("");
    let key = segments.get(1).copied().unwrap_or("");
    let number = |index: usize, default: u64| {
        segments
            .get(index)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(default)
    };
    let (count, redirect_to) = {
        let mut state = state.lock().expect("fault server state");
        state.seen.push(Seen {
            method,
            target: target.clone(),
            headers,
            at: Instant::now(),
        });
        let counter = state.counters.entry(format!("{route}/{key}")).or_default();
        *counter += 1;
        (*counter, state.redirect_to.clone())
    };
    let ok = br#"{"items": [1, 2, 3]}"#;
    let bytes = match route {
        "flaky" if u64::from(count) <= number(2, 1) => {
            let status = u16::try_from(number(3, 503)).unwrap_or(503);
            let extra: Vec<(&str, String)> = segments
                .get(4)
                .map(|r| vec![("retry-after", (*r).to_string())])
                .unwrap_or_default();
            response(status, &extra, br#"{"error": "try again"}"#)
        }
        "reset" if u64::from(count) <= number(2, 1) => {
            // Close without answering: the client sees the connection end.
            return Ok(());
        }
        "truncated" => {
            let mut bytes = response(200, &[], b"0123456789");
            let at = bytes
                .windows(18)
                .position(|w| w == b"content-length: 10")
                .unwrap_or(0);
            bytes.splice(at..at + 18, b"content-length: 100".iter().copied());
            bytes
        }
        "invalid-json" => response(200, &[], br#"{"items": [1, 2"#),
        "redirect" => response(302, &[("location", redirect_to)], b"{}"),
        "ratelimited" => response(
            200,
            &[
                ("x-ratelimit-remaining", "0".into()),
                ("x-ratelimit-reset", number(2, 1).to_string()),
            ],
            ok,
        ),
        "big" => {
            let mb = usize::try_from(number(1, 1)).unwrap_or(1);
            let mut body = b"[\"".to_vec();
            body.resize(mb << 20, b'x');
            body.extend_from_slice(b"\"]");
            response(200, &[], &body)
        }
        "slow" => {
            tokio::time::sleep(std::time::Duration::from_millis(number(1, 100))).await;
            response(200, &[], ok)
        }
        "flaky" | "reset" => response(200, &[], ok),
        _ => response(200, &[], br#"{"items": []}"#),
    };
    stream.write_all(&bytes).await?;
    stream.shutdown().await
}
