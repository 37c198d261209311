//! Custom-code integrations with typed actions: describe the integration once with
//! [`Integration`], write each action as a function from a serde input to a serde output, and
//! export it with [`integration!`](crate::integration). HTTP goes through the host
//! ([`get_json`], [`send_json`]), which applies the installation's credentials and refuses hosts
//! the manifest does not declare; config values come from [`config_value`], declared secrets
//! from [`secret_value`].
//!
//! What the builder declares becomes the component's manifest when `plugboard build` records it
//! (once, before signing): it must not depend on anything but the code, since the host enforces
//! the recorded manifest, not what the builder would say later.
//!
//! ```ignore
//! use plugboard_guest::{Failure, Integration, get_json};
//!
//! #[derive(serde::Deserialize)]
//! struct Input { id: u64 }
//!
//! fn get_item(input: Input) -> Result<serde_json::Value, Failure> {
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

use plugboard_manifest::{Action, Auth, ConfigDeclaration, Failure, Header, Manifest, Scheme};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::http;

type Handler = Box<dyn Fn(&str) -> Result<String, Failure> + Send + Sync>;

/// A custom-code integration: its manifest, and a handler per action.
pub struct Integration {
    header: Header,
    actions: Vec<Action>,
    handlers: Vec<Handler>,
}

impl Integration {
    /// An integration calling `hostname` (with an optional `:port`) over https.
    pub fn new(name: &str, description: &str, hostname: &str) -> Integration {
        Integration {
            header: Header {
                name: name.into(),
                description: description.into(),
                icon: None,
                hostname: hostname.into(),
                scheme: Scheme::Https,
                allowed_hosts: Vec::new(),
                auth: Auth::None,
                config: Vec::new(),
                secrets: Vec::new(),
                anonymous_actions: Vec::new(),
            },
            actions: Vec::new(),
            handlers: Vec::new(),
        }
    }

    /// Uses plain http (local testing only).
    pub fn http(mut self) -> Integration {
        self.header.scheme = Scheme::Http;
        self
    }

    /// An SVG icon.
    pub fn icon(mut self, svg: &str) -> Integration {
        self.header.icon = Some(svg.into());
        self
    }

    /// How the host authenticates requests to the primary host.
    pub fn auth(mut self, auth: Auth) -> Integration {
        self.header.auth = auth;
        self
    }

    /// Another host the integration may call (never with credentials).
    pub fn allow_host(mut self, host: &str) -> Integration {
        self.header.allowed_hosts.push(host.into());
        self
    }

    /// A config value the integration reads (non-secret), with an optional default.
    pub fn config(mut self, name: &str, description: &str, default: Option<&str>) -> Integration {
        self.header.config.push(ConfigDeclaration {
            name: name.into(),
            description: description.into(),
            default_value: default.map(str::to_string),
        });
        self
    }

    /// A secret of the installation the integration reads with [`secret_value`] (never one of
    /// the credentials the host applies for auth).
    pub fn secret(mut self, name: &str) -> Integration {
        self.header.secrets.push(name.into());
        self
    }

    /// A typed action: the input is deserialized from the call's JSON (an invalid input is an
    /// `invalid-input` failure naming what is wrong), the output serialized back.
    pub fn action<I, O>(
        mut self,
        id: &str,
        name: &str,
        description: &str,
        run: fn(I) -> Result<O, Failure>,
    ) -> Integration
    where
        I: DeserializeOwned + 'static,
        O: Serialize + 'static,
    {
        let handler = move |input: &str| -> Result<String, Failure> {
            let text = if input.trim().is_empty() { "{}" } else { input };
            let input: I = serde_json::from_str(text)
                .map_err(|e| Failure::invalid_input(format!("the input does not fit: {e}")))?;
            let output = run(input)?;
            serde_json::to_string(&output)
                .map_err(|e| Failure::internal(format!("cannot serialize the output: {e}")))
        };
        self.actions.push(Action {
            id: id.into(),
            name: name.into(),
            description: description.into(),
            input_schema: json!({"type": "object"}),
            output_schema: json!({}),
        });
        self.handlers.push(Box::new(handler));
        self
    }

    /// The manifest `plugboard build` records.
    pub fn manifest(&self) -> Manifest {
        Manifest::new(
            self.header.clone(),
            Default::default(),
            self.actions.clone(),
        )
    }

    /// The manifest as JSON (the `describe` export).
    pub fn describe(&self) -> Result<String, Failure> {
        serde_json::to_string(&self.manifest())
            .map_err(|e| Failure::internal(format!("cannot serialize the manifest: {e}")))
    }

    /// Runs an action by id.
    pub fn invoke(&self, id: &str, input: &str) -> Result<String, Failure> {
        let index = self
            .actions
            .iter()
            .position(|a| a.id == id)
            .ok_or_else(|| Failure::invalid_input(format!("unknown action `{id}`")))?;
        (self.handlers[index])(input)
    }
}

/// The value of a declared config name (its default when the installation gives none).
pub fn config_value(name: &str) -> Result<Option<String>, Failure> {
    Ok(crate::config::get(name)?)
}

/// The installation's value of a declared secret.
pub fn secret_value(name: &str) -> Result<Option<String>, Failure> {
    Ok(crate::secrets::get(name)?)
}

/// `GET url` through the host, the answer parsed as JSON; a non-2xx status is an
/// `upstream-status` failure with the start of the body.
pub fn get_json<T: DeserializeOwned>(url: &str) -> Result<T, Failure> {
    send_json("GET", url, None::<&()>)
}

/// A request with an optional JSON body through the host; the answer parsed as JSON.
pub fn send_json<B: Serialize, T: DeserializeOwned>(
    method: &str,
    url: &str,
    body: Option<&B>,
) -> Result<T, Failure> {
    let mut headers = vec![("accept".to_string(), "application/json".to_string())];
    let body = match body {
        Some(body) => {
            headers.push(("content-type".into(), "application/json".into()));
            Some(
                serde_json::to_vec(body)
                    .map_err(|e| Failure::internal(format!("cannot serialize the body: {e}")))?,
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
        return Err(Failure::UpstreamStatus {
            status: response.status,
            body_excerpt: excerpt,
            message: format!("{method} {url} returned status {}", response.status),
        });
    }
    serde_json::from_slice(&response.body).map_err(|e| {
        Failure::internal(format!(
            "the answer of {method} {url} is not the JSON expected: {e}"
        ))
    })
}

/// Exports an integration built by `build` (a `fn() -> Integration`, run once per instance):
/// `invoke` runs its actions, `describe` gives its manifest to `plugboard build`.
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
            fn describe() -> ::std::result::Result<::std::string::String, $crate::types::Error> {
                ::std::result::Result::Ok(__plugboard_integration().describe()?)
            }

            fn invoke(
                action_id: ::std::string::String,
                input: ::std::string::String,
            ) -> ::std::result::Result<::std::string::String, $crate::types::Error> {
                ::std::result::Result::Ok(__plugboard_integration().invoke(&action_id, &input)?)
            }
        }

        $crate::export!(__PlugboardIntegration with_types_in $crate::bindings);
    };
}
