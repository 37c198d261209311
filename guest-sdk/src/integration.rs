//! Custom-code integrations with typed actions: describe the integration once with
//! [`Integration`], write each action as a function from a serde input to a serde output, and
//! export it with [`integration!`](crate::integration). HTTP goes through the host
//! ([`get_json`], [`send_json`]), which applies the installation's credentials and the
//! allowlist; config values come from [`config_value`].
//!
//! ```ignore
//! use plugboard_guest::{Error, Integration, get_json};
//!
//! #[derive(serde::Deserialize)]
//! struct Input { id: u64 }
//!
//! fn get_item(input: Input) -> Result<serde_json::Value, Error> {
//!     get_json(&format!("https://api.example.com/items/{}", input.id))
//! }
//!
//! fn build() -> Integration {
//!     Integration::new("Items", "Reads items", "api.example.com")
//!         .action("get_item", "Get item", "One item by id", get_item)
//! }
//!
//! plugboard_guest::integration!(build);
//! ```

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::bindings::plugboard::integration::types as wit;
use crate::{Error, http};

type Handler = Box<dyn Fn(&str) -> Result<String, Error> + Send + Sync>;

/// One typed action.
struct Action {
    id: String,
    name: String,
    description: String,
    input_schema: String,
    handler: Handler,
}

/// A custom-code integration: what it declares to the host, and its actions.
pub struct Integration {
    name: String,
    description: String,
    hostname: String,
    scheme: String,
    auth: wit::AuthRequirement,
    allowed_hosts: Vec<String>,
    config: Vec<wit::ConfigDeclaration>,
    actions: Vec<Action>,
}

impl Integration {
    /// An integration calling `hostname` (with an optional `:port`) over https.
    pub fn new(name: &str, description: &str, hostname: &str) -> Integration {
        Integration {
            name: name.into(),
            description: description.into(),
            hostname: hostname.into(),
            scheme: "https".into(),
            auth: wit::AuthRequirement::None,
            allowed_hosts: Vec::new(),
            config: Vec::new(),
            actions: Vec::new(),
        }
    }

    /// Uses plain http (local testing only).
    pub fn http(mut self) -> Integration {
        self.scheme = "http".into();
        self
    }

    /// How the host authenticates requests to the primary host.
    pub fn auth(mut self, auth: wit::AuthRequirement) -> Integration {
        self.auth = auth;
        self
    }

    /// Another host the integration may call (never with credentials).
    pub fn allow_host(mut self, host: &str) -> Integration {
        self.allowed_hosts.push(host.into());
        self
    }

    /// A config value the integration reads (non-secret), with an optional default.
    pub fn config(mut self, name: &str, description: &str, default: Option<&str>) -> Integration {
        self.config.push(wit::ConfigDeclaration {
            name: name.into(),
            description: description.into(),
            default_value: default.map(str::to_string),
        });
        self
    }

    /// A typed action: the input is deserialized from the call's JSON (an invalid input is an
    /// `invalid-input` error naming what is wrong), the output serialized back.
    pub fn action<I, O>(
        mut self,
        id: &str,
        name: &str,
        description: &str,
        run: fn(I) -> Result<O, Error>,
    ) -> Integration
    where
        I: DeserializeOwned + 'static,
        O: Serialize + 'static,
    {
        let handler = move |input: &str| -> Result<String, Error> {
            let text = if input.trim().is_empty() { "{}" } else { input };
            let input: I = serde_json::from_str(text)
                .map_err(|e| Error::InvalidInput(format!("the input does not fit: {e}")))?;
            let output = run(input)?;
            serde_json::to_string(&output)
                .map_err(|e| Error::Internal(format!("cannot serialize the output: {e}")))
        };
        self.actions.push(Action {
            id: id.into(),
            name: name.into(),
            description: description.into(),
            input_schema: r#"{"type":"object"}"#.into(),
            handler: Box::new(handler),
        });
        self
    }

    /// The manifest the host reads.
    pub fn manifest(&self) -> wit::Manifest {
        wit::Manifest {
            name: self.name.clone(),
            description: self.description.clone(),
            icon: None,
            hostname: self.hostname.clone(),
            base_path: String::new(),
            scheme: self.scheme.clone(),
            auth: self.auth.clone(),
            pagination: wit::Pagination {
                style: wit::PaginationStyle::None,
                results_key: String::new(),
                page_size_param: String::new(),
                default_page_size: 100,
                default_page_limit: 1,
            },
            allowed_hosts: self.allowed_hosts.clone(),
            config: self.config.clone(),
            secrets: Vec::new(),
            schemas: "{}".into(),
            actions: self
                .actions
                .iter()
                .map(|a| wit::Action {
                    id: a.id.clone(),
                    name: a.name.clone(),
                    description: a.description.clone(),
                    method: "CUSTOM".into(),
                    path: "/".into(),
                    paginated: false,
                    input_schema: a.input_schema.clone(),
                    output_schema: "{}".into(),
                })
                .collect(),
        }
    }

    /// Runs an action by id.
    pub fn invoke(&self, id: &str, input: &str) -> Result<String, Error> {
        let action = self
            .actions
            .iter()
            .find(|a| a.id == id)
            .ok_or_else(|| Error::InvalidInput(format!("unknown action `{id}`")))?;
        (action.handler)(input)
    }
}

/// The value of a declared config name (its default when the installation gives none).
pub fn config_value(name: &str) -> Result<Option<String>, Error> {
    crate::config::get(name)
}

/// `GET url` through the host, the answer parsed as JSON; a non-2xx status is an
/// `upstream-status` error with the start of the body.
pub fn get_json<T: DeserializeOwned>(url: &str) -> Result<T, Error> {
    send_json("GET", url, None::<&()>)
}

/// A request with an optional JSON body through the host; the answer parsed as JSON.
pub fn send_json<B: Serialize, T: DeserializeOwned>(
    method: &str,
    url: &str,
    body: Option<&B>,
) -> Result<T, Error> {
    let mut headers = vec![("accept".to_string(), "application/json".to_string())];
    let body = match body {
        Some(body) => {
            headers.push(("content-type".into(), "application/json".into()));
            Some(
                serde_json::to_vec(body)
                    .map_err(|e| Error::Internal(format!("cannot serialize the body: {e}")))?,
            )
        }
        None => None,
    };
    let response = http::send(&http::Request {
        method: method.into(),
        url: url.into(),
        headers,
        body,
    })?;
    if !(200..300).contains(&response.status) {
        let excerpt: String = String::from_utf8_lossy(&response.body)
            .chars()
            .take(512)
            .collect();
        return Err(Error::UpstreamStatus(wit::UpstreamStatus {
            status: response.status,
            body_excerpt: excerpt,
            message: format!("{method} {url} returned status {}", response.status),
        }));
    }
    serde_json::from_slice(&response.body).map_err(|e| {
        Error::Internal(format!(
            "the answer of {method} {url} is not the JSON expected: {e}"
        ))
    })
}

/// Exports an integration built by `build` (a `fn() -> Integration`, run once per instance).
#[macro_export]
macro_rules! integration {
    ($build:path) => {
        struct __PlugboardIntegration;

        fn __plugboard_integration() -> &'static $crate::Integration {
            static INTEGRATION: ::std::sync::OnceLock<$crate::Integration> =
                ::std::sync::OnceLock::new();
            INTEGRATION.get_or_init($build)
        }

        impl $crate::Guest for __PlugboardIntegration {
            fn manifest() -> ::std::result::Result<$crate::Manifest, $crate::Error> {
                ::std::result::Result::Ok(__plugboard_integration().manifest())
            }

            fn invoke(
                action_id: ::std::string::String,
                input: ::std::string::String,
            ) -> ::std::result::Result<::std::string::String, $crate::Error> {
                __plugboard_integration().invoke(&action_id, &input)
            }
        }

        $crate::export!(__PlugboardIntegration with_types_in $crate::bindings);
    };
}
