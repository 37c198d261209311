//! `plugboard lint`: findings with rule id, severity, location, pointer and fix hint, as human
//! text, JSON, SARIF, GitHub Actions annotations or JUnit XML. Exit code 1 when a finding is at
//! or above `--fail-severity` (default: errors), 2 when the spec or the ruleset cannot be read.
//! The ruleset (`.plugboard-lint.yaml`, parsed and applied by the library) is found here: from
//! the spec's directory upward, or named with `--ruleset`.

use std::io::Write as _;
use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;

use plugboard_openapi::lint::{
    Options, RULESET_FILE, Report, Ruleset, Severity, lint_document_with,
};
use plugboard_openapi::source::Document;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// `file:line:col: severity rule: message`, the source line, the hint, and a summary.
    Human,
    /// `{"findings": [{"rule", "severity", "message", "line", "column", "pointer", "hint"}]}`,
    /// and `"ignored": N` when the ruleset ignored findings. The machine formats print the
    /// summary line to stderr.
    Json,
    /// SARIF 2.1.0 (for code scanning tools).
    Sarif,
    /// GitHub Actions workflow commands: an annotation per finding on its line.
    Github,
    /// JUnit XML: a test case per rule, failed by its findings (for CI test reports).
    Junit,
}

/// The least serious finding that fails the run (exit code 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailSeverity {
    /// Errors fail the run.
    Error,
    /// Errors and warnings.
    Warn,
    /// Any finding.
    Info,
    /// Nothing fails the run (exit 0 whatever is found).
    None,
}

impl FailSeverity {
    fn fails(self, severity: Severity) -> bool {
        match self {
            FailSeverity::None => false,
            FailSeverity::Error => severity == Severity::Error,
            FailSeverity::Warn => severity != Severity::Info,
            FailSeverity::Info => true,
        }
    }
}

/// Arguments of `plugboard lint`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The spec (OpenAPI 3.x or Swagger 2.0, JSON or YAML; `-` for stdin).
    pub spec: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
    /// Check the document rules only: do not run the importer to predict what import refuses,
    /// leaves out or decides (the `import-*` rules).
    #[arg(long)]
    pub no_import: bool,
    /// The least serious finding that makes the exit code 1.
    #[arg(long, value_enum, default_value_t = FailSeverity::Error)]
    pub fail_severity: FailSeverity,
    /// Show errors only (the exit code still follows --fail-severity over every finding), and
    /// no summary on stderr for the machine formats.
    #[arg(long, short)]
    pub quiet: bool,
    /// The ruleset to use instead of the `.plugboard-lint.yaml` found from the spec's directory
    /// upward (from the current directory for stdin). A ruleset turns rules off
    /// (`rules: {info-description: off}`), changes their severity (`error`, `warn`, `info`) and
    /// ignores findings by rule and JSON pointer glob, with a reason (`ignore: [{rule, pointer,
    /// reason}]`; `*` within a segment, `**` across). --fail-severity applies to the changed
    /// severities.
    #[arg(long, value_name = "FILE", conflicts_with = "no_ruleset")]
    pub ruleset: Option<PathBuf>,
    /// Use no ruleset, even if a `.plugboard-lint.yaml` is found.
    #[arg(long)]
    pub no_ruleset: bool,
}

/// Exit code for input that cannot be read or parsed.
pub(crate) const EXIT_INPUT: u8 = 2;

/// Reads and parses the spec, or prints why not.
pub(crate) fn load(spec: &str) -> Result<Document, ExitCode> {
    let text = crate::files::read_spec(spec).map_err(|e| {
        eprintln!("error: {e:#}");
        ExitCode::from(EXIT_INPUT)
    })?;
    let progress = crate::files::Progress::start("lint", text.len());
    crate::files::parse_spec(spec, &text, &progress).map_err(|e| {
        eprintln!("error: {e:#}");
        ExitCode::from(EXIT_INPUT)
    })
}

/// The ruleset file to use: `--ruleset`, none with `--no-ruleset`, else the nearest
/// `.plugboard-lint.yaml` from the spec's directory (the current one for stdin) up to the root.
fn ruleset_path(args: &Args) -> std::io::Result<Option<PathBuf>> {
    if let Some(path) = &args.ruleset {
        return Ok(Some(path.clone()));
    }
    if args.no_ruleset {
        return Ok(None);
    }
    let start = if args.spec == "-" {
        std::env::current_dir()?
    } else {
        let spec = std::path::absolute(&args.spec)?;
        let dir = spec.parent().map_or(spec.clone(), Path::to_path_buf);
        // `absolute` keeps `..`, and the ancestors of `/a/b/../x` would include `/a/b`, which
        // is not a parent of the spec: let the file system resolve it. A directory that cannot
        // be resolved holds no readable spec either (loading it says why).
        if dir.components().any(|c| c == Component::ParentDir) {
            match std::fs::canonicalize(&dir) {
                Ok(dir) => dir,
                Err(_) => return Ok(None),
            }
        } else {
            dir
        }
    };
    Ok(start
        .ancestors()
        .map(|dir| dir.join(RULESET_FILE))
        .find(|candidate| candidate.is_file()))
}

/// Reads and parses the ruleset, if there is one, or prints why not.
fn load_ruleset(args: &Args) -> Result<Option<Ruleset>, ExitCode> {
    let fail = |message: String| {
        eprintln!("error: {message}");
        ExitCode::from(EXIT_INPUT)
    };
    let path = match ruleset_path(args) {
        Ok(Some(path)) => path,
        Ok(None) => return Ok(None),
        Err(e) => return Err(fail(format!("cannot look for {RULESET_FILE}: {e}"))),
    };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        let what = if args.ruleset.is_some() {
            "--ruleset "
        } else {
            ""
        };
        fail(format!("cannot read {what}{}: {e}", path.display()))
    })?;
    Ruleset::parse(&text, &path.display().to_string())
        .map(Some)
        .map_err(|e| fail(e.to_string()))
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let ruleset = match load_ruleset(&args) {
        Ok(ruleset) => ruleset,
        Err(code) => return Ok(code),
    };
    let doc = match load(&args.spec) {
        Ok(doc) => doc,
        Err(code) => return Ok(code),
    };
    let options = Options {
        predict_import: !args.no_import,
    };
    let mut report = match lint_document_with(&doc, &options) {
        Ok(report) => report,
        Err(e) => {
            eprintln!("error: {}: {e}", args.spec);
            return Ok(ExitCode::from(EXIT_INPUT));
        }
    };
    if let Some(ruleset) = &ruleset {
        ruleset.apply(&mut report);
    }
    let uri = if args.spec == "-" {
        "stdin"
    } else {
        &args.spec
    };
    let fails = report
        .findings
        .iter()
        .any(|f| args.fail_severity.fails(f.severity));
    let report = if args.quiet {
        Report {
            findings: report
                .findings
                .into_iter()
                .filter(|f| f.severity == Severity::Error)
                .collect(),
            ignored: report.ignored,
        }
    } else {
        report
    };
    let text = match args.format {
        OutputFormat::Human => report.to_human(&doc, uri),
        OutputFormat::Json => serde_json::to_string_pretty(&report.to_json())? + "\n",
        OutputFormat::Sarif => serde_json::to_string_pretty(&report.to_sarif(uri))? + "\n",
        OutputFormat::Github => report.to_github(uri),
        OutputFormat::Junit => report.to_junit(uri),
    };
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        // A reader that stopped early (`| head`) is not an error.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            return Err(anyhow::Error::new(e).context("cannot write the findings"));
        }
        _ => {}
    }
    // The machine formats keep stdout parseable: their summary goes to stderr.
    if args.format != OutputFormat::Human && !args.quiet {
        eprintln!("{}", report.summary());
    }
    let code = if fails {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    };
    // The process exits next: freeing a large document value by value would cost about a
    // quarter of the run, and the OS reclaims it at once.
    std::mem::forget(doc);
    std::mem::forget(report);
    Ok(code)
}
