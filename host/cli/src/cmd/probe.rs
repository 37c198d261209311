//! `plugboard probe definition.json [ACTION...]`: runs actions against the live API (at most
//! two pages each) and says, per action, whether the credentials work, whether the results key
//! finds the items and whether the pages advance, with the raw pages (credentials redacted) and
//! the settings that fit; `--apply` writes them into the draft.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use plugboard_probe::{ActionReport, Verdict};
use plugboard_runtime::{InvokeOptions, Limits, Tap};

use super::format::Format;

/// Arguments of `plugboard probe`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The draft definition (JSON), or a built bundle (.wasm: credentials and the raw pages
    /// only, its results key and pagination are compiled in).
    pub definition: PathBuf,
    /// Actions to run (default: the paginated ones without required inputs, plus one more).
    pub actions: Vec<String>,
    /// A credential applied by the host (`api_key=...`, `client_id=...`, ...).
    /// Prefer `NAME=@FILE`, `NAME=-` (standard input) or `PLUGBOARD_CREDENTIAL_<NAME>`
    /// variables: values on the command line show in `ps` and in shell history.
    #[arg(long = "credential", value_name = "NAME=VALUE")]
    pub credentials: Vec<String>,
    /// A config value the integration declares (`NAME=VALUE`).
    #[arg(long = "config", value_name = "NAME=VALUE")]
    pub config: Vec<String>,
    /// Pages fetched per action at most.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=5))]
    pub pages: u32,
    /// Write the suggested results key and pagination into the definition.
    #[arg(long)]
    pub apply: bool,
    /// Output format: `human` (verdicts, hints and the raw pages; `text` is the same) or `json`
    /// (the whole report).
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// Runs the probe; exits 1 when a check failed (and nothing was applied).
pub async fn run(
    args: Args,
    host: &crate::HostArgs,
    token_store: Option<PathBuf>,
) -> Result<ExitCode> {
    let is_bundle = std::fs::File::open(&args.definition)
        .and_then(|mut f| {
            let mut magic = [0u8; 4];
            std::io::Read::read_exact(&mut f, &mut magic).map(|()| magic)
        })
        .is_ok_and(|magic| &magic == b"\0asm");
    if is_bundle {
        return run_bundle(args, host, token_store).await;
    }
    let mut definition = super::definition::load(&args.definition)?;
    let built = plugboard_bundle::finalize(&definition)
        .with_context(|| format!("{} cannot be built to probe it", args.definition.display()))?;
    let runtime = crate::runtime(host, Some(token_store))?;
    let bundle = runtime.load(&built.component).await?;
    let ids = if args.actions.is_empty() {
        plugboard_probe::default_actions(&definition)
    } else {
        args.actions.clone()
    };
    if ids.is_empty() {
        bail!(
            "no action to probe: name one (`plugboard probe {} ACTION`); by default the paginated actions without required inputs are",
            args.definition.display()
        );
    }
    let reports =
        plugboard_probe::run(&runtime, &bundle, &definition, &ids, &options(&args)?).await?;
    show(&reports, args.format)?;
    let failed = reports.iter().any(|r| r.verdict == Verdict::Failed);
    if args.apply {
        let notes = plugboard_probe::apply(&mut definition, &reports)?;
        if notes.is_empty() {
            eprintln!("nothing to apply");
        } else {
            super::definition::save(&args.definition, &definition)?;
            for note in notes {
                eprintln!("applied: {note}");
            }
            eprintln!(
                "wrote {}; probe again to confirm",
                args.definition.display()
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The call options of a probe.
fn options(args: &Args) -> Result<InvokeOptions> {
    Ok(InvokeOptions {
        credentials: crate::credentials::credentials(&args.credentials, "--credential")?
            .into_iter()
            .collect(),
        config: crate::pairs(&args.config, "--config")?
            .into_iter()
            .collect(),
        limits: Limits {
            max_requests: args.pages,
            ..Limits::default()
        },
        ..InvokeOptions::default()
    })
}

fn show(reports: &[ActionReport], format: Format) -> Result<()> {
    match format {
        Format::Json => crate::print_json(&serde_json::json!({"actions": reports})),
        Format::Human => {
            print!("{}", text(reports));
            Ok(())
        }
    }
}

/// A built bundle: the chosen actions (default: the first three without required inputs),
/// judged on their credentials and raw pages.
async fn run_bundle(
    args: Args,
    host: &crate::HostArgs,
    token_store: Option<PathBuf>,
) -> Result<ExitCode> {
    if args.apply {
        bail!(
            "--apply edits a definition; {} is a built bundle: probe its definition to apply suggestions",
            args.definition.display()
        );
    }
    let runtime = crate::runtime(host, Some(token_store))?;
    let bundle = crate::load(&runtime, &args.definition).await?;
    let manifest = bundle.manifest.to_manifest()?;
    let ids: Vec<String> = if args.actions.is_empty() {
        manifest
            .actions
            .iter()
            .filter(|a| {
                a.input_schema
                    .get("required")
                    .and_then(serde_json::Value::as_array)
                    .is_none_or(Vec::is_empty)
            })
            .take(3)
            .map(|a| a.id.clone())
            .collect()
    } else {
        args.actions.clone()
    };
    if ids.is_empty() {
        bail!("no action without required inputs: name the actions to probe");
    }
    let options = options(&args)?;
    let mut reports = Vec::with_capacity(ids.len());
    for id in &ids {
        let (result, exchanges) = runtime
            .invoke_tapped(&bundle, id, "{}", &options, Tap::Record)
            .await;
        let error = result.err().map(|e| e.to_string());
        reports.push(plugboard_probe::judge_bundle(
            id,
            &bundle.header().auth,
            error.as_deref(),
            &exchanges,
        ));
    }
    show(&reports, args.format)?;
    Ok(if reports.iter().any(|r| r.verdict == Verdict::Failed) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn verdict(v: Verdict) -> &'static str {
    match v {
        Verdict::Ok => "ok",
        Verdict::Warning => "warning",
        Verdict::Failed => "FAILED",
    }
}

/// The report for people.
fn text(reports: &[ActionReport]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for report in reports {
        let _ = writeln!(out, "{}: {}", report.action, verdict(report.verdict));
        let checks = [
            Some(("auth", &report.auth)),
            Some(("results", &report.results)),
            report.pagination.as_ref().map(|c| ("pagination", c)),
        ];
        for (name, check) in checks.into_iter().flatten() {
            let _ = writeln!(
                out,
                "  {name:<11} {:<8} {}",
                verdict(check.verdict),
                check.message
            );
            if let Some(hint) = &check.hint {
                let _ = writeln!(out, "  {:<20} hint: {hint}", "");
            }
        }
        for candidate in report.candidates.iter().take(5) {
            let path = if candidate.path.is_empty() {
                "(the body)"
            } else {
                &candidate.path
            };
            let _ = writeln!(
                out,
                "  {:<20} candidate: {path} ({} item(s){})",
                "",
                candidate.items,
                if candidate.objects { ", objects" } else { "" }
            );
        }
        if let Some(suggestion) = &report.suggestion {
            let p = &suggestion.pagination;
            let _ = writeln!(
                out,
                "  suggestion  pagination {} with results key `{}`{}{}{} (--apply writes it)",
                p.kind.as_str(),
                p.results_key,
                p.next_page_key
                    .as_ref()
                    .map(|k| format!(", next page key `{k}`"))
                    .unwrap_or_default(),
                p.pointer_jsonpath
                    .as_ref()
                    .map(|k| format!(", cursor at `{k}`"))
                    .unwrap_or_default(),
                p.after_param
                    .as_ref()
                    .map(|k| format!(" sent as `{k}`"))
                    .unwrap_or_default(),
            );
        }
        for (i, exchange) in report.exchanges.iter().enumerate() {
            let request = &exchange.request;
            let status = exchange
                .response
                .as_ref()
                .map_or("no response".to_string(), |r| r.status.to_string());
            let _ = writeln!(
                out,
                "  page {}: {} {} -> {status}",
                i + 1,
                request.method,
                request.url
            );
            for (name, value) in &request.headers {
                let _ = writeln!(out, "    > {name}: {value}");
            }
            if let Some(response) = &exchange.response {
                for (name, value) in &response.headers {
                    let _ = writeln!(out, "    < {name}: {value}");
                }
                let _ = writeln!(out, "    < {}", response.body.text());
            }
        }
    }
    out
}
