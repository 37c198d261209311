//! Outbound HTTP for components: the allowlist, credentials applied by the host, and the
//! request-count, response-size and time limits.
//!
//! What a component may reach is its manifest's header: the primary host and the allowed hosts.
//! Credentials are added only to requests whose origin is the primary origin (scheme, hostname
//! and port of the manifest), never to other allowed hosts. Redirects are not followed: the
//! component sees the 3xx and reports it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use base64::Engine as _;
use plugboard_manifest::rules::HostPort;
use plugboard_manifest::{ApiKeyLocation, Auth, Failure, Header, Scheme};

use crate::resilience::{Budget, RetryPolicy, backoff, retry_after, retryable_status};
use plugboard_egress::DirectError;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use url::Url;

use crate::bindings::plugboard::integration::http::{Request, Response};

/// Credentials of one installation, by name (`api_key`, `username`, `password`, ...). Values
/// never appear in `Debug` output.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Credentials(BTreeMap<String, String>);

impl Credentials {
    /// No credentials.
    pub fn new() -> Credentials {
        Credentials::default()
    }

    /// Adds or replaces one credential.
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.insert(name.into(), value.into());
    }

    /// One credential's value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// Names of the credentials present.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(self.0.keys().map(|k| (k, "<redacted>")))
            .finish()
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Credentials {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Credentials(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

/// Where a bundle may send requests, and where its credentials go: its manifest's header.
#[derive(Debug, Clone)]
pub(crate) struct HostPolicy {
    allowed: Vec<HostPort>,
    primary_scheme: Scheme,
    primary: HostPort,
    auth: Auth,
}

impl HostPolicy {
    /// The policy of a checked header (its hosts parse; see [`Header::check`]).
    pub(crate) fn new(header: &Header) -> HostPolicy {
        let parse = |host: &String| HostPort::parse(host).ok();
        let primary = parse(&header.hostname).unwrap_or(HostPort {
            host: String::new(),
            port: Some(0),
        });
        HostPolicy {
            allowed: std::iter::once(&header.hostname)
                .chain(&header.allowed_hosts)
                .filter_map(parse)
                .collect(),
            primary_scheme: header.scheme,
            primary,
            auth: header.auth.clone(),
        }
    }

    /// The same policy applying `auth` (a configuration's overrides of the manifest's).
    pub(crate) fn with_auth(&self, auth: Auth) -> HostPolicy {
        HostPolicy {
            auth,
            ..self.clone()
        }
    }

    fn allows(&self, url: &Url) -> bool {
        let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
            return false;
        };
        let Some(default) = default_port(url.scheme()) else {
            return false;
        };
        self.allowed.iter().any(|a| a.matches(host, port, default))
    }

    fn is_primary(&self, url: &Url) -> bool {
        url.scheme() == self.primary_scheme.as_str()
            && matches!(
                (url.host_str(), url.port_or_known_default()),
                (Some(host), Some(port))
                    if self.primary.matches(host, port, self.primary_scheme.default_port())
            )
    }
}

/// A status as a bounded metric label: `2xx` ... `5xx`.
fn status_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

/// The credentials `auth` needs that are missing.
pub(crate) fn missing_credentials(auth: &Auth, credentials: &Credentials) -> Vec<&'static str> {
    auth.required_credentials()
        .iter()
        .map(|c| c.as_str())
        .filter(|name| credentials.get(name).is_none())
        .collect()
}

/// Outbound state of one call.
pub(crate) struct Outbound {
    pub(crate) client: plugboard_egress::EgressClient,
    pub(crate) policy: Arc<HostPolicy>,
    pub(crate) credentials: Arc<Credentials>,
    pub(crate) oauth: Option<Arc<crate::oauth_call::OAuthCall>>,
    pub(crate) retry: RetryPolicy,
    pub(crate) budget: Budget,
    pub(crate) deadline: Instant,
    pub(crate) response_bytes: usize,
    pub(crate) max_requests: u32,
    pub(crate) sent: u32,
    /// Set when the OAuth 2.0 credential needs a user's consent.
    pub(crate) consent_needed: Option<String>,
    /// Access tokens the call sent (replaced in what the host hands back).
    pub(crate) tokens: Vec<Arc<str>>,
    /// The action sends no credentials (the manifest lists it in `anonymous_actions`).
    pub(crate) anonymous: bool,
    /// The configuration's extra headers, set on every request to the primary host.
    pub(crate) extra_headers: Vec<(HeaderName, HeaderValue)>,
    /// Sent, recorded, dry run or replayed.
    pub(crate) tap: std::sync::Arc<crate::tap::Tap>,
    /// The exchanges kept for the caller (redacted), when the tap keeps them.
    pub(crate) exchanges: Vec<crate::tap::Exchange>,
}

/// The `user-agent` of outbound requests that set none.
pub(crate) const USER_AGENT: &str = concat!("plugboard/", env!("CARGO_PKG_VERSION"));

/// Headers a component may not set: the host owns framing and routing.
const FORBIDDEN_HEADERS: &[&str] = &[
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "upgrade",
    "te",
    "trailer",
    "proxy-authorization",
];

/// One request as the host sends it: checked, its headers filtered, credentials applied.
struct Prepared {
    method: reqwest::Method,
    url: Url,
    headers: HeaderMap,
    body: Option<bytes::Bytes>,
}

impl Outbound {
    /// Sends one request for the component.
    pub(crate) async fn send(&mut self, request: Request) -> Result<Response, Failure> {
        if self.sent >= self.max_requests {
            return Err(Failure::limit_exceeded(format!(
                "more than {} outbound requests in one call",
                self.max_requests
            )));
        }
        self.sent += 1;
        let mut url = Url::parse(&request.url)
            .map_err(|e| Failure::transport(format!("invalid URL `{}`: {e}", request.url)))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Failure::denied(format!(
                "scheme `{}` is not allowed; only http and https",
                url.scheme()
            )));
        }
        if !self.policy.allows(&url) {
            return Err(Failure::denied(format!(
                "host `{}` is not in this integration's allowed hosts",
                authority(&url)
            )));
        }
        let method = reqwest::Method::from_bytes(request.method.as_bytes())
            .map_err(|_| Failure::invalid_input(format!("invalid method `{}`", request.method)))?;
        let mut headers = HeaderMap::new();
        for (name, value) in &request.headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| Failure::invalid_input(format!("invalid header name `{name}`")))?;
            if FORBIDDEN_HEADERS.contains(&name.as_str()) {
                continue;
            }
            let value = HeaderValue::from_str(value).map_err(|_| {
                Failure::invalid_input(format!("invalid value for header `{name}`"))
            })?;
            headers.append(name, value);
        }
        let primary = self.policy.is_primary(&url);
        if primary {
            for (name, value) in &self.extra_headers {
                headers.insert(name.clone(), value.clone());
            }
        }
        if primary && !self.anonymous && !matches!(self.policy.auth, Auth::None) {
            plain_http_for_credentials(&url, self.client.policy())?;
            apply_auth(&self.policy.auth, &self.credentials, &mut url, &mut headers)?;
        }
        let oauth = self.oauth.clone().filter(|_| primary);
        if let Some(oauth) = oauth.as_ref().filter(|_| !self.tap.sends()) {
            // A dry run or a replay fetches no token: the header shows where it would go.
            let shown = format!("{} [redacted]", oauth.config.token_scheme);
            headers.insert(
                reqwest::header::AUTHORIZATION,
                HeaderValue::from_str(shown.trim()).map_err(|_| {
                    Failure::internal("the token scheme is not a valid header value")
                })?,
            );
        }
        let oauth = oauth.filter(|_| self.tap.sends());
        let mut token = None;
        if let Some(oauth) = &oauth {
            let (value, header) = oauth.authorization(&mut self.consent_needed).await?;
            headers.insert(reqwest::header::AUTHORIZATION, header);
            self.tokens.push(value.clone());
            token = Some(value);
        }
        let mut prepared = Prepared {
            method,
            url,
            headers,
            body: request.body.map(bytes::Bytes::from),
        };
        let response = self.exchange_retrying(&prepared).await?;
        let idempotent = prepared.method.is_idempotent();
        if let (Some(oauth), Some(token)) = (oauth, token)
            && plugboard_oauth::rejects_token(
                &oauth.config,
                response.status,
                &response.body,
                idempotent,
            )
        {
            // Refresh once and retry once; a second rejection goes to the component as it is.
            tracing::debug!(
                status = response.status,
                "the API rejected the access token"
            );
            let (fresh, header) = oauth
                .after_rejection(&token, &mut self.consent_needed)
                .await?;
            prepared
                .headers
                .insert(reqwest::header::AUTHORIZATION, header);
            self.tokens.push(fresh);
            if self.sent >= self.max_requests {
                return Err(Failure::limit_exceeded(format!(
                    "more than {} outbound requests in one call (with the retry after a token refresh)",
                    self.max_requests
                )));
            }
            self.sent += 1;
            return self.exchange_retrying(&prepared).await;
        }
        Ok(response)
    }

    /// Waits for the credential's rate budget, within the call's deadline.
    async fn wait_for_budget(&self) -> Result<(), Failure> {
        let wait = self.budget.reserve();
        if wait.is_zero() {
            return Ok(());
        }
        if Instant::now() + wait >= self.deadline {
            self.budget.release();
            return Err(Failure::limit_exceeded(format!(
                "rate budget: the next request may go in {:.1} s, after the call's time limit",
                wait.as_secs_f64()
            )));
        }
        tracing::debug!(
            wait_ms = wait.as_millis() as u64,
            "waiting for the rate budget"
        );
        tokio::time::sleep(wait).await;
        Ok(())
    }

    /// [`Outbound::exchange`] with the rate budget and retries: an idempotent request that
    /// gets 429, a 5xx (not 501/505) or a transport error is retried after `Retry-After`
    /// (up to its cap) or an exponential backoff with jitter, while retries, requests and
    /// time are left. The response says how it went (`x-plugboard-attempts`,
    /// `x-plugboard-gave-up`), so the error the component reports can explain it.
    async fn exchange_retrying(&mut self, request: &Prepared) -> Result<Response, Failure> {
        let idempotent = request.method.is_idempotent();
        let mut retries = 0u32;
        loop {
            self.wait_for_budget().await?;
            let result = self.exchange(request).await;
            if let Ok(response) = &result {
                self.budget.learn(&response.headers);
            }
            let failed = match &result {
                Ok(response) => retryable_status(response.status),
                Err(Failure::Transport { .. }) => true,
                Err(_) => false,
            };
            if !failed {
                return result.map(|r| annotate(r, retries, None));
            }
            let asked = match &result {
                Ok(response) => retry_after(&response.headers),
                Err(_) => None,
            };
            let delay = asked.unwrap_or_else(|| backoff(&self.retry, retries));
            let give_up = if !idempotent {
                Some(format!("not retried: {} is not idempotent", request.method))
            } else if retries >= self.retry.max_retries {
                Some(format!("gave up after {} attempts", retries + 1))
            } else if asked.is_some_and(|a| a > self.retry.max_retry_after) {
                Some(format!(
                    "not retried: Retry-After of {} s is longer than the {} s the host waits",
                    delay.as_secs(),
                    self.retry.max_retry_after.as_secs()
                ))
            } else if Instant::now() + delay >= self.deadline {
                Some("not retried: the call's time limit would pass first".to_string())
            } else if self.sent >= self.max_requests {
                Some(format!(
                    "not retried: the call's limit of {} requests is reached",
                    self.max_requests
                ))
            } else {
                None
            };
            if let Some(why) = give_up {
                return match result {
                    Ok(response) => Ok(annotate(response, retries, Some(why))),
                    Err(Failure::Transport { message }) => {
                        Err(Failure::transport(format!("{message} ({why})")))
                    }
                    Err(other) => Err(other),
                };
            }
            tracing::debug!(
                retry = retries + 1,
                delay_ms = delay.as_millis() as u64,
                "retrying an idempotent request"
            );
            tokio::time::sleep(delay).await;
            self.sent += 1;
            retries += 1;
        }
    }

    /// [`Outbound::send_once`] through the tap: kept, not sent (a dry run), or answered from
    /// a recording.
    async fn exchange(&mut self, request: &Prepared) -> Result<Response, Failure> {
        use crate::tap::{Exchange, Tap};
        if !self.tap.keeps() {
            return self.send_once(request).await;
        }
        let scrubber = crate::scrub::Scrubber::new(&self.credentials, &self.tokens);
        let credential_header = match &self.policy.auth {
            Auth::ApiKey(key) if key.location == ApiKeyLocation::Header => {
                Some(key.header_name.clone())
            }
            _ => None,
        };
        let sent = crate::tap::sent_request(
            request.method.as_str(),
            request.url.as_str(),
            &request.headers,
            request.body.as_deref(),
            credential_header.as_deref(),
            &scrubber,
        );
        let tap = self.tap.clone();
        match &*tap {
            Tap::DryRun => {
                self.exchanges.push(Exchange {
                    request: sent,
                    response: None,
                });
                Err(Failure::denied("dry run: this request was not sent"))
            }
            Tap::Replay(replay) => {
                let recorded = replay.answer(&sent).map_err(Failure::denied)?;
                let response = Response {
                    status: recorded.status,
                    headers: recorded.headers.clone(),
                    body: recorded.body.bytes(),
                };
                self.exchanges.push(Exchange {
                    request: sent,
                    response: Some(recorded),
                });
                Ok(response)
            }
            Tap::Live | Tap::Record => {
                let result = self.send_once(request).await;
                let response = result
                    .as_ref()
                    .ok()
                    .map(|r| crate::tap::received(r.status, &r.headers, &r.body, &scrubber));
                self.exchanges.push(Exchange {
                    request: sent,
                    response,
                });
                result
            }
        }
    }

    /// Sends one prepared request and reads the response within the limits; counts it by
    /// outcome (the status class, or `error` when no whole response came back).
    async fn send_once(&self, request: &Prepared) -> Result<Response, Failure> {
        if Instant::now() >= self.deadline {
            return Err(Failure::limit_exceeded("the call's time limit was reached"));
        }
        // No timer of its own: the call's deadline (`run_in`) bounds the whole call, this
        // request included, and ends it with a precise `Timeout` error. A timer per request
        // cost 0.8 context switches per call (BENCHMARKS, issue 18).
        let result = if request.url.scheme() == "http" {
            self.send_direct(request).await
        } else {
            self.send_reqwest(request).await
        };
        let outcome = result.as_ref().map_or("error", |r| status_class(r.status));
        metrics::counter!("plugboard_upstream_requests_total", "status" => outcome).increment(1);
        result
    }

    /// Plain http: on a connection this task drives itself, with reqwest's default headers
    /// (reqwest's connection task on another thread cost a loopback round trip about 30 us on
    /// 2 vCPUs; BENCHMARKS, issue 18).
    async fn send_direct(&self, request: &Prepared) -> Result<Response, Failure> {
        let url = &request.url;
        let mut headers = request.headers.clone();
        headers
            .entry(reqwest::header::USER_AGENT)
            .or_insert(HeaderValue::from_static(USER_AGENT));
        headers
            .entry(reqwest::header::ACCEPT)
            .or_insert(HeaderValue::from_static("*/*"));
        let response = self
            .client
            .send_direct(
                request.method.clone(),
                url,
                headers,
                request.body.clone(),
                self.response_bytes,
            )
            .await
            .map_err(|error| match error {
                DirectError::Denied(denied) => Failure::denied(denied.to_string()),
                DirectError::TooLarge { .. } => self.too_large(url),
                other => transport_failure(url, &other.to_string(), &other),
            })?;
        Ok(Response {
            status: response.status,
            headers: header_pairs(&response.headers),
            body: response.body,
        })
    }

    /// https, through reqwest (its TLS and HTTP/2).
    async fn send_reqwest(&self, request: &Prepared) -> Result<Response, Failure> {
        let url = &request.url;
        let mut builder = self
            .client
            .request(request.method.clone(), url.clone())
            .map_err(|denied| Failure::denied(denied.to_string()))?
            .headers(request.headers.clone());
        if let Some(body) = &request.body {
            builder = builder.body(body.clone());
        }
        let mut response = builder.send().await.map_err(|e| transport_error(url, &e))?;
        let status = response.status().as_u16();
        let headers = header_pairs(response.headers());
        if let Some(length) = response.content_length()
            && length > self.response_bytes as u64
        {
            return Err(self.too_large(url));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| transport_error(url, &e))?
        {
            if body.len() + chunk.len() > self.response_bytes {
                return Err(self.too_large(url));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Response {
            status,
            headers,
            body,
        })
    }

    fn too_large(&self, url: &Url) -> Failure {
        Failure::limit_exceeded(format!(
            "the response from {} is larger than the {} byte limit",
            authority(url),
            self.response_bytes
        ))
    }
}

/// Refuses to send credentials over plain http, unless to loopback or to an address literal in
/// a network the operator allowed (the rule OAuth endpoints follow too).
fn plain_http_for_credentials(
    url: &Url,
    egress: &plugboard_egress::EgressPolicy,
) -> Result<(), Failure> {
    if url.scheme() == "https" || egress.is_local_or_allowed_literal(url.host_str().unwrap_or("")) {
        return Ok(());
    }
    Err(Failure::denied(format!(
        "credentials are sent only over https: {} is plain http and not a loopback or allowed address",
        authority(url)
    )))
}

fn apply_auth(
    auth: &Auth,
    credentials: &Credentials,
    url: &mut Url,
    headers: &mut HeaderMap,
) -> Result<(), Failure> {
    let missing =
        |name: &str| Failure::denied(format!("the installation has no `{name}` credential"));
    match auth {
        // OAuth 2.0 tokens come from the token manager (see `OAuthCall`).
        Auth::None | Auth::OAuth2(_) => {}
        Auth::ApiKey(plugboard_manifest::ApiKey {
            header_name,
            preamble,
            location,
        }) => {
            let key = credentials
                .get("api_key")
                .ok_or_else(|| missing("api_key"))?;
            let value = if preamble.is_empty() {
                key.to_string()
            } else {
                format!("{preamble} {key}")
            };
            match location {
                ApiKeyLocation::Query => {
                    let kept: Vec<(String, String)> = url
                        .query_pairs()
                        .filter(|(k, _)| k != header_name.as_str())
                        .map(|(k, v)| (k.into_owned(), v.into_owned()))
                        .collect();
                    let mut pairs = url.query_pairs_mut();
                    pairs.clear();
                    for (k, v) in &kept {
                        pairs.append_pair(k, v);
                    }
                    pairs.append_pair(header_name, &value);
                }
                ApiKeyLocation::Cookie => {
                    let cookie = format!("{header_name}={value}");
                    headers.append(reqwest::header::COOKIE, sensitive(&cookie)?);
                }
                ApiKeyLocation::Header => {
                    let name = HeaderName::from_bytes(header_name.as_bytes()).map_err(|_| {
                        Failure::internal(format!("invalid API key header name `{header_name}`"))
                    })?;
                    headers.insert(name, sensitive(&value)?);
                }
            }
        }
        Auth::Basic => {
            let user = credentials
                .get("username")
                .ok_or_else(|| missing("username"))?;
            let password = credentials
                .get("password")
                .ok_or_else(|| missing("password"))?;
            let token =
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            headers.insert(
                reqwest::header::AUTHORIZATION,
                sensitive(&format!("Basic {token}"))?,
            );
        }
    }
    Ok(())
}

/// Adds the host's account of the attempts to a response the component gets.
fn annotate(mut response: Response, retries: u32, gave_up: Option<String>) -> Response {
    if retries > 0 {
        response
            .headers
            .push(("x-plugboard-attempts".into(), (retries + 1).to_string()));
    }
    if let Some(why) = gave_up {
        response.headers.push(("x-plugboard-gave-up".into(), why));
    }
    response
}

/// A header value marked sensitive (kept out of debug output by the HTTP stack).
pub(crate) fn sensitive(value: &str) -> Result<HeaderValue, Failure> {
    let mut value = HeaderValue::from_str(value)
        .map_err(|_| Failure::denied("a credential contains characters not allowed in a header"))?;
    value.set_sensitive(true);
    Ok(value)
}

fn authority(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_string(),
        _ => url.scheme().to_string(),
    }
}

/// Response headers as the WIT `response` carries them (values lossily decoded).
fn header_pairs(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// A transport error without the URL's query (which may carry an API key) or credentials.
fn transport_error(url: &Url, error: &reqwest::Error) -> Failure {
    if let Some(denied) = plugboard_egress::denied_in(error) {
        return Failure::denied(denied.to_string());
    }
    let what = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else if error.is_body() || error.is_decode() {
        "the response body broke off"
    } else {
        "the request failed"
    };
    transport_failure(url, what, error)
}

/// `what` went wrong with the request to `url`, with the innermost cause of `error`; the URL
/// without its query (which may carry an API key).
fn transport_failure(url: &Url, what: &str, error: &dyn std::error::Error) -> Failure {
    let mut source = error.source();
    let mut detail = String::new();
    while let Some(inner) = source {
        detail = inner.to_string();
        source = inner.source();
    }
    let detail = if detail.is_empty() {
        String::new()
    } else {
        format!(": {detail}")
    };
    Failure::transport(format!(
        "{} {}{}: {what}{detail}",
        url.scheme(),
        authority(url),
        url.path(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(hostname: &str, extra: &[&str], scheme: Scheme) -> HostPolicy {
        HostPolicy::new(&Header {
            name: "t".into(),
            description: String::new(),
            icon: None,
            hostname: hostname.into(),
            scheme,
            allowed_hosts: extra.iter().map(|h| h.to_string()).collect(),
            auth: Auth::None,
            config: Vec::new(),
            secrets: Vec::new(),
            anonymous_actions: Vec::new(),
        })
    }

    #[test]
    fn allowlist_matches_host_and_port() {
        let p = policy("api.example.com", &["127.0.0.1:8080"], Scheme::Https);
        let ok = |u: &str| p.allows(&Url::parse(u).unwrap());
        assert!(ok("https://api.example.com/x"));
        assert!(ok("https://API.example.com:443/x"));
        assert!(!ok("https://api.example.com:8443/x"));
        assert!(!ok("https://evil.com/x"));
        assert!(!ok("https://api.example.com.evil.com/x"));
        assert!(ok("http://127.0.0.1:8080/x"));
        assert!(!ok("http://127.0.0.1:8081/x"));
        assert!(p.is_primary(&Url::parse("https://api.example.com/a").unwrap()));
        assert!(!p.is_primary(&Url::parse("http://api.example.com/a").unwrap()));
        assert!(!p.is_primary(&Url::parse("http://127.0.0.1:8080/a").unwrap()));
    }

    #[test]
    fn credentials_travel_over_plain_http_only_to_loopback_or_allowed_literals() {
        let egress = plugboard_egress::EgressPolicy::public_only()
            .allow_network("10.20.0.0/16".parse().unwrap());
        let check = |u: &str| plain_http_for_credentials(&Url::parse(u).unwrap(), &egress);
        assert!(check("https://api.example.com/x").is_ok());
        assert!(check("http://127.0.0.1:8080/x").is_ok());
        assert!(check("http://localhost/x").is_ok());
        assert!(check("http://[::1]/x").is_ok());
        assert!(check("http://10.20.1.1/x").is_ok());
        let refused = check("http://api.example.com/x").unwrap_err();
        assert!(
            matches!(&refused, Failure::Denied { message } if message.contains("only over https"))
        );
        assert!(check("http://10.21.0.1/x").is_err());
    }

    #[test]
    fn credentials_debug_is_redacted() {
        let c: Credentials = [("api_key", "s3cret")].into_iter().collect();
        assert!(!format!("{c:?}").contains("s3cret"));
    }

    #[test]
    fn auth_is_applied_per_location() {
        let creds: Credentials = [("api_key", "k1")].into_iter().collect();
        let mut url = Url::parse("https://h/x?a=1").unwrap();
        let mut headers = HeaderMap::new();
        let auth = |location| {
            Auth::ApiKey(plugboard_manifest::ApiKey {
                header_name: "X-Key".into(),
                preamble: "Token".into(),
                location,
            })
        };
        apply_auth(
            &auth(ApiKeyLocation::Header),
            &creds,
            &mut url,
            &mut headers,
        )
        .unwrap();
        assert_eq!(headers["x-key"], "Token k1");
        apply_auth(&auth(ApiKeyLocation::Query), &creds, &mut url, &mut headers).unwrap();
        assert_eq!(url.query(), Some("a=1&X-Key=Token+k1"));
        apply_auth(
            &auth(ApiKeyLocation::Cookie),
            &creds,
            &mut url,
            &mut headers,
        )
        .unwrap();
        assert_eq!(headers["cookie"], "X-Key=Token k1");
        let err = apply_auth(&Auth::Basic, &creds, &mut url, &mut headers).unwrap_err();
        assert!(matches!(err, Failure::Denied { message } if message.contains("username")));
    }
}
