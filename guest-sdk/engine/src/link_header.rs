//! A small RFC 8288 `Link` header parser: enough for `<uri>; rel="next"; title="x", <uri2>; ...`
//! with quoted strings, escapes and several relation types per link.
//! (The crates that do this pull in regex and http, too heavy for the engine component.)

/// One link: its target (as written, possibly relative) and its relation types in lower case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// URI reference between `<` and `>`.
    pub target: String,
    /// Relation types (`rel` split on spaces), lower case.
    pub rels: Vec<String>,
}

/// Parses every link in a header value. Malformed parts are skipped, not fatal.
pub fn parse(value: &str) -> Vec<Link> {
    let mut links = Vec::new();
    let mut rest = value;
    loop {
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_whitespace());
        let Some(after_lt) = rest.strip_prefix('<') else {
            // Not a link start: skip to the next top-level comma.
            match skip_to_comma(rest) {
                Some(next) => {
                    rest = next;
                    continue;
                }
                None => break,
            }
        };
        let Some(end) = after_lt.find('>') else { break };
        let target = after_lt[..end].trim().to_string();
        rest = &after_lt[end + 1..];
        let mut rels = Vec::new();
        // Parameters: `; name=value` until a top-level comma.
        loop {
            rest = rest.trim_start();
            let Some(after_semi) = rest.strip_prefix(';') else {
                break;
            };
            let after_semi = after_semi.trim_start();
            let name_len = after_semi
                .find(|c: char| c == '=' || c == ';' || c == ',' || c.is_whitespace())
                .unwrap_or(after_semi.len());
            let name = after_semi[..name_len].to_ascii_lowercase();
            rest = after_semi[name_len..].trim_start();
            let mut param_value = String::new();
            if let Some(after_eq) = rest.strip_prefix('=') {
                let after_eq = after_eq.trim_start();
                if let Some(quoted) = after_eq.strip_prefix('"') {
                    let mut chars = quoted.char_indices();
                    let mut consumed = quoted.len();
                    while let Some((i, c)) = chars.next() {
                        match c {
                            '\\' => {
                                if let Some((_, escaped)) = chars.next() {
                                    param_value.push(escaped);
                                }
                            }
                            '"' => {
                                consumed = i + 1;
                                break;
                            }
                            other => param_value.push(other),
                        }
                    }
                    rest = &quoted[consumed.min(quoted.len())..];
                } else {
                    let len = after_eq.find([';', ',']).unwrap_or(after_eq.len());
                    param_value = after_eq[..len].trim().to_string();
                    rest = &after_eq[len..];
                }
            }
            if name == "rel" && rels.is_empty() {
                rels = param_value
                    .split_ascii_whitespace()
                    .map(str::to_ascii_lowercase)
                    .collect();
            }
        }
        links.push(Link { target, rels });
        match skip_to_comma(rest) {
            Some(next) => rest = next,
            None => break,
        }
    }
    links
}

/// The target of the first link with relation `rel` across several header values.
pub fn find<'a>(values: impl IntoIterator<Item = &'a str>, rel: &str) -> Option<String> {
    values.into_iter().flat_map(parse).find_map(|link| {
        link.rels
            .iter()
            .any(|r| r.eq_ignore_ascii_case(rel))
            .then_some(link.target)
    })
}

/// The text after the next comma that is not inside a quoted string or `<...>`.
fn skip_to_comma(text: &str) -> Option<&str> {
    let mut in_quotes = false;
    let mut in_angle = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_quotes => escaped = true,
            '"' if !in_angle => in_quotes = !in_quotes,
            '<' if !in_quotes => in_angle = true,
            '>' if !in_quotes => in_angle = false,
            ',' if !in_quotes && !in_angle => return Some(&text[i + 1..]),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_style() {
        let v = r#"<https://api.github.com/repos?page=1>; rel="first", <https://api.github.com/repos?page=3>; rel="next", <https://api.github.com/repos?page=9>; rel="last""#;
        assert_eq!(
            find([v], "next").as_deref(),
            Some("https://api.github.com/repos?page=3")
        );
        assert_eq!(
            find([v], "LAST").as_deref(),
            Some("https://api.github.com/repos?page=9")
        );
        assert_eq!(find([v], "prev"), None);
    }

    #[test]
    fn quoting_multiple_rels_and_odd_spacing() {
        let v = r#"</a?x=1,2>;title="a, \"b\"; c";rel="prev  next" ,<b>; rel=last"#;
        let links = parse(v);
        assert_eq!(links.len(), 2);
        assert_eq!(links[0].target, "/a?x=1,2");
        assert_eq!(links[0].rels, vec!["prev", "next"]);
        assert_eq!(links[1].rels, vec!["last"]);
        assert_eq!(find([v], "next").as_deref(), Some("/a?x=1,2"));
    }

    #[test]
    fn garbage_does_not_panic() {
        for v in [
            "",
            "<",
            ">",
            ";;;",
            "<a>; rel=\"",
            "junk, <ok>; rel=next",
            "<a>;rel",
            "\u{e9}<\u{e9}>;rel=\u{e9}",
        ] {
            let _ = parse(v);
        }
        assert_eq!(
            find(["junk, <ok>; rel=next"], "next").as_deref(),
            Some("ok")
        );
    }
}
