//! A custom-code integration: typed actions that do what a declarative definition cannot, here
//! walking every page of the demo API's items and summarising them. Build it with
//! `cargo build -p plugboard-example-custom --target wasm32-wasip2 --release`, then record its
//! manifest with `plugboard build <the .wasm> -o bundle.wasm`; the bundle is a Plugboard
//! component (`plugboard inspect`, `plugboard sign`, `plugboard invoke`).
//!
//! The API it calls is the demo API on `127.0.0.1:8787`; the host applies the installation's API
//! key (`X-Api-Key`).

use plugboard_guest::manifest::{ApiKey, ApiKeyLocation, Auth};
use plugboard_guest::{Failure, Integration, config_value, get_json};
use serde::{Deserialize, Serialize};

/// The API host (fixed at build time: the host allowlists it).
const API: &str = "127.0.0.1:8787";

#[derive(Deserialize)]
struct Page {
    items: Vec<Item>,
}

#[derive(Deserialize)]
struct Item {
    id: u64,
    name: String,
}

/// Input of `summarize`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SummarizeInput {
    /// Only names containing this text.
    #[serde(default)]
    contains: String,
    /// At most this many pages (default 10).
    #[serde(default = "default_pages")]
    max_pages: u32,
}

fn default_pages() -> u32 {
    10
}

/// Output of `summarize`.
#[derive(Serialize)]
struct Summary {
    count: usize,
    first_id: Option<u64>,
    last_id: Option<u64>,
    names: Vec<String>,
    pages: u32,
}

fn summarize(input: SummarizeInput) -> Result<Summary, Failure> {
    let per_page = config_value("per_page")?.unwrap_or_else(|| "10".into());
    let mut items = Vec::new();
    let mut pages = 0;
    for page in 1..=input.max_pages.clamp(1, 20) {
        let url = format!("http://{API}/page/items?page={page}&per_page={per_page}");
        let body: Page = get_json(&url)?;
        pages += 1;
        if body.items.is_empty() {
            break;
        }
        items.extend(body.items);
    }
    let matching: Vec<&Item> = items
        .iter()
        .filter(|i| i.name.contains(&input.contains))
        .collect();
    Ok(Summary {
        count: matching.len(),
        first_id: matching.first().map(|i| i.id),
        last_id: matching.last().map(|i| i.id),
        names: matching.iter().map(|i| i.name.clone()).collect(),
        pages,
    })
}

fn build() -> Integration {
    Integration::new(
        "Item Summary",
        "Walks every page of the demo API's items and summarises them",
        API,
    )
    .http()
    .auth(Auth::ApiKey(ApiKey {
        header_name: "X-Api-Key".into(),
        preamble: String::new(),
        location: ApiKeyLocation::Header,
    }))
    .config("per_page", "Items per page requested", Some("10"))
    .action(
        "summarize",
        "Summarize items",
        "Counts the items whose name contains `contains`, over at most `max_pages` pages",
        summarize,
    )
}

plugboard_guest::integration!(build);
