//! Upstream text the host hands back (error excerpts, messages, outputs) with the call's
//! credential values replaced: APIs that echo the request (many error pages do) must not show an
//! installation's key to whoever invokes.

use std::borrow::Cow;

use base64::Engine as _;
use plugboard_manifest::Failure;
use serde_json::Value;

use crate::{Credentials, Error};

/// What replaces a credential.
const REDACTED: &str = "[redacted]";
/// Values shorter than this are not searched for: they would match ordinary text.
const MIN_LEN: usize = 4;
/// Credentials that name rather than prove (not replaced: they appear in ordinary data).
const IDENTIFIERS: &[&str] = &["client_id", "username"];

/// The texts to replace for one call.
pub(crate) struct Scrubber {
    needles: Vec<String>,
}

impl Scrubber {
    /// Every secret credential (the API key, password, client secret, refresh token, declared
    /// secrets) and every access token the call used, raw and in the forms requests carry them:
    /// form-encoded (a query parameter) and, for Basic, base64 of `user:password`.
    pub(crate) fn new(credentials: &Credentials, tokens: &[std::sync::Arc<str>]) -> Scrubber {
        let mut needles = Vec::new();
        let secrets = credentials
            .names()
            .filter(|name| !IDENTIFIERS.contains(name))
            .filter_map(|name| credentials.get(name))
            .chain(tokens.iter().map(|t| &**t));
        for secret in secrets {
            needles.push(secret.to_string());
            needles.push(url::form_urlencoded::byte_serialize(secret.as_bytes()).collect());
            // Echoed inside a JSON body: escaped as JSON (`"` and `\` and control characters),
            // and with `/` as `\/` too, as PHP and others write it by default. Only for a secret
            // that has such a character (most have none; this runs on every call).
            if secret.contains(['/', '"', '\\']) || secret.contains(char::is_control) {
                let escaped = json_escaped(secret);
                needles.push(escaped.replace('/', "\\/"));
                needles.push(escaped);
            }
        }
        if let (Some(user), Some(password)) =
            (credentials.get("username"), credentials.get("password"))
        {
            needles.push(
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")),
            );
        }
        needles.retain(|n| n.len() >= MIN_LEN);
        needles.sort_unstable_by_key(|n| std::cmp::Reverse(n.len()));
        needles.dedup();
        Scrubber { needles }
    }

    /// `text` with every needle replaced.
    pub(crate) fn text<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for needle in &self.needles {
            if out.contains(needle.as_str()) {
                out = Cow::Owned(out.replace(needle.as_str(), REDACTED));
            }
        }
        out
    }

    fn owned(&self, text: String) -> String {
        match self.text(&text) {
            Cow::Borrowed(_) => text,
            Cow::Owned(scrubbed) => scrubbed,
        }
    }

    /// A JSON output with every string (keys too) scrubbed.
    pub(crate) fn value(&self, value: Value) -> Value {
        if self.needles.is_empty() {
            return value;
        }
        match value {
            Value::String(text) => Value::String(self.owned(text)),
            Value::Array(items) => Value::Array(items.into_iter().map(|v| self.value(v)).collect()),
            Value::Object(map) => Value::Object(
                map.into_iter()
                    .map(|(k, v)| (self.owned(k), self.value(v)))
                    .collect(),
            ),
            other => other,
        }
    }

    /// A component's output (checked JSON text) with every string (keys too) scrubbed, as
    /// [`Scrubber::value`] does on the parsed output. Text with no escapes and no credential in
    /// it comes back unchanged without being parsed: with no escapes, each string is its own
    /// text, so a credential in any string would show in the text. Anything else goes the
    /// exact way, through a parse.
    pub(crate) fn json_text(&self, text: String) -> Result<String, Error> {
        if self.text_is_clean(&text) {
            return Ok(text);
        }
        Ok(self.value(crate::runtime::parse_text(&text)?).to_string())
    }

    /// A component's output (checked JSON text) parsed, with every string (keys too) scrubbed
    /// as [`Scrubber::value`] does; text that [`Scrubber::json_text`] would hand back unchanged
    /// is only parsed, not walked.
    pub(crate) fn parsed(&self, text: &str) -> Result<Value, Error> {
        let value = crate::runtime::parse_text(text)?;
        Ok(if self.text_is_clean(text) {
            value
        } else {
            self.value(value)
        })
    }

    /// Whether JSON `text` can hold no credential in any of its strings: no needles, or no
    /// escapes (so each string is its own text) and no needle in the text.
    fn text_is_clean(&self, text: &str) -> bool {
        self.needles.is_empty()
            || (!text.contains('\\') && !self.needles.iter().any(|n| text.contains(n.as_str())))
    }

    /// An error with every text it carries scrubbed.
    pub(crate) fn error(&self, error: Error) -> Error {
        if self.needles.is_empty() {
            return error;
        }
        match error {
            Error::Guest(failure) => Error::Guest(self.failure(failure)),
            Error::Trap { message, stderr } => Error::Trap {
                message: self.owned(message),
                stderr: self.owned(stderr),
            },
            Error::BadOutput(message) => Error::BadOutput(self.owned(message)),
            Error::NeedsConsent(message) => Error::NeedsConsent(self.owned(message)),
            Error::Tokens(message) => Error::Tokens(self.owned(message)),
            other => other,
        }
    }

    fn failure(&self, failure: Failure) -> Failure {
        match failure {
            Failure::UpstreamStatus {
                status,
                body_excerpt,
                message,
            } => Failure::UpstreamStatus {
                status,
                body_excerpt: self.owned(body_excerpt),
                message: self.owned(message),
            },
            Failure::InvalidInput { message } => Failure::InvalidInput {
                message: self.owned(message),
            },
            Failure::Transport { message } => Failure::Transport {
                message: self.owned(message),
            },
            Failure::Denied { message } => Failure::Denied {
                message: self.owned(message),
            },
            Failure::LimitExceeded { message } => Failure::LimitExceeded {
                message: self.owned(message),
            },
            Failure::Internal { message } => Failure::Internal {
                message: self.owned(message),
            },
        }
    }
}

/// `text` as it appears between the quotes of a JSON string.
fn json_escaped(text: &str) -> String {
    let quoted = Value::String(text.to_string()).to_string();
    quoted[1..quoted.len() - 1].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_form_of_a_credential_is_replaced() {
        let credentials: Credentials = [
            ("api_key", "sk live/+key="),
            ("username", "ada"),
            ("password", "pw-1234"),
            ("client_id", "client-42"),
        ]
        .into_iter()
        .collect();
        let token: std::sync::Arc<str> = "tok-abcdef".into();
        let scrub = Scrubber::new(&credentials, std::slice::from_ref(&token));
        let basic = base64::engine::general_purpose::STANDARD.encode("ada:pw-1234");
        let echoed = format!(
            "key=sk+live%2F%2Bkey%3D raw=sk live/+key= auth=Basic {basic} bearer=tok-abcdef id=client-42 user=ada"
        );
        let text = scrub.text(&echoed);
        assert!(!text.contains("sk") && !text.contains(&basic) && !text.contains("tok-abcdef"));
        assert!(
            text.contains("id=client-42") && text.contains("user=ada"),
            "{text}"
        );
        let output = scrub.value(json!({"echo": {"headers": ["Bearer tok-abcdef"]}, "pw-1234": 1}));
        assert_eq!(
            output,
            json!({"echo": {"headers": ["Bearer [redacted]"]}, "[redacted]": 1})
        );
        let error = scrub.error(Error::Guest(Failure::UpstreamStatus {
            status: 400,
            body_excerpt: "you sent pw-1234".into(),
            message: "GET /x".into(),
        }));
        assert!(!error.to_string().contains("pw-1234"), "{error}");
    }

    #[test]
    fn a_credential_echoed_in_json_with_escapes_is_replaced() {
        let credentials: Credentials = [("api_key", "k/9\\q\"z+w==")].into_iter().collect();
        let scrub = Scrubber::new(&credentials, &[]);
        // As serde writes it, and as PHP's json_encode writes it (`/` escaped too).
        for body in [
            r#"{"error":"bad key k/9\\q\"z+w=="}"#,
            r#"{"error":"bad key k\/9\\q\"z+w=="}"#,
        ] {
            let text = scrub.text(body);
            assert_eq!(text, r#"{"error":"bad key [redacted]"}"#, "{body}");
        }
    }

    #[test]
    fn an_output_text_is_kept_as_it_is_unless_a_credential_is_in_it() {
        let credentials: Credentials = [("api_key", "sk-12345")].into_iter().collect();
        let scrub = Scrubber::new(&credentials, &[]);
        let clean = "{ \"b\": [1, 2],\n  \"a\": \"x\" }".to_string();
        assert_eq!(scrub.json_text(clean.clone()).unwrap(), clean);
        // A credential in a string or a key, plainly or spelled with escapes (which a search
        // of the text would miss): the output is parsed, scrubbed and written again.
        for (text, scrubbed) in [
            (r#"{"k": "key sk-12345"}"#, json!({"k": "key [redacted]"})),
            (r#"{"sk-12345": 1}"#, json!({"[redacted]": 1})),
            (
                r#"{"k": "key s\u006b-12345"}"#,
                json!({"k": "key [redacted]"}),
            ),
        ] {
            let out = scrub.json_text(text.to_string()).unwrap();
            assert_eq!(
                serde_json::from_str::<Value>(&out).unwrap(),
                scrubbed,
                "{text}"
            );
            assert_eq!(scrub.parsed(text).unwrap(), scrubbed, "{text}");
        }
        assert_eq!(
            scrub.parsed(&clean).unwrap(),
            json!({"b": [1, 2], "a": "x"})
        );
        // Escapes alone do not change an output without a credential.
        let escaped = r#"{"k": "line\nbreak"}"#;
        let out = scrub.json_text(escaped.to_string()).unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&out).unwrap(),
            json!({"k": "line\nbreak"})
        );
        // No credentials: nothing to look for.
        let none = Scrubber::new(&Credentials::new(), &[]);
        assert_eq!(none.json_text(escaped.to_string()).unwrap(), escaped);
    }
}
