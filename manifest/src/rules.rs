//! Rules that authoring (definitions, the importer) and running (the host's manifest check, the
//! OAuth client) share, so that both sides agree on what is acceptable.

/// Consent URL parameters the host sets itself (an extra parameter may not replace them: that
/// would break the flow or weaken PKCE).
pub const RESERVED_AUTHORIZATION_PARAMS: &[&str] = &[
    "response_type",
    "client_id",
    "redirect_uri",
    "state",
    "code_challenge",
    "code_challenge_method",
    "scope",
];

/// Token request headers the host sets itself (lower case).
pub const RESERVED_TOKEN_HEADERS: &[&str] = &[
    "authorization",
    "content-type",
    "content-length",
    "host",
    "transfer-encoding",
    "connection",
];

/// Longest action id.
pub const MAX_ACTION_ID_LEN: usize = 128;
/// Largest icon, in bytes.
pub const MAX_ICON_BYTES: usize = 256 * 1024;

/// Why `text` cannot be an OAuth endpoint URL, or `None`: it must be an absolute `https` URL
/// without a fragment; plain `http` only for loopback hosts (token requests carry the client
/// secret).
pub fn oauth_url_problem(text: &str) -> Option<String> {
    let url = match url::Url::parse(text) {
        Ok(url) => url,
        Err(e) => return Some(format!("not an absolute URL: {e}")),
    };
    let Some(host) = url.host_str() else {
        return Some("must be an https URL with a host".into());
    };
    let loopback = is_loopback_host(host);
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Some(
                "must use https (plain http only for loopback hosts such as 127.0.0.1)".into(),
            );
        }
        _ => return Some("must be an https URL".into()),
    }
    url.fragment()
        .is_some()
        .then(|| "must not have a fragment (`#...`)".into())
}

/// Whether `host` (a name or an address literal, as a URL writes it) is the machine itself:
/// `localhost` or a loopback address. Credentials travel over plain http only to such hosts.
pub fn is_loopback_host(host: &str) -> bool {
    match url::Host::parse(host) {
        Ok(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Ok(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Ok(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Err(_) => host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .and_then(|h| h.parse::<std::net::Ipv6Addr>().ok())
            .is_some_and(|ip| ip.is_loopback()),
    }
}

/// Why an integration may not send credentials to `hostname` over `scheme`, or `None`:
/// credentials go over https, or plain http to loopback hosts (local testing).
pub fn plain_http_credentials_problem(
    scheme: crate::Scheme,
    hostname: &HostPort,
) -> Option<String> {
    (scheme == crate::Scheme::Http && !is_loopback_host(&hostname.host)).then(|| {
        "credentials are sent only over https (plain http only for loopback hosts such as 127.0.0.1); use https or no auth".to_string()
    })
}

/// The JSON type of a value as messages name it: `an array`, `a string`, `null`, ...
pub fn json_kind(value: &serde_json::Value) -> &'static str {
    use serde_json::Value;
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Whether `text` is a media type: `type/subtype` (tokens; `*` allowed), optionally with
/// `; parameters`, on one line.
pub fn is_media_type(text: &str) -> bool {
    let essence = text.split(';').next().unwrap_or("").trim();
    essence
        .split_once('/')
        .is_some_and(|(kind, subtype)| is_token(kind) && is_token(subtype))
        && !text.chars().any(char::is_control)
}

/// Parameter styles (OpenAPI `style`) a location takes: `form` (the query's default),
/// delimited arrays and `deepObject` in the query; `simple` in paths and headers.
pub fn parameter_styles(in_query: bool) -> &'static [&'static str] {
    if in_query {
        &["form", "spaceDelimited", "pipeDelimited", "deepObject"]
    } else {
        &["simple"]
    }
}

/// Whether `text` is an HTTP token (RFC 9110): a header name, or a word such as `Bearer`.
pub fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'!' | b'#'
                        | b'$'
                        | b'%'
                        | b'&'
                        | b'\''
                        | b'*'
                        | b'+'
                        | b'-'
                        | b'.'
                        | b'^'
                        | b'_'
                        | b'`'
                        | b'|'
                        | b'~'
                )
        })
}

/// Whether `text` may be a header value: no line breaks or other control characters but tab.
pub fn is_header_value(text: &str) -> bool {
    !text.chars().any(|c| c.is_control() && c != '\t')
}

/// Why `scheme` cannot be the word before an access token, or `None`.
pub fn token_scheme_problem(scheme: &str) -> Option<&'static str> {
    (!is_token(scheme)).then_some("must be one word, such as `Bearer`")
}

/// Why `key` cannot locate a value in a token response, or `None`: a key or a dotted path.
pub fn dotted_key_problem(key: &str) -> Option<&'static str> {
    (key.trim().is_empty() || key.split('.').any(str::is_empty))
        .then_some("must be a key or a dotted path such as `data.access_token`")
}

/// Why `seconds` is out of `range`, or `None`.
pub fn seconds_problem(range: &std::ops::RangeInclusive<u32>, seconds: u32) -> Option<String> {
    (!range.contains(&seconds)).then(|| {
        format!(
            "must be {}..={} seconds, got {seconds}",
            range.start(),
            range.end()
        )
    })
}

/// Why `status` cannot mean "token rejected", or `None`: it must be an error status.
pub fn refresh_status_problem(status: u16) -> Option<String> {
    (!(400..=599).contains(&status))
        .then(|| format!("must be an error status (400..=599), got {status}"))
}

/// Why a header cannot be an extra header of token requests, or `None`.
pub fn token_request_header_problem(name: &str, value: &str) -> Option<&'static str> {
    if !is_token(name) {
        Some("not a valid header name")
    } else if RESERVED_TOKEN_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
        Some("set by the host; it cannot be replaced")
    } else if !value.chars().all(|c| c == '\t' || (' '..='~').contains(&c)) {
        Some("a header value must be one line of printable ASCII")
    } else {
        None
    }
}

/// Why `name` cannot be an extra parameter of the consent URL, or `None`.
pub fn authorization_param_problem(name: &str) -> Option<&'static str> {
    RESERVED_AUTHORIZATION_PARAMS
        .contains(&name)
        .then_some("set by the host (scope has its own field); it cannot be replaced")
}

/// The placeholders of a hostname template, a host whose labels may be `{name}`, each set per
/// installation (`{account}.blob.core.windows.net`, from AutoRest's `x-ms-parameterized-host`):
/// `Ok` with the names in order (empty for a plain host), or why the template is refused. A
/// placeholder is a whole label, and at least one label is fixed text.
pub fn host_template(text: &str) -> Result<Vec<&str>, String> {
    if !text.contains(['{', '}']) {
        return Ok(Vec::new());
    }
    let host = text.rsplit_once(':').map_or(
        text,
        |(host, port)| {
            if port.contains('}') { text } else { host }
        },
    );
    let mut names = Vec::new();
    let mut fixed = 0;
    for label in host.split('.') {
        match label.strip_prefix('{').and_then(|l| l.strip_suffix('}')) {
            Some(name) if value_name_problem(name).is_none() && !name.contains('.') => {
                names.push(name)
            }
            Some(name) => {
                return Err(format!(
                    "`{{{name}}}` is not a placeholder name (`A-Z a-z 0-9 _ -`)"
                ));
            }
            None if label.contains(['{', '}']) => {
                return Err(format!(
                    "`{label}`: a placeholder is a whole label, such as `{{account}}.blob.core.windows.net`"
                ));
            }
            None => fixed += 1,
        }
    }
    if fixed == 0 {
        return Err("a hostname template keeps at least one fixed label".into());
    }
    let sample = names.iter().fold(text.to_string(), |t, name| {
        t.replace(&format!("{{{name}}}"), "x")
    });
    HostPort::parse(&sample)?;
    Ok(names)
}

/// A hostname or template as a host, placeholders read as their names
/// (`{account}.example.com` as `account.example.com`): what host-level rules (plain http with
/// credentials) judge before an installation fills the placeholders.
pub fn template_host(text: &str) -> Result<HostPort, String> {
    host_template(text)?;
    HostPort::parse(&text.replace(['{', '}'], ""))
}

/// A hostname (or template) in lower case, placeholder names kept as written.
pub fn lowercase_host(host: &str) -> String {
    host.split('.')
        .map(|label| {
            if label.starts_with('{') {
                label.to_string()
            } else {
                label.to_ascii_lowercase()
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// Why a value cannot fill a hostname placeholder (one DNS label: `a-z 0-9 -`, 1..=63
/// characters, no `-` at either end), or `None`.
pub fn host_label_problem(value: &str) -> Option<String> {
    let fine = (1..=63).contains(&value.len())
        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !value.starts_with('-')
        && !value.ends_with('-');
    (!fine).then(|| format!("`{value}` is not one DNS label (`a-z 0-9 -`, 1 to 63 characters)"))
}

/// A hostname template with each placeholder replaced by its value (lower case), checked with
/// [`host_label_problem`]; `lookup` gives the values.
pub fn resolve_host_template(
    template: &str,
    mut lookup: impl FnMut(&str) -> Option<String>,
) -> Result<String, String> {
    let mut host = template.to_string();
    for name in host_template(template)? {
        let value = lookup(name).ok_or_else(|| {
            format!("the hostname `{template}` needs the installation's config value `{name}`")
        })?;
        if let Some(problem) = host_label_problem(&value) {
            return Err(format!("config value `{name}`: {problem}"));
        }
        host = host.replace(&format!("{{{name}}}"), &value.to_ascii_lowercase());
    }
    Ok(host)
}

/// A host with an optional port, as hostnames and allowed hosts are written
/// (`api.example.com`, `127.0.0.1:8080`). The name is kept in lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HostPort {
    /// Host name or IPv4 address, lower case.
    pub host: String,
    /// The port; `None` means the scheme's default.
    pub port: Option<u16>,
}

impl HostPort {
    /// Parses `host[:port]`, or says what is wrong with it.
    pub fn parse(text: &str) -> Result<HostPort, String> {
        if text.contains("://") {
            return Err(format!(
                "write the host without a scheme (`{}`)",
                text.split("://").nth(1).unwrap_or(text)
            ));
        }
        if text.contains('/') {
            return Err("write the host without a path".into());
        }
        let (host, port) = match text.rsplit_once(':') {
            Some((host, port)) => {
                let port = port
                    .parse::<u16>()
                    .ok()
                    .filter(|p| *p != 0 && !port.starts_with('+'))
                    .ok_or_else(|| "the port must be 1..=65535".to_string())?;
                (host, Some(port))
            }
            None => (text, None),
        };
        // Names that URL parsers read as IPv4 addresses (`127.1`, `0x7f.1`, `2130706433`) must
        // be written as the address, so that what is declared is what requests reach.
        if let Ok(url::Host::Ipv4(ip)) = url::Host::parse(host)
            && ip.to_string() != host
        {
            return Err(format!(
                "`{host}` is the IPv4 address {ip} in a short or numeric form; write {ip}"
            ));
        }
        if !is_host_name(host) {
            return Err(
                "not a host name (letters, digits, `-` and `.`, with an optional `:port`)".into(),
            );
        }
        Ok(HostPort {
            host: host.to_ascii_lowercase(),
            port,
        })
    }

    /// Whether a URL's host and port are this one (`port: None` matches the scheme default).
    pub fn matches(&self, host: &str, port: u16, default_port: u16) -> bool {
        self.host.eq_ignore_ascii_case(host) && self.port.unwrap_or(default_port) == port
    }
}

impl std::fmt::Display for HostPort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.port {
            Some(port) => write!(f, "{}:{port}", self.host),
            None => f.write_str(&self.host),
        }
    }
}

/// DNS labels of letters, digits and inner `-`, 1..=63 bytes each, separated by `.`.
fn is_host_name(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// Why `id` cannot be an action id (`A-Z a-z 0-9 _ . -`, 1..=128), or `None`.
pub fn action_id_problem(id: &str) -> Option<String> {
    let fine = !id.is_empty()
        && id.len() <= MAX_ACTION_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    (!fine).then(|| {
        format!("use 1..={MAX_ACTION_ID_LEN} of `A-Z a-z 0-9 _ . -` (kept across renames)")
    })
}

/// Why `name` cannot name a config value or a secret (`A-Z a-z 0-9 _ . -`, 1..=128), or `None`.
pub fn value_name_problem(name: &str) -> Option<String> {
    action_id_problem(name).map(|_| "use 1..=128 of `A-Z a-z 0-9 _ . -`".to_string())
}

/// Why `icon` cannot be an integration's icon, or `None`: it must be SVG markup of at most
/// [`MAX_ICON_BYTES`] without scripts or event handlers (consoles show it).
pub fn icon_problem(icon: &str) -> Option<String> {
    let lower = icon.trim_start().to_ascii_lowercase();
    let body = lower
        .strip_prefix("<?xml")
        .and_then(|rest| rest.split_once("?>").map(|(_, tail)| tail.trim_start()))
        .unwrap_or(&lower);
    if !body.starts_with("<svg") {
        return Some("the icon must be SVG markup (`<svg ...>`)".into());
    }
    // URL parsers drop tabs and newlines, so `java\tscript:` is still a javascript: URL.
    let compact: String = lower
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    if lower.contains("<script") || compact.contains("javascript:") || has_event_handler(&lower) {
        return Some("the icon must not contain scripts or event handlers".into());
    }
    (icon.len() > MAX_ICON_BYTES).then(|| format!("the icon is larger than {MAX_ICON_BYTES} bytes"))
}

/// True when markup has an attribute such as `onload=`. HTML parsers start an attribute after
/// any whitespace, after `/` (`<svg/onload=...>`) and right after a quoted value
/// (`<svg a="x"onload=...>`), so all of those count as separators.
fn has_event_handler(lower: &str) -> bool {
    lower.match_indices("on").any(|(i, _)| {
        let separated = lower[..i]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_whitespace() || matches!(c, '/' | '"' | '\''));
        let rest = &lower[i + 2..];
        let name_len = rest.chars().take_while(|c| c.is_ascii_alphabetic()).count();
        separated && name_len > 0 && rest[name_len..].trim_start().starts_with('=')
    })
}

/// How a request body of a media type is written (the importer chooses the input schema by
/// it, the engine encodes by it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyEncoding {
    /// `application/json`, `...+json`: the input as JSON.
    Json,
    /// `application/x-www-form-urlencoded`: an object's fields.
    Form,
    /// `multipart/form-data`: an object's fields, file parts as `{"base64", ...}`.
    Multipart,
    /// `text/*`, XML: a string.
    Text,
    /// Anything else: base64 text, or `{"base64", "content_type"}`.
    Binary,
}

impl BodyEncoding {
    /// The encoding of a media type (`None` is JSON).
    pub fn of(media_type: Option<&str>) -> BodyEncoding {
        let Some(media) = media_type else {
            return BodyEncoding::Json;
        };
        let essence = media
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "application/x-www-form-urlencoded" => BodyEncoding::Form,
            e if e.starts_with("multipart/") => BodyEncoding::Multipart,
            e if e.contains("json") => BodyEncoding::Json,
            e if e.starts_with("text/") || e.ends_with("/xml") || e.ends_with("+xml") => {
                BodyEncoding::Text
            }
            "application/javascript"
            | "application/yaml"
            | "application/x-yaml"
            | "application/graphql" => BodyEncoding::Text,
            _ => BodyEncoding::Binary,
        }
    }
}

/// Prefix of a reference to a shared schema: `#/schemas/<name>` (the name escaped per RFC 6901).
pub const SHARED_SCHEMA_PREFIX: &str = "#/schemas/";

/// The shared schema name a `$ref` value names (`#/schemas/a~1b` -> `a/b`), if it has the
/// shared schema form.
pub fn shared_schema_name(reference: &str) -> Option<String> {
    let segment = reference.strip_prefix(SHARED_SCHEMA_PREFIX)?;
    if segment.contains('/') {
        return None;
    }
    Some(segment.replace("~1", "/").replace("~0", "~"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn hostname_templates() {
        assert_eq!(host_template("api.example.com"), Ok(vec![]));
        assert_eq!(
            host_template("{account}.blob.core.windows.net"),
            Ok(vec!["account"])
        );
        assert_eq!(host_template("127.0.0.{octet}:8080"), Ok(vec!["octet"]));
        for bad in [
            "{host}",
            "{a}.{b}",
            "x{account}.example.com",
            "{a.b}.example.com",
            "{}.example.com",
        ] {
            assert!(host_template(bad).is_err(), "{bad}");
        }
        let lookup = |value: &'static str| move |_: &str| Some(value.to_string());
        assert_eq!(
            resolve_host_template("{account}.blob.core.windows.net", lookup("MyAcct")).unwrap(),
            "myacct.blob.core.windows.net"
        );
        for bad in ["a.b", "evil.com:80", "", "-x", "a b", "x@y"] {
            assert!(
                resolve_host_template("{account}.example.com", lookup(bad)).is_err(),
                "{bad:?}"
            );
        }
        assert!(resolve_host_template("{account}.example.com", |_| None).is_err());
        assert_eq!(
            lowercase_host("{accountName}.Blob.Example.NET"),
            "{accountName}.blob.example.net"
        );
    }

    use super::*;

    #[test]
    fn hosts() {
        let ok = |t: &str| HostPort::parse(t).unwrap();
        assert_eq!(ok("API.example.com").host, "api.example.com");
        assert_eq!(ok("127.0.0.1:8080").port, Some(8080));
        for bad in [
            "",
            "https://x.com",
            "x.com/v1",
            "x.com:0",
            "x.com:99999",
            "x.com:+80",
            "-x.com",
            "x..com",
            "x.com:",
            "[::1]:80",
            "a b",
        ] {
            assert!(HostPort::parse(bad).is_err(), "{bad}");
        }
        for short in ["127.1", "0x7f.0.0.1", "2130706433", "10.1"] {
            let err = HostPort::parse(short).unwrap_err();
            assert!(err.contains("short or numeric form"), "{short}: {err}");
        }
        assert!(HostPort::parse("127.0.0.1").is_ok() && HostPort::parse("1e100.net").is_ok());
        assert!(is_loopback_host("localhost") && is_loopback_host("127.9.9.9"));
        assert!(is_loopback_host("[::1]") && !is_loopback_host("10.0.0.1"));
        assert!(ok("h:8080").matches("H", 8080, 443));
        assert!(ok("h").matches("h", 443, 443));
        assert!(!ok("h").matches("h", 8443, 443));
    }

    #[test]
    fn tokens_ids_and_icons() {
        assert!(is_token("X-Api-Key") && is_token("Bearer"));
        assert!(!is_token("") && !is_token("a b") && !is_token("a:b"));
        assert!(action_id_problem("list_items.v2-x").is_none());
        assert!(action_id_problem("a/b").is_some() && action_id_problem("").is_some());
        assert!(icon_problem("<svg viewBox='0 0 1 1'/>").is_none());
        assert!(icon_problem("<svg/onload=alert(1)>").is_some());
        assert!(icon_problem("<png/>").is_some());
        assert!(oauth_url_problem("http://127.0.0.1:1/token").is_none());
        assert!(oauth_url_problem("http://auth.example.com/token").is_some());
    }
}
