//! Tests of the OAuth peers themselves: helpers and small pure checks here, the peers in
//! [`mock`] and [`endpoint`].

mod endpoint;
mod mock;

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use super::*;
use crate::api::{
    AuthCheck, BearerCheck, BearerValidator as _, ExpiredAnswer, TestApi, TokenStatus,
};

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("build reqwest client")
}

async fn json_of(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let bytes = response.bytes().await.expect("read body");
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, body)
}

async fn post_form(client: &reqwest::Client, url: &str, params: &[(&str, &str)]) -> (u16, Value) {
    let response = client
        .post(url)
        .form_body(params)
        .send()
        .await
        .expect("send");
    json_of(response).await
}

/// JSON and form bodies without reqwest's optional features.
trait Body {
    fn json_body(self, body: &Value) -> Self;
    fn form_body(self, params: &[(&str, &str)]) -> Self;
}

impl Body for reqwest::RequestBuilder {
    fn json_body(self, body: &Value) -> Self {
        self.header("content-type", "application/json")
            .body(body.to_string())
    }

    fn form_body(self, params: &[(&str, &str)]) -> Self {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        self.header("content-type", "application/x-www-form-urlencoded")
            .body(body)
    }
}

/// `url` with `params` appended to its query.
fn with_query(url: &str, params: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(url).expect("absolute url");
    url.query_pairs_mut().extend_pairs(params);
    url.into()
}

/// The form parameters of a client of the default [`TokenEndpointConfig`], plus `extra`.
fn with_client<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut params = vec![("client_id", "client-1"), ("client_secret", "secret-1")];
    params.extend_from_slice(extra);
    params
}

/// The query parameters of a redirect's `Location`.
fn location_params(response: &reqwest::Response) -> BTreeMap<String, String> {
    let location = response.headers()["location"].to_str().expect("ascii");
    url::Url::parse(location)
        .expect("absolute location")
        .query_pairs()
        .into_owned()
        .collect()
}

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(ring::digest::digest(
        &ring::digest::SHA256,
        verifier.as_bytes(),
    ))
}

#[test]
fn oauth_rfc3339_dates() {
    assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    assert_eq!(rfc3339(1_795_842_000), "2026-11-28T05:00:00Z");
    assert_eq!(rfc3339(4_107_542_399), "2100-02-28T23:59:59Z");
}

#[test]
fn oauth_rfc7636_example_challenge() {
    assert_eq!(
        s256(VERIFIER),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
}
