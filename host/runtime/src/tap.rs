//! What the host does with a call's outbound requests besides (or instead of) sending them:
//! keep every exchange (for a probe, or a recording), show the first request without sending
//! it (a dry run), or answer from a recording with no network (a replay). Whatever leaves the
//! host as an [`Exchange`] has every credential redacted.

use std::sync::Mutex;

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::scrub::Scrubber;

/// Headers whose values are credentials whatever they hold.
const CREDENTIAL_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
];

/// How a call's outbound requests are handled.
#[derive(Debug, Default)]
pub enum Tap {
    /// Sent; nothing kept.
    #[default]
    Live,
    /// Sent, and every exchange kept (redacted) for the caller.
    Record,
    /// Not sent: the first request is kept (redacted) and the call stops there. No OAuth token
    /// is fetched.
    DryRun,
    /// Not sent: answered from a recording, each recorded exchange at most once; a request the
    /// recording does not hold fails the call. No OAuth token is fetched.
    Replay(Replay),
}

impl Tap {
    /// Whether requests go to the network (and tokens are fetched).
    pub fn sends(&self) -> bool {
        matches!(self, Tap::Live | Tap::Record)
    }

    /// Whether exchanges are kept for the caller.
    pub(crate) fn keeps(&self) -> bool {
        !matches!(self, Tap::Live)
    }
}

/// A body as an exchange keeps it: text when it is UTF-8, else base64.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Body {
    /// UTF-8 text.
    Text(String),
    /// Other bytes, base64.
    Base64(String),
}

impl Body {
    fn of(bytes: &[u8], scrubber: &Scrubber) -> Body {
        match std::str::from_utf8(bytes) {
            Ok(text) => Body::Text(scrubber.text(text).into_owned()),
            Err(_) => Body::Base64(base64::engine::general_purpose::STANDARD.encode(bytes)),
        }
    }

    /// The bytes.
    pub fn bytes(&self) -> Vec<u8> {
        match self {
            Body::Text(text) => text.as_bytes().to_vec(),
            Body::Base64(data) => base64::engine::general_purpose::STANDARD
                .decode(data)
                .unwrap_or_default(),
        }
    }

    /// The body as text (lossy for binary bodies).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes()).into_owned()
    }
}

/// A request as sent (credentials redacted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentRequest {
    /// The method.
    pub method: String,
    /// The URL.
    pub url: String,
    /// The headers.
    pub headers: Vec<(String, String)>,
    /// The body, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Body>,
}

/// A response as received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceivedResponse {
    /// The status.
    pub status: u16,
    /// The headers.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Body,
}

/// One request and its response (none in a dry run, or when the transport failed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exchange {
    /// The request.
    pub request: SentRequest,
    /// The response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<ReceivedResponse>,
}

/// A recording to answer from.
#[derive(Debug, Default)]
pub struct Replay {
    exchanges: Vec<Exchange>,
    used: Mutex<Vec<bool>>,
    sensitive: Vec<String>,
}

impl Replay {
    /// Answers from `exchanges` (each at most once, the first that fits).
    pub fn new(exchanges: Vec<Exchange>) -> Replay {
        let used = Mutex::new(vec![false; exchanges.len()]);
        Replay {
            exchanges,
            used,
            sensitive: Vec::new(),
        }
    }

    /// The same, for a recording made with these sensitive fields redacted (requests are
    /// compared after the same redaction).
    pub fn with_sensitive(mut self, fields: Vec<String>) -> Replay {
        self.sensitive = fields;
        self
    }

    /// The recorded response of a request (compared redacted: method, URL and body), or what
    /// the recording holds instead.
    pub(crate) fn answer(&self, request: &SentRequest) -> Result<ReceivedResponse, String> {
        let mut request = request.clone();
        redact_request(&mut request, &self.sensitive);
        let request = &request;
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        for (i, exchange) in self.exchanges.iter().enumerate() {
            let recorded = &exchange.request;
            if used[i]
                || recorded.method != request.method
                || recorded.url != request.url
                || recorded.body.as_ref().map(Body::bytes) != request.body.as_ref().map(Body::bytes)
            {
                continue;
            }
            if let Some(response) = &exchange.response {
                used[i] = true;
                return Ok(response.clone());
            }
        }
        let recorded: Vec<String> = self
            .exchanges
            .iter()
            .zip(used.iter())
            .map(|(e, used)| {
                format!(
                    "{} {}{}",
                    e.request.method,
                    e.request.url,
                    if *used { " (used)" } else { "" }
                )
            })
            .collect();
        Err(format!(
            "replay: the call sent {} {}{}, which the recording does not hold; it holds: {}",
            request.method,
            request.url,
            if request.body.is_some() {
                " with a body"
            } else {
                ""
            },
            if recorded.is_empty() {
                "nothing".to_string()
            } else {
                recorded.join(", ")
            }
        ))
    }
}

/// A request as an exchange keeps it: credential headers by name, and every credential value
/// anywhere (URL, headers, body), redacted.
pub(crate) fn sent_request(
    method: &str,
    url: &str,
    headers: &reqwest::header::HeaderMap,
    body: Option<&[u8]>,
    credential_header: Option<&str>,
    scrubber: &Scrubber,
) -> SentRequest {
    let headers = headers
        .iter()
        .map(|(name, value)| {
            let name = name.as_str().to_string();
            let secret = CREDENTIAL_HEADERS.contains(&name.as_str())
                || credential_header.is_some_and(|h| h.eq_ignore_ascii_case(&name));
            let value = if secret {
                redacted(&name, &String::from_utf8_lossy(value.as_bytes()))
            } else {
                scrubber
                    .text(&String::from_utf8_lossy(value.as_bytes()))
                    .into_owned()
            };
            (name, value)
        })
        .collect();
    SentRequest {
        method: method.to_string(),
        url: scrubber.text(url).into_owned(),
        headers,
        body: body.map(|b| Body::of(b, scrubber)),
    }
}

/// A credential header's value redacted, keeping the scheme of an `Authorization` value
/// (`Bearer [redacted]`) so the reader sees which auth was applied.
fn redacted(name: &str, value: &str) -> String {
    match value.split_once(' ') {
        Some((scheme, _)) if name.ends_with("authorization") && !scheme.is_empty() => {
            format!("{scheme} [redacted]")
        }
        _ => "[redacted]".to_string(),
    }
}

/// A response as an exchange keeps it (credentials redacted).
pub(crate) fn received(
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
    scrubber: &Scrubber,
) -> ReceivedResponse {
    ReceivedResponse {
        status,
        headers: headers
            .iter()
            .map(|(name, value)| {
                let value = if CREDENTIAL_HEADERS.contains(&name.as_str()) {
                    "[redacted]".to_string()
                } else {
                    scrubber.text(value).into_owned()
                };
                (name.clone(), value)
            })
            .collect(),
        body: Body::of(body, scrubber),
    }
}

/// The value that replaces a sensitive field.
const SENSITIVE: &str = "[redacted]";

/// Replaces the values of the named fields (JSON keys and query parameters, case-insensitive)
/// in an exchange's URL and bodies: what an operator names as sensitive beyond credentials.
pub fn redact_fields(exchange: &mut Exchange, fields: &[String]) {
    if fields.is_empty() {
        return;
    }
    redact_request(&mut exchange.request, fields);
    if let Some(response) = &mut exchange.response {
        redact_body(&mut response.body, fields);
    }
}

fn redact_request(request: &mut SentRequest, fields: &[String]) {
    if fields.is_empty() {
        return;
    }
    if let Ok(mut url) = url::Url::parse(&request.url)
        && url.query().is_some()
    {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let hidden = fields.iter().any(|f| f.eq_ignore_ascii_case(&k));
                (
                    k.into_owned(),
                    if hidden {
                        SENSITIVE.to_string()
                    } else {
                        v.into_owned()
                    },
                )
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
        request.url = url.to_string();
    }
    if let Some(body) = &mut request.body {
        redact_body(body, fields);
    }
}

fn redact_body(body: &mut Body, fields: &[String]) {
    let Body::Text(text) = body else { return };
    let Ok(mut value) = serde_json::from_str::<serde_json::Value>(text) else {
        return;
    };
    if redact_value(&mut value, fields) {
        *text = value.to_string();
    }
}

fn redact_value(value: &mut serde_json::Value, fields: &[String]) -> bool {
    match value {
        serde_json::Value::Object(map) => {
            let mut changed = false;
            for (key, child) in map.iter_mut() {
                if fields.iter().any(|f| f.eq_ignore_ascii_case(key)) {
                    *child = serde_json::Value::String(SENSITIVE.to_string());
                    changed = true;
                } else {
                    changed |= redact_value(child, fields);
                }
            }
            changed
        }
        serde_json::Value::Array(items) => items
            .iter_mut()
            .fold(false, |changed, item| redact_value(item, fields) | changed),
        _ => false,
    }
}
