//! Diagnostics on stderr: `serve`'s access log and, when PLUGBOARD_LOG asks, everything else.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

use crate::cmd::serve::LogFormat;

/// Logs to stderr as `format` says, ANSI colours only on a terminal. PLUGBOARD_LOG holds
/// `tracing` directives (`debug`, `plugboard=debug,sqlx=warn`); an invalid one falls back to
/// `default_filter`.
pub fn init(default_filter: &str, format: LogFormat) {
    use std::io::IsTerminal as _;
    let wanted = std::env::var("PLUGBOARD_LOG").ok();
    let (targets, env_filter) = filters(wanted.as_deref(), default_filter);
    let builder = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .finish()
            .with(targets)
            .with(env_filter)
            .init(),
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .finish()
            .with(targets)
            .with(env_filter)
            .init(),
    }
}

/// The filter for `wanted` directives (else `default_filter`): one of the two.
///
/// Levels per target are all the access log needs, and [`Targets`] checks them once per call
/// site. [`EnvFilter`] also filters on spans and fields (`[request{route=..}]=debug`), at a
/// cost on every span entered and left (every poll of every request), so it is used only for
/// such directives, and for directives `Targets` cannot read.
///
/// Spaces around a directive and empty directives are dropped first (`EnvFilter` refuses a
/// directive with a leading space; `Targets` would take it as a target that matches nothing).
/// `EnvFilter`'s grammar then decides what is valid (`Targets` takes almost any text as a
/// target): what it refuses falls back to the default.
fn filters(wanted: Option<&str>, default_filter: &str) -> (Option<Targets>, Option<EnvFilter>) {
    let wanted = wanted.map(|spec| {
        spec.split(',')
            .map(str::trim)
            .filter(|directive| !directive.is_empty())
            .collect::<Vec<_>>()
            .join(",")
    });
    let spec = wanted
        .as_deref()
        .filter(|spec| !spec.is_empty() && EnvFilter::try_new(spec).is_ok())
        .unwrap_or(default_filter);
    match spec.parse::<Targets>() {
        Ok(targets) if !spec.contains('[') => (Some(targets), None),
        _ => (None, Some(EnvFilter::new(spec))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;

    fn targets(wanted: Option<&str>) -> Targets {
        match filters(wanted, "info") {
            (Some(targets), None) => targets,
            other => panic!("{wanted:?}: expected Targets, got {other:?}"),
        }
    }

    #[test]
    fn level_directives_take_the_cheap_filter() {
        let default = targets(None);
        assert!(default.would_enable("plugboard_server::ops", &Level::INFO));
        assert!(!default.would_enable("plugboard_server::ops", &Level::DEBUG));
        assert!(!targets(Some("off")).would_enable("anything", &Level::ERROR));
        let per_target = targets(Some("warn,plugboard_runtime=debug"));
        assert!(per_target.would_enable("plugboard_runtime::outbound", &Level::DEBUG));
        assert!(!per_target.would_enable("sqlx::query", &Level::INFO));
        assert!(per_target.would_enable("sqlx::query", &Level::WARN));
        // Empty is unset.
        assert!(targets(Some(" ")).would_enable("x", &Level::INFO));
    }

    #[test]
    fn level_directives_read_as_env_filter_reads_them() {
        // Spaces after a comma, as `RUST_LOG` allows them.
        let spaced = targets(Some("warn, plugboard_server=debug"));
        assert!(spaced.would_enable("plugboard_server::ops", &Level::DEBUG));
        assert!(spaced.would_enable("sqlx::query", &Level::WARN));
        // A trailing comma adds nothing (not a target that matches everything at trace).
        let trailing = targets(Some("warn,"));
        assert!(!trailing.would_enable("sqlx::query", &Level::TRACE));
        assert!(trailing.would_enable("sqlx::query", &Level::WARN));
        // What EnvFilter refuses falls back to the default, not to a target that matches nothing.
        for invalid in ["!bad", "plugboard_server=loud", "info,=debug"] {
            let fallback = targets(Some(invalid));
            assert!(
                fallback.would_enable("plugboard_server::ops", &Level::INFO),
                "{invalid:?}"
            );
            assert!(
                !fallback.would_enable("plugboard_server::ops", &Level::DEBUG),
                "{invalid:?}"
            );
        }
    }

    #[test]
    fn span_directives_keep_env_filter() {
        let (targets, env_filter) = filters(Some("[request{route=/healthz}]=debug"), "info");
        assert!(targets.is_none());
        assert!(env_filter.is_some());
    }
}
