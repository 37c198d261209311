use serde_json::json;

use super::*;
use crate::HttpResponse;
use crate::request::prepare;
use crate::table::{ActionRecord, Meta};
use plugboard_manifest::Scheme;

/// A transport that answers with a function of the request URL and counts requests.
struct Fake<F: FnMut(&Url) -> HttpResponse> {
    respond: F,
    urls: Vec<String>,
    logs: Vec<String>,
}

impl<F: FnMut(&Url) -> HttpResponse> Transport for Fake<F> {
    fn send(&mut self, request: HttpRequest) -> Result<HttpResponse, Failure> {
        self.urls.push(request.url.clone());
        let url = Url::parse(&request.url).map_err(|e| Failure::transport(e.to_string()))?;
        Ok((self.respond)(&url))
    }

    fn log(&mut self, message: &str) {
        self.logs.push(message.to_string());
    }
}

thread_local! {
    /// The log lines of the last run on this thread.
    static LOGS: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn ok(body: Value) -> HttpResponse {
    HttpResponse {
        status: 200,
        headers: vec![],
        body: serde_json::to_vec(&body).unwrap(),
    }
}

fn param(url: &Url, name: &str) -> Option<u64> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .and_then(|(_, v)| v.parse().ok())
}

fn items(range: std::ops::Range<u64>) -> Vec<Value> {
    range.map(|i| json!({"id": i})).collect()
}

fn config(style: PaginationStyle, results_key: &str, limit: u32) -> PaginationConfig {
    PaginationConfig {
        style,
        results_key: results_key.into(),
        page_size_param: "limit".into(),
        page_size: 10,
        page_limit: limit,
    }
}

fn run_with<F: FnMut(&Url) -> HttpResponse>(
    config: PaginationConfig,
    respond: F,
) -> (Value, Vec<String>) {
    let (out, urls) = try_run(config, respond);
    (out.unwrap(), urls)
}

fn try_run<F: FnMut(&Url) -> HttpResponse>(
    config: PaginationConfig,
    respond: F,
) -> (Result<Value, Failure>, Vec<String>) {
    let meta = Meta {
        hostname: "api.test".into(),
        base_path: String::new(),
        scheme: Scheme::Https,
        pagination: config.clone(),
        extra_request_headers: vec![],
    };
    let record = ActionRecord {
        method: "GET".into(),
        path: "/items".into(),
        params: vec![],
        body: None,
        body_media: None,
        accept: None,
        paginated: true,
        pagination: None,
    };
    let prepared = prepare(&meta, &record, &json!({})).unwrap();
    let mut fake = Fake {
        respond,
        urls: vec![],
        logs: vec![],
    };
    let out = run(&config, prepared, &mut fake);
    LOGS.with(|logs| *logs.borrow_mut() = fake.logs);
    (out, fake.urls)
}

#[test]
fn index_walks_to_the_short_page() {
    let cfg = config(
        PaginationStyle::Index {
            param: "offset".into(),
        },
        "data",
        20,
    );
    let (out, urls) = run_with(cfg, |url| {
        let offset = param(url, "offset").unwrap();
        ok(json!({"data": items(offset..(offset + 10).min(25))}))
    });
    assert_eq!(out["results"].as_array().unwrap().len(), 25);
    assert_eq!(out["pages"], 3);
    assert_eq!(out["truncated"], Value::Null);
    assert_eq!(urls[2], "https://api.test/items?limit=10&offset=20");
}

#[test]
fn page_limit_truncates_with_a_reason() {
    let cfg = config(
        PaginationStyle::Page {
            param: "page".into(),
        },
        "",
        2,
    );
    let (out, urls) = run_with(cfg, |url| {
        let page = param(url, "page").unwrap();
        ok(json!(items(page * 10..page * 10 + 10)))
    });
    assert_eq!(urls.len(), 2);
    assert_eq!(out["results"].as_array().unwrap().len(), 20);
    assert!(out["truncated"].as_str().unwrap().contains("page limit"));
}

#[test]
fn identical_pages_stop_without_duplicates() {
    let cfg = config(
        PaginationStyle::Page {
            param: "page".into(),
        },
        "items",
        20,
    );
    let (out, urls) = run_with(cfg, |_| ok(json!({"items": items(0..10)})));
    assert_eq!(urls.len(), 2);
    assert_eq!(out["results"].as_array().unwrap().len(), 10);
    assert!(out["truncated"].as_str().unwrap().contains("no progress"));
}

#[test]
fn repeated_cursor_stops() {
    let cfg = config(
        PaginationStyle::Pointer {
            jsonpath: "$.meta.next".into(),
            after_param: "after".into(),
        },
        "items",
        20,
    );
    let mut n = 0;
    let (out, urls) = run_with(cfg, move |_| {
        n += 1;
        ok(json!({"items": items(n * 10..n * 10 + 10), "meta": {"next": "same"}}))
    });
    assert_eq!(urls.len(), 2);
    assert_eq!(out["results"].as_array().unwrap().len(), 20);
    assert!(out["truncated"].as_str().unwrap().contains("cursor `same`"));
    let logs = LOGS.with(|logs| logs.borrow().clone());
    assert_eq!(logs[0], "page 1 of GET /items: 10 item(s)");
    assert!(
        logs[2].starts_with("stopped after page 2: no progress"),
        "{logs:?}"
    );
}

#[test]
fn body_links_resolve_relative_and_refuse_other_origins() {
    let cfg = config(
        PaginationStyle::LinkBody {
            next_page_key: "next".into(),
        },
        "items",
        20,
    );
    let (out, urls) = run_with(cfg, |url| match url.query() {
        Some("limit=10") => ok(json!({"items": items(0..10), "next": "/page2?x=1"})),
        Some("x=1") => ok(json!({"items": items(10..20), "next": "?p=3"})),
        _ => ok(json!({"items": items(20..30), "next": "https://evil.test/steal"})),
    });
    assert_eq!(urls[1], "https://api.test/page2?x=1");
    assert_eq!(urls[2], "https://api.test/page2?p=3");
    assert_eq!(urls.len(), 3);
    assert_eq!(out["results"].as_array().unwrap().len(), 30);
    assert!(
        out["truncated"]
            .as_str()
            .unwrap()
            .contains("another origin")
    );
}

#[test]
fn header_links_follow_the_configured_rel() {
    let cfg = config(
        PaginationStyle::LinkHeader {
            header_name: "link".into(),
            rel: "next".into(),
        },
        "",
        20,
    );
    let (out, urls) = run_with(cfg, |url| {
        let page = param(url, "page").unwrap_or(1);
        let mut response = ok(json!(items(page * 10..page * 10 + 10)));
        if page < 3 {
            response.headers.push((
                "Link".into(),
                format!(
                    "</items?page=1>; rel=\"first\", </items?page={}>; rel=\"next\"",
                    page + 1
                ),
            ));
        }
        response
    });
    assert_eq!(urls.len(), 3);
    assert_eq!(out["pages"], 3);
    assert_eq!(out["truncated"], Value::Null);
}

#[test]
fn non_array_results_are_a_clear_error() {
    let cfg = config(
        PaginationStyle::Page {
            param: "page".into(),
        },
        "data",
        20,
    );
    let (out, _) = try_run(cfg, |_| ok(json!({"data": {"not": "a list"}})));
    let err = out.unwrap_err();
    assert!(
        matches!(err, Failure::Internal { message: m } if m.contains("`data`") && m.contains("an object"))
    );
}

#[test]
fn a_failed_page_is_named_by_its_url_without_secrets() {
    let cfg = config(
        PaginationStyle::LinkBody {
            next_page_key: "next".into(),
        },
        "data",
        20,
    );
    let (out, _) = try_run(cfg, |url| {
        if url.path() == "/items" {
            ok(
                json!({"data": [1], "next": "https://api.test/items/2?cursor=c2&access_token=s3cr3t"}),
            )
        } else {
            HttpResponse {
                status: 500,
                headers: vec![],
                body: b"boom".to_vec(),
            }
        }
    });
    let err = out.unwrap_err();
    let Failure::UpstreamStatus { message, .. } = &err else {
        panic!("{err:?}");
    };
    assert!(
        message.contains(
            "GET https://api.test/items/2?cursor=c2&access_token=*** (page 2) returned status 500"
        ),
        "{message}"
    );
    assert!(!message.contains("s3cr3t"), "{message}");
}

#[test]
fn a_results_key_not_in_the_page_is_a_warning_not_silence() {
    let cfg = config(
        PaginationStyle::Page {
            param: "page".into(),
        },
        "data.items",
        20,
    );
    let (out, urls) = try_run(cfg, |_| ok(json!({"records": [1, 2], "total": 2})));
    let out = out.unwrap();
    assert_eq!(out["results"], json!([]));
    assert_eq!(
        out["warnings"],
        json!(["results key 'data.items' not found in page 1; top-level keys: records, total"])
    );
    assert_eq!(urls.len(), 1);
}
