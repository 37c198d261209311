//! The console: its files (embedded in the binary, or read from a directory while developing
//! it) and `/v1/meta`, the definition's rules it builds its forms from.

use std::path::{Path, PathBuf};

use axum::Json;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use plugboard_manifest::AuthCredential;
use serde_json::{Value, json};

use crate::AppState;

/// Embeds the console's files: `(name, content)`.
macro_rules! console_files {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../console/", $name)))),*]
    };
}

/// Every file of the console, by name (`index.html` is served at `/`).
const FILES: &[(&str, &str)] = console_files![
    "index.html",
    "app.css",
    "app.js",
    "api.js",
    "dom.js",
    "meta.js",
    "source.js",
    "scratch.js",
    "overview.js",
    "wizard.js",
    "steps.js",
    "auth-step.js",
    "actions.js",
    "probe.js",
    "installation.js",
    "operators.js",
];

/// The content type of a console file, from its extension; `None` for any other file.
fn content_type(name: &str) -> Option<&'static str> {
    let (stem, extension) = name.rsplit_once('.')?;
    if stem.is_empty()
        || !stem
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return None;
    }
    match extension {
        "html" => Some("text/html; charset=utf-8"),
        "js" => Some("text/javascript; charset=utf-8"),
        "css" => Some("text/css; charset=utf-8"),
        _ => None,
    }
}

/// Headers of every console file: same-origin only, nothing inline.
fn respond(content_type: &'static str, body: impl IntoResponse) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
                ),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}

/// One console file: from the development directory when the server has one, else embedded.
async fn serve(dir: Option<&Path>, name: &str) -> Response {
    let Some(kind) = content_type(name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if let Some(dir) = dir {
        return match tokio::fs::read(dir.join(name)).await {
            Ok(bytes) => respond(kind, bytes),
            Err(_) => StatusCode::NOT_FOUND.into_response(),
        };
    }
    match FILES.iter().find(|(file, _)| *file == name) {
        Some((_, text)) => respond(kind, *text),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `GET /`: the console's page.
pub async fn page(State(state): State<AppState>) -> Response {
    serve(
        state.console_dir.as_deref().map(PathBuf::as_path),
        "index.html",
    )
    .await
}

/// `GET /console/{file}`: a script or style sheet of the console.
pub async fn file(State(state): State<AppState>, UrlPath(name): UrlPath<String>) -> Response {
    if name == "index.html" {
        return StatusCode::NOT_FOUND.into_response();
    }
    serve(state.console_dir.as_deref().map(PathBuf::as_path), &name).await
}

/// Where the console's files are read from instead of the binary (for developing it).
pub(crate) type ConsoleDir = Option<std::sync::Arc<PathBuf>>;

/// `GET /v1/meta`: the definition's JSON Schema (fields, defaults, ranges, descriptions), the
/// credentials each auth type takes, and the platform's limits, so that clients such as the
/// console take the rules from the server instead of repeating them.
pub async fn meta() -> Json<Value> {
    let names = |credentials: &[AuthCredential]| -> Vec<&'static str> {
        credentials.iter().map(|c| c.as_str()).collect()
    };
    Json(json!({
        "definition_schema": serde_json::from_str::<Value>(&plugboard_definition::json_schema())
            .unwrap_or(Value::Null),
        "credentials": {
            "none": {"required": [], "optional": []},
            "api_key": {"required": names(&[AuthCredential::ApiKey]), "optional": []},
            "basic": {
                "required": names(&[AuthCredential::Username, AuthCredential::Password]),
                "optional": [],
            },
            "oauth2": {
                "required": names(&[AuthCredential::ClientId]),
                "optional": names(&[AuthCredential::ClientSecret, AuthCredential::RefreshToken]),
            },
        },
        "pagination_fields": {
            "none": [],
            "index": ["index_param"],
            "page": ["page_param"],
            "link": ["next_link_location", "response_header_name", "response_header_rel", "next_page_key"],
            "pointer": ["pointer_jsonpath", "after_param"],
        },
        "limits": {
            "default_page_size": {"min": 1, "max": plugboard_definition::MAX_PAGE_SIZE},
            "default_page_limit": {"min": 1, "max": plugboard_definition::MAX_PAGE_LIMIT},
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file of the console directory is embedded, and nothing else.
    #[test]
    fn every_console_file_is_embedded() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("console");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .expect("the console directory")
            .map(|entry| {
                entry
                    .expect("an entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> = FILES.iter().map(|(name, _)| name.to_string()).collect();
        embedded.sort();
        assert_eq!(on_disk, embedded);
        assert!(on_disk.iter().all(|name| content_type(name).is_some()));
    }

    #[test]
    fn only_plain_names_are_served() {
        for bad in [
            "../Cargo.toml",
            "a/b.js",
            ".js",
            "x.wasm",
            "APP.js",
            "%2e%2e.js",
        ] {
            assert_eq!(content_type(bad), None, "{bad}");
        }
        assert_eq!(
            content_type("auth-step.js"),
            Some("text/javascript; charset=utf-8")
        );
    }
}
