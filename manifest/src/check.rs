//! The rules a host applies to a manifest it did not make (a custom-code component's, a
//! third-party bundle's): every problem, with the JSON path it concerns.

use std::collections::HashSet;

use serde::Serialize;
use serde_json::Value;

use crate::rules::{
    HostPort, action_id_problem, authorization_param_problem, dotted_key_problem, host_template,
    icon_problem, is_header_value, is_token, oauth_url_problem, plain_http_credentials_problem,
    refresh_status_problem, seconds_problem, template_host, token_request_header_problem,
    token_scheme_problem, value_name_problem,
};
use crate::{
    Action, Auth, AuthCredential, Error, Grant, Header, MANIFEST_VERSION, Manifest, OAuth2,
    REFRESH_BUFFER_RANGE, REFRESH_INTERVAL_RANGE, Refresh,
};

/// One broken rule: where (a JSON path such as `$.header.auth.token_url`) and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// JSON path of the offending value.
    pub path: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl Problem {
    /// A problem at `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            path: path.into(),
            message: message.into(),
        }
    }

    /// One problem per line, `  path: message`.
    pub fn list(problems: &[Problem]) -> String {
        problems
            .iter()
            .map(|p| format!("  {}: {}", p.path, p.message))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Longest name or description line a host accepts.
const MAX_NAME_LEN: usize = 200;

impl Manifest {
    /// Checks every rule; all problems at once.
    pub fn check(&self) -> Result<(), Error> {
        let mut out = Vec::new();
        if self.manifest_version != MANIFEST_VERSION {
            out.push(Problem::new(
                "$.manifest_version",
                format!("this host reads manifest version {MANIFEST_VERSION}"),
            ));
        }
        self.header.problems("$.header", &mut out);
        for (name, schema) in &self.schemas {
            if !is_schema(schema) {
                out.push(Problem::new(
                    format!("$.schemas[{}]", quoted(name)),
                    "a JSON Schema is an object or a boolean",
                ));
            }
        }
        let mut ids = HashSet::with_capacity(self.actions.len());
        for (i, action) in self.actions.iter().enumerate() {
            let at = format!("$.actions[{i}]");
            if !ids.insert(action.id.as_str()) {
                out.push(Problem::new(
                    format!("{at}.id"),
                    format!("duplicate action id `{}`", action.id),
                ));
            }
            action.problems(&at, &mut out);
        }
        if self.actions.is_empty() {
            out.push(Problem::new("$.actions", "an integration needs an action"));
        }
        finish(out)
    }
}

impl Header {
    /// Checks every rule of the header; all problems at once.
    pub fn check(&self) -> Result<(), Error> {
        let mut out = Vec::new();
        self.problems("$.header", &mut out);
        finish(out)
    }

    fn problems(&self, at: &str, out: &mut Vec<Problem>) {
        let name = self.name.trim();
        if name.is_empty() || name.len() > MAX_NAME_LEN || name.contains(char::is_control) {
            out.push(Problem::new(
                format!("{at}.name"),
                format!("a name is one line of 1..={MAX_NAME_LEN} characters"),
            ));
        }
        if let Some(problem) = self.icon.as_deref().and_then(icon_problem) {
            out.push(Problem::new(format!("{at}.icon"), problem));
        }
        // A template (`{account}.blob.core.windows.net`) is checked as such; each placeholder is
        // a config value the installation sets.
        for name in host_template(&self.hostname).unwrap_or_default() {
            if !self.config.iter().any(|c| c.name == name) {
                out.push(Problem::new(
                    format!("{at}.hostname"),
                    format!("placeholder `{{{name}}}` is not a declared config value"),
                ));
            }
        }
        match template_host(&self.hostname) {
            Err(problem) => out.push(Problem::new(format!("{at}.hostname"), problem)),
            Ok(host) if !matches!(self.auth, Auth::None) => {
                if let Some(problem) = plain_http_credentials_problem(self.scheme, &host) {
                    out.push(Problem::new(format!("{at}.scheme"), problem));
                }
            }
            Ok(_) => {}
        }
        for (i, host) in self.allowed_hosts.iter().enumerate() {
            if let Err(problem) = HostPort::parse(host) {
                out.push(Problem::new(format!("{at}.allowed_hosts[{i}]"), problem));
            }
        }
        match &self.auth {
            Auth::None | Auth::Basic => {}
            Auth::ApiKey(key) => {
                if !is_token(&key.header_name) {
                    out.push(Problem::new(
                        format!("{at}.auth.header_name"),
                        "not a valid header, parameter or cookie name",
                    ));
                }
                if !is_header_value(&key.preamble) {
                    out.push(Problem::new(
                        format!("{at}.auth.preamble"),
                        "the preamble must be one line",
                    ));
                }
            }
            Auth::OAuth2(oauth) => oauth.problems(&format!("{at}.auth"), out),
        }
        let mut names = HashSet::new();
        for (i, config) in self.config.iter().enumerate() {
            let path = format!("{at}.config[{i}].name");
            if let Some(problem) = value_name_problem(&config.name) {
                out.push(Problem::new(path.clone(), problem));
            }
            if !names.insert(config.name.as_str()) {
                out.push(Problem::new(path, "declared twice"));
            }
        }
        let mut secrets = HashSet::new();
        for (i, secret) in self.secrets.iter().enumerate() {
            let path = format!("{at}.secrets[{i}]");
            if let Some(problem) = value_name_problem(secret) {
                out.push(Problem::new(path.clone(), problem));
            }
            if AuthCredential::is_auth_credential(secret) {
                out.push(Problem::new(
                    path.clone(),
                    format!(
                        "`{secret}` is an auth credential: the host applies it, components never read it"
                    ),
                ));
            }
            if !secrets.insert(secret.as_str()) {
                out.push(Problem::new(path, "declared twice"));
            }
        }
        for (i, id) in self.anonymous_actions.iter().enumerate() {
            if let Some(problem) = action_id_problem(id) {
                out.push(Problem::new(
                    format!("{at}.anonymous_actions[{i}]"),
                    problem,
                ));
            }
        }
    }
}

impl OAuth2 {
    /// The problems of these settings, at `at` (`$.header.auth`).
    fn problems(&self, at: &str, out: &mut Vec<Problem>) {
        if let Some(problem) = oauth_url_problem(&self.token_url) {
            out.push(Problem::new(format!("{at}.token_url"), problem));
        }
        match (self.grant, &self.authorization_url) {
            (Grant::AuthorizationCode, None) => out.push(Problem::new(
                format!("{at}.authorization_url"),
                "the authorization code grant needs the consent URL",
            )),
            (_, Some(url)) => {
                if let Some(problem) = oauth_url_problem(url) {
                    out.push(Problem::new(format!("{at}.authorization_url"), problem));
                }
            }
            (Grant::ClientCredentials, None) => {}
        }
        if let Some(problem) = token_scheme_problem(&self.token_scheme) {
            out.push(Problem::new(format!("{at}.token_scheme"), problem));
        }
        for (field, key) in [
            ("token_key", &self.token_key),
            ("expiration_key", &self.expiration_key),
            ("refresh_token_key", &self.refresh_token_key),
        ] {
            if let Some(problem) = dotted_key_problem(key) {
                out.push(Problem::new(format!("{at}.{field}"), problem));
            }
        }
        let (field, seconds, range) = match self.refresh {
            Refresh::Automatic { buffer_seconds } => {
                ("buffer_seconds", buffer_seconds, REFRESH_BUFFER_RANGE)
            }
            Refresh::Interval { every_seconds } => {
                ("every_seconds", every_seconds, REFRESH_INTERVAL_RANGE)
            }
        };
        if let Some(problem) = seconds_problem(&range, seconds) {
            out.push(Problem::new(format!("{at}.refresh.{field}"), problem));
        }
        for (i, status) in self.refresh_on_status.iter().enumerate() {
            if let Some(problem) = refresh_status_problem(*status) {
                out.push(Problem::new(
                    format!("{at}.refresh_on_status[{i}]"),
                    problem,
                ));
            }
        }
        for (i, (name, value)) in self.token_request_headers.iter().enumerate() {
            if let Some(problem) = token_request_header_problem(name, value) {
                out.push(Problem::new(
                    format!("{at}.token_request_headers[{i}]"),
                    format!("`{name}`: {problem}"),
                ));
            }
        }
        for (i, (name, _)) in self.authorization_params.iter().enumerate() {
            if let Some(problem) = authorization_param_problem(name) {
                out.push(Problem::new(
                    format!("{at}.authorization_params[{i}]"),
                    format!("`{name}`: {problem}"),
                ));
            }
        }
    }
}

impl Action {
    fn problems(&self, at: &str, out: &mut Vec<Problem>) {
        if let Some(problem) = action_id_problem(&self.id) {
            out.push(Problem::new(format!("{at}.id"), problem));
        }
        if self.name.trim().is_empty() || self.name.contains(char::is_control) {
            out.push(Problem::new(format!("{at}.name"), "a name is one line"));
        }
        for (field, schema) in [
            ("input_schema", &self.input_schema),
            ("output_schema", &self.output_schema),
        ] {
            if !is_schema(schema) {
                out.push(Problem::new(
                    format!("{at}.{field}"),
                    "a JSON Schema is an object or a boolean",
                ));
            }
        }
    }
}

fn is_schema(value: &Value) -> bool {
    value.is_object() || value.is_boolean()
}

fn quoted(name: &str) -> String {
    serde_json::to_string(name).unwrap_or_default()
}

fn finish(problems: Vec<Problem>) -> Result<(), Error> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(problems))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ConfigDeclaration, RequestFormat, Scheme};
    use serde_json::json;

    fn manifest() -> Manifest {
        Manifest::new(
            Header {
                name: "Items".into(),
                description: String::new(),
                icon: None,
                hostname: "api.example.com".into(),
                scheme: Scheme::Https,
                allowed_hosts: vec![],
                auth: Auth::None,
                config: vec![],
                secrets: vec![],
                anonymous_actions: vec![],
            },
            Default::default(),
            vec![Action {
                id: "list".into(),
                name: "List".into(),
                description: String::new(),
                input_schema: json!({"type": "object"}),
                output_schema: json!(true),
            }],
        )
    }

    fn paths(manifest: &Manifest) -> Vec<String> {
        match manifest.check() {
            Ok(()) => Vec::new(),
            Err(Error::Invalid(problems)) => problems.into_iter().map(|p| p.path).collect(),
            Err(other) => panic!("{other}"),
        }
    }

    #[test]
    fn what_a_host_refuses_to_run() {
        assert!(paths(&manifest()).is_empty());
        let mut m = manifest();
        m.header.secrets = vec!["client_secret".into(), "mine".into(), "mine".into()];
        m.header.hostname = "https://api.example.com/v1".into();
        m.header.allowed_hosts = vec!["169.254.169.254:0".into()];
        m.header.config = vec![ConfigDeclaration {
            name: "a b".into(),
            description: String::new(),
            default_value: None,
        }];
        m.actions.push(m.actions[0].clone());
        m.actions[1].input_schema = json!("not a schema");
        assert_eq!(
            paths(&m),
            [
                "$.header.hostname",
                "$.header.allowed_hosts[0]",
                "$.header.config[0].name",
                "$.header.secrets[0]",
                "$.header.secrets[2]",
                "$.actions[1].id",
                "$.actions[1].input_schema",
            ]
        );
    }

    #[test]
    fn oauth_settings_a_host_refuses() {
        let mut oauth = OAuth2::new(Grant::AuthorizationCode, "http://auth.example.com/token");
        oauth.refresh = Refresh::Interval { every_seconds: 10 };
        oauth.refresh_on_status = vec![200];
        oauth.token_request_headers = vec![("Authorization".into(), "x".into())];
        oauth.authorization_params = vec![("code_challenge_method".into(), "plain".into())];
        oauth.request_format = RequestFormat::Json;
        let mut m = manifest();
        m.header.auth = Auth::OAuth2(oauth.into());
        assert_eq!(
            paths(&m),
            [
                "$.header.auth.token_url",
                "$.header.auth.authorization_url",
                "$.header.auth.refresh.every_seconds",
                "$.header.auth.refresh_on_status[0]",
                "$.header.auth.token_request_headers[0]",
                "$.header.auth.authorization_params[0]",
            ]
        );
        // Unknown values are errors when read, never a fallback to a default.
        for (from, to) in [
            ("\"authorization_code\"", "\"implicit\""),
            ("\"application/json\"", "\"text/plain\""),
            ("\"automatic\"", "\"sometimes\""),
        ] {
            let mut oauth = OAuth2::new(Grant::AuthorizationCode, "https://a/t");
            oauth.authorization_url = Some("https://a/a".into());
            oauth.request_format = RequestFormat::Json;
            let text = serde_json::to_string(&Auth::OAuth2(oauth.into()))
                .unwrap()
                .replace(from, to);
            assert!(serde_json::from_str::<Auth>(&text).is_err(), "{text}");
        }
    }
}
