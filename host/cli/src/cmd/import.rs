//! `plugboard import`: a spec in, a draft definition out, with a summary of what was decided.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use plugboard_definition::edit;
use plugboard_definition::edit::Settings;
use plugboard_openapi::import::{Imported, Options, import, read_json_text};
use plugboard_openapi::repair::CleanOptions;

use super::definition::{SettingsArgs, save};
use super::format::Format;

/// Arguments of `plugboard import`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The spec (OpenAPI 3.x or Swagger 2.0, JSON or YAML; `-` for stdin).
    pub spec: String,
    /// Where to write the definition (JSON).
    #[arg(short, long)]
    pub output: PathBuf,
    /// Fields to set or override after detection.
    #[command(flatten)]
    pub settings: SettingsArgs,
    /// Which operations to import (all by default).
    #[command(flatten)]
    pub filters: super::clean::FilterArgs,
    /// The report: `human` (the summary and notes on stderr) or `json` (one object on stdout:
    /// `output`, `actions`, `auth`, `pagination`, `paginated`, `notes`, `filtered_out`,
    /// `converted_from_swagger2`).
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// Runs the command.
pub fn run(args: Args) -> Result<ExitCode> {
    without_huge_pages();
    let text = crate::files::read_spec(&args.spec)?;
    let progress = crate::files::Progress::start("import", text.len());
    let options = Options {
        hostname: args.settings.hostname.clone(),
        pagination: args.settings.pagination_type(),
    };
    let filters = args.filters.options();
    // OpenAPI 3.x JSON without filters: path items and components are read as the import
    // reaches them, and the text is freed before the definition is built. Anything else (or
    // an error, which the general path reports with its place) takes the general path.
    let lazy = if filters == CleanOptions::default() {
        progress.phase("importing");
        read_json_text(&text, &options)
    } else {
        None
    };
    let General {
        mut imported,
        changes,
        settings,
        converted,
    } = match lazy {
        Some(pending) => {
            // A file is read again should the import fail after all; stdin cannot be.
            let kept = (args.spec == "-").then_some(text);
            match pending.finish() {
                // Settings are checked where the general path checks them: after reading
                // the spec, before importing it (and the lazy path reads no Swagger 2.0).
                Some(imported) => General {
                    imported,
                    changes: 0,
                    settings: args.settings.to_settings()?,
                    converted: false,
                },
                None => {
                    let text = match kept {
                        Some(text) => text,
                        None => crate::files::read_spec(&args.spec)?,
                    };
                    general(&args, &text, &filters, &options, &progress)?
                }
            }
        }
        None => general(&args, &text, &filters, &options, &progress)?,
    };
    let notes = edit::apply_settings(&mut imported.definition, &settings)?;
    save(&args.output, &imported.definition)?;
    drop(progress);
    let summary = &imported.summary;
    if args.format == Format::Json {
        crate::print_json(&serde_json::json!({
            "output": args.output,
            "actions": summary.actions,
            "auth": summary.auth,
            "pagination": summary.pagination,
            "paginated": summary.paginated,
            "notes": summary.notes.iter().chain(&notes).collect::<Vec<_>>(),
            "filtered_out": changes,
            "converted_from_swagger2": converted,
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    eprint!("{summary}");
    if changes > 0 {
        eprintln!("note: the filters left out {changes} path(s), operation(s) or component(s)");
    }
    for note in notes {
        eprintln!("note: {note}");
    }
    eprintln!("wrote {}", args.output.display());
    Ok(ExitCode::SUCCESS)
}

/// Turns off transparent huge pages for this process (Linux). With them (the kernel's
/// `always` setting), a heap of many small values counts in RSS by whole 2 MiB pages: Microsoft
/// Graph's import peaks at 110 MB with them and 91 MB without, for a few per cent more time.
/// Best effort: nothing happens where the call is refused or unknown.
fn without_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes one integer argument and touches no memory.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// What the import made, and how it got there.
struct General {
    imported: Imported,
    /// The filters' count of changes.
    changes: usize,
    /// The checked settings.
    settings: Settings,
    /// Whether the spec was Swagger 2.0, converted first.
    converted: bool,
}

/// The general path: the whole spec read (with positions for errors), converted, filtered and
/// imported.
fn general(
    args: &Args,
    text: &str,
    filters: &CleanOptions,
    options: &Options,
    progress: &crate::files::Progress,
) -> Result<General> {
    let document = crate::files::parse_spec(&args.spec, text, progress)?;
    progress.phase("converting");
    let converted = plugboard_openapi::convert::into_openapi3(document.into_value())?;
    if converted.from_swagger2 && args.format == Format::Human {
        eprintln!("note: converted from Swagger 2.0 to OpenAPI 3.0");
    }
    let mut value = converted.value;
    let mut changes = 0;
    if *filters != CleanOptions::default() {
        let filtered = plugboard_openapi::repair::filter(&value, filters)?;
        value = filtered.value;
        changes = filtered.changes.len();
    }
    let settings = args.settings.to_settings()?;
    progress.phase("importing");
    let imported = import(&value, options).with_context(|| args.spec.clone())?;
    Ok(General {
        imported,
        changes,
        settings,
        converted: converted.from_swagger2,
    })
}
