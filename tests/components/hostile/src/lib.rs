//! A deliberately hostile custom-code component. Each action misbehaves in one way, so the
//! host's tests can check that it is stopped with a clear error while other calls go on.
//!
//! Actions: `echo` (behaves), `spin` (endless loop), `hog` (unbounded allocation), `fetch`
//! (requests the `url` in its input, meant for a host outside the allowlist), `storm` (requests
//! forever), `secret` (reads an undeclared secret), `auth-secret` (declares and reads the
//! installation's OAuth `client_secret`), `config` (reads an undeclared config value), `region`
//! (reads its declared config), `flood` (24 MiB of output), `panic`.

use plugboard_guest::bindings::plugboard::integration::types as wit;
use plugboard_guest::{Guest, config, http, secrets};

struct Hostile;

const ACTIONS: &[&str] = &[
    "echo",
    "spin",
    "hog",
    "fetch",
    "storm",
    "secret",
    "auth-secret",
    "config",
    "region",
    "flood",
    "panic",
];

impl Guest for Hostile {
    fn manifest() -> Result<wit::Manifest, wit::Error> {
        Ok(wit::Manifest {
            name: "Hostile".into(),
            description: "Misbehaves on purpose".into(),
            icon: None,
            hostname: "allowed.invalid".into(),
            base_path: String::new(),
            scheme: "https".into(),
            auth: wit::AuthRequirement::None,
            pagination: wit::Pagination {
                style: wit::PaginationStyle::None,
                results_key: String::new(),
                page_size_param: String::new(),
                default_page_size: 100,
                default_page_limit: 1,
            },
            allowed_hosts: vec!["allowed.invalid".into()],
            config: vec![wit::ConfigDeclaration {
                name: "region".into(),
                description: "declared config".into(),
                default_value: Some("eu".into()),
            }],
            secrets: vec!["declared_secret".into(), "client_secret".into()],
            schemas: "{}".into(),
            actions: ACTIONS
                .iter()
                .map(|id| wit::Action {
                    id: id.to_string(),
                    name: id.to_string(),
                    description: String::new(),
                    method: "GET".into(),
                    path: "/".into(),
                    paginated: false,
                    input_schema: "{}".into(),
                    output_schema: "{}".into(),
                })
                .collect(),
        })
    }

    fn invoke(action_id: String, input: String) -> Result<String, wit::Error> {
        match action_id.as_str() {
            "echo" => Ok(input),
            "spin" => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            "hog" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "fetch" => {
                let url = input
                    .split('"')
                    .find(|part| part.starts_with("http"))
                    .unwrap_or("http://127.0.0.1:9/")
                    .to_string();
                let response = http::send(&request(url))?;
                Ok(format!("{{\"status\": {}}}", response.status))
            }
            // Every request is refused (the host is not allowed), but each one still counts
            // against the per-call request limit, which ends the storm.
            "storm" => loop {
                if let Err(error @ wit::Error::LimitExceeded(_)) =
                    http::send(&request("https://storm.invalid/".into()))
                {
                    return Err(error);
                }
            },
            "secret" => {
                let value = secrets::get("api_key")?;
                Ok(format!("{:?}", value.is_some()))
            }
            "auth-secret" => {
                let value = secrets::get("client_secret")?;
                Ok(format!("{value:?}"))
            }
            "config" => {
                let value = config::get("someone_elses_setting")?;
                Ok(format!("{:?}", value.is_some()))
            }
            "region" => {
                // Its own declared config: what this installation set, nobody else's.
                let value = config::get("region")?;
                Ok(serde_json_string(value.as_deref().unwrap_or("")))
            }
            "flood" => {
                // 24 MiB of output.
                Ok(format!("\"{}\"", "x".repeat(24 << 20)))
            }
            "panic" => panic!("hostile component panicked on purpose"),
            other => Err(wit::Error::InvalidInput(format!("no action {other}"))),
        }
    }
}

fn request(url: String) -> http::Request {
    http::Request {
        method: "GET".into(),
        url,
        headers: Vec::new(),
        body: None,
    }
}

plugboard_guest::export!(Hostile with_types_in plugboard_guest::bindings);

/// A JSON string literal (no serde in this component).
fn serde_json_string(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}
