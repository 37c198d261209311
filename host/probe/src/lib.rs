//! The probe: what the raw pages of a call say about an integration's auth, results key and
//! pagination, with a verdict per check and the settings that fit.
//!
//! The caller runs each action (at most two pages, every exchange kept and redacted, see
//! `plugboard_runtime::Tap::Record`) and hands the exchanges to [`judge`]; [`apply`] writes
//! the suggestions into a draft definition.

mod pagination;
mod results;

use plugboard_definition::{Action, Auth, Definition, Pagination, PaginationType};
use plugboard_runtime::Exchange;
use serde::Serialize;
use serde_json::Value;

pub use pagination::Signs;
pub use results::Candidate;

/// Errors of applying a probe's suggestions.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The definition does not take the suggestion.
    #[error("{0}")]
    Definition(#[from] plugboard_definition::Error),
    /// An action asked for is not in the definition.
    #[error("no action `{0}` in the definition")]
    UnknownAction(String),
}

/// How a check went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Works.
    Ok,
    /// Works, but something looks off.
    Warning,
    /// Does not work.
    Failed,
}

/// One check's verdict and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    /// The verdict.
    pub verdict: Verdict,
    /// What was seen.
    pub message: String,
    /// What to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Check {
    fn new(verdict: Verdict, message: impl Into<String>) -> Check {
        Check {
            verdict,
            message: message.into(),
            hint: None,
        }
    }

    fn hint(mut self, hint: impl Into<String>) -> Check {
        self.hint = Some(hint.into());
        self
    }
}

/// What a probe says about one action.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActionReport {
    /// The action's id.
    pub action: String,
    /// The worst verdict of its checks.
    pub verdict: Verdict,
    /// Whether the credentials were accepted.
    pub auth: Check,
    /// Whether the results key finds the items.
    pub results: Check,
    /// The arrays of the first page, best first, when the results key does not find them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<Candidate>,
    /// Whether the pages advance (paginated actions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pagination: Option<Check>,
    /// Settings that fit what the API does, as the definition writes them: `results_key` and
    /// `pagination`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<Suggestion>,
    /// The raw pages (credentials redacted, bodies cut to 1 KiB).
    pub exchanges: Vec<Exchange>,
}

/// Settings a probe suggests for an action.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestion {
    /// The pagination that fits (the action's own when it has one, else the integration's),
    /// with the results key in it.
    pub pagination: Pagination,
}

/// Bodies in a report are cut to this many bytes.
const EXCERPT: usize = 1024;

/// The actions a probe runs by default: the paginated actions without required inputs, plus
/// one more action without required inputs (a GET when there is one).
pub fn default_actions(definition: &Definition) -> Vec<String> {
    let free = |a: &&Action| {
        a.parameters
            .iter()
            .all(|p| !p.required || p.value.is_some())
            && a.request_body.as_ref().is_none_or(|b| !b.required)
    };
    let mut chosen: Vec<String> = definition
        .actions
        .iter()
        .filter(|a| a.paginated)
        .filter(free)
        .map(|a| a.id.clone())
        .collect();
    if let Some(more) = definition
        .actions
        .iter()
        .filter(free)
        .filter(|a| !chosen.contains(&a.id))
        .find(|a| a.method == plugboard_definition::Method::Get)
    {
        chosen.push(more.id.clone());
    }
    chosen
}

/// Runs each action of `definition` built as `bundle` (no input; `options.limits.max_requests`
/// bounds its pages; every exchange kept and redacted) and judges it.
pub async fn run(
    runtime: &plugboard_runtime::Runtime,
    bundle: &plugboard_runtime::Bundle,
    definition: &Definition,
    ids: &[String],
    options: &plugboard_runtime::InvokeOptions,
) -> Result<Vec<ActionReport>, Error> {
    let mut reports = Vec::with_capacity(ids.len());
    for id in ids {
        let action = definition
            .actions
            .iter()
            .find(|a| &a.id == id)
            .ok_or_else(|| Error::UnknownAction(id.clone()))?;
        let (result, exchanges) = runtime
            .invoke_tapped(bundle, id, "{}", options, plugboard_runtime::Tap::Record)
            .await;
        let error = result.err().map(|e| e.to_string());
        reports.push(judge(definition, action, error.as_deref(), &exchanges));
    }
    Ok(reports)
}

/// The pagination an action uses: its own, else the integration's.
fn pagination_of<'a>(definition: &'a Definition, action: &'a Action) -> &'a Pagination {
    action.pagination.as_ref().unwrap_or(&definition.pagination)
}

/// Judges one action's call from its exchanges (and its error, if it failed).
pub fn judge(
    definition: &Definition,
    action: &Action,
    error: Option<&str>,
    exchanges: &[Exchange],
) -> ActionReport {
    let auth = auth_check(&sends(&definition.auth), error, exchanges);
    let paginated = action.paginated && definition_pages(pagination_of(definition, action));
    let pagination = pagination_of(definition, action);
    let first_body = exchanges
        .first()
        .and_then(|e| e.response.as_ref())
        .filter(|r| (200..300).contains(&r.status))
        .and_then(|r| serde_json::from_slice::<Value>(&r.body.bytes()).ok());
    let results_key = if paginated {
        pagination.results_key.as_str()
    } else {
        ""
    };
    let (results, candidates) = match &first_body {
        Some(body) => results::check(body, results_key, paginated),
        None => (
            Check::new(Verdict::Failed, "no JSON page to look for the results in"),
            Vec::new(),
        ),
    };
    let mut suggestion = None;
    let pagination_check = if paginated {
        let signs = first_body
            .as_ref()
            .map(|body| pagination::signs(body, exchanges.first()))
            .unwrap_or_default();
        let best_key = if results.verdict == Verdict::Ok {
            Some(results_key.to_string())
        } else {
            candidates.first().map(|c| c.path.clone())
        };
        let (check, suggested) = pagination::check(
            pagination,
            action,
            exchanges,
            best_key.as_deref().unwrap_or(results_key),
            &signs,
            results.verdict == Verdict::Ok,
        );
        let mut fitting = suggested.unwrap_or_else(|| pagination.clone());
        if let Some(key) = best_key {
            fitting.results_key = key;
        }
        if fitting != *pagination {
            suggestion = Some(Suggestion {
                pagination: fitting,
            });
        }
        Some(check)
    } else {
        None
    };
    let verdict = [
        Some(auth.verdict),
        Some(results.verdict),
        pagination_check.as_ref().map(|c| c.verdict),
    ]
    .into_iter()
    .flatten()
    .max()
    .unwrap_or(Verdict::Ok);
    ActionReport {
        action: action.id.clone(),
        verdict,
        auth,
        results,
        candidates,
        pagination: pagination_check,
        suggestion,
        exchanges: exchanges.iter().map(excerpt).collect(),
    }
}

fn definition_pages(pagination: &Pagination) -> bool {
    pagination.kind != PaginationType::None
}

/// An exchange with its bodies cut to [`EXCERPT`] bytes.
fn excerpt(exchange: &Exchange) -> Exchange {
    let mut exchange = exchange.clone();
    if let Some(response) = &mut exchange.response {
        let text = response.body.text();
        if text.len() > EXCERPT {
            let mut end = EXCERPT;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            response.body = plugboard_runtime::Body::Text(format!(
                "{}… ({} bytes in all)",
                &text[..end],
                text.len()
            ));
        }
    }
    exchange
}

/// Judges an action of a built bundle (no definition at hand: its results key and pagination
/// are compiled in): the credentials, the shape of the first page and the raw pages.
pub fn judge_bundle(
    action: &str,
    auth: &plugboard_runtime::ManifestAuth,
    error: Option<&str>,
    exchanges: &[Exchange],
) -> ActionReport {
    let sends = match auth {
        plugboard_runtime::ManifestAuth::None => "no credentials".to_string(),
        plugboard_runtime::ManifestAuth::ApiKey(key) => format!(
            "its API key in {} `{}`",
            key.location.as_str(),
            key.header_name
        ),
        plugboard_runtime::ManifestAuth::Basic => "HTTP Basic credentials".to_string(),
        plugboard_runtime::ManifestAuth::OAuth2(_) => "an OAuth 2.0 bearer token".to_string(),
    };
    let auth = auth_check(&sends, error, exchanges);
    let first_body = exchanges
        .first()
        .and_then(|e| e.response.as_ref())
        .filter(|r| (200..300).contains(&r.status))
        .and_then(|r| serde_json::from_slice::<Value>(&r.body.bytes()).ok());
    let (results, candidates) = match &first_body {
        Some(body) => (
            Check::new(
                Verdict::Ok,
                "the first page is JSON (a built bundle's results key is compiled in: probe its definition to check it)",
            ),
            results::candidates(body),
        ),
        None => (
            Check::new(Verdict::Failed, "no JSON page to look at"),
            Vec::new(),
        ),
    };
    let verdict = auth.verdict.max(results.verdict);
    ActionReport {
        action: action.to_string(),
        verdict,
        auth,
        results,
        candidates,
        pagination: None,
        suggestion: None,
        exchanges: exchanges.iter().map(excerpt).collect(),
    }
}

/// How the integration's auth reaches the API, for hints.
fn sends(auth: &Auth) -> String {
    match auth {
        Auth::None => "no credentials".to_string(),
        Auth::ApiKey {
            api_key_header_name,
            location,
            ..
        } => format!(
            "its API key in {} `{api_key_header_name}`",
            match location {
                plugboard_definition::ApiKeyLocation::Header => "header",
                plugboard_definition::ApiKeyLocation::Query => "query parameter",
                plugboard_definition::ApiKeyLocation::Cookie => "cookie",
            }
        ),
        Auth::Basic => "HTTP Basic credentials".to_string(),
        Auth::OAuth2(_) => "an OAuth 2.0 bearer token".to_string(),
    }
}

fn auth_check(sends: &str, error: Option<&str>, exchanges: &[Exchange]) -> Check {
    let Some(first) = exchanges.first() else {
        return Check::new(
            Verdict::Failed,
            format!(
                "no request was sent: {}",
                error.unwrap_or("the call made no request")
            ),
        );
    };
    let Some(response) = &first.response else {
        return Check::new(
            Verdict::Failed,
            format!(
                "the request got no response: {}",
                error.unwrap_or("transport error")
            ),
        );
    };
    match response.status {
        200..=399 => Check::new(
            Verdict::Ok,
            format!("the API accepted the request ({})", response.status),
        ),
        401 | 403 => {
            let asks = response
                .headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("www-authenticate"))
                .map(|(_, v)| format!("; it asks for `{v}`"))
                .unwrap_or_default();
            Check::new(
                Verdict::Failed,
                format!("the API refused the credentials ({}){asks}", response.status),
            )
            .hint(format!(
                "this integration sends {sends}: check the credential, and the auth settings (header name, preamble, location) against the API's docs"
            ))
        }
        status => Check::new(
            Verdict::Warning,
            format!(
                "the API answered {status}: {}",
                response.body.text().chars().take(200).collect::<String>()
            ),
        )
        .hint(
            "the credentials may be fine; the request itself was refused (inputs, path, base path)",
        ),
    }
}

/// Writes a report's suggestions into a draft: each action's pagination (its own when it has
/// one, else the integration's). Returns what changed, in words.
pub fn apply(definition: &mut Definition, reports: &[ActionReport]) -> Result<Vec<String>, Error> {
    let mut working = definition.clone();
    let mut notes = Vec::new();
    for report in reports {
        let Some(suggestion) = &report.suggestion else {
            continue;
        };
        let Some(action) = working.actions.iter_mut().find(|a| a.id == report.action) else {
            continue;
        };
        if action.pagination.is_some() {
            action.pagination = Some(suggestion.pagination.clone());
            notes.push(format!(
                "action `{}`: its own pagination is now {} (results key `{}`)",
                report.action,
                suggestion.pagination.kind.as_str(),
                suggestion.pagination.results_key
            ));
        } else if working.pagination != suggestion.pagination {
            working.pagination = suggestion.pagination.clone();
            notes.push(format!(
                "the integration's pagination is now {} (results key `{}`), from action `{}`",
                suggestion.pagination.kind.as_str(),
                suggestion.pagination.results_key,
                report.action
            ));
        }
    }
    plugboard_definition::edit::check_draft(&working)?;
    *definition = working;
    Ok(notes)
}
