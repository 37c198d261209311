//! `plugboard clean`: repair a spec and cut it down, printing every change on stderr (or, with
//! `--format json`, as JSON on stdout).

use std::path::PathBuf;
use std::process::ExitCode;

use plugboard_openapi::repair::{CleanOptions, clean};
use plugboard_openapi::source::Format;

use super::lint::{EXIT_INPUT, load};

/// Tag and path filters (of `clean` and `import`).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct FilterArgs {
    /// Keep only operations with a tag matching one of these globs (comma-separated or
    /// repeated).
    #[arg(long, value_delimiter = ',', value_name = "GLOB")]
    pub include_tags: Vec<String>,
    /// Drop operations with a tag matching one of these globs.
    #[arg(long, value_delimiter = ',', value_name = "GLOB")]
    pub exclude_tags: Vec<String>,
    /// Keep only paths matching one of these globs (`*` within a segment, `**` across).
    #[arg(long, value_delimiter = ',', value_name = "GLOB")]
    pub include_paths: Vec<String>,
    /// Drop paths matching one of these globs.
    #[arg(long, value_delimiter = ',', value_name = "GLOB")]
    pub exclude_paths: Vec<String>,
}

impl FilterArgs {
    /// The filters as the repair's options.
    pub fn options(&self) -> CleanOptions {
        CleanOptions {
            include_tags: self.include_tags.clone(),
            exclude_tags: self.exclude_tags.clone(),
            include_paths: self.include_paths.clone(),
            exclude_paths: self.exclude_paths.clone(),
        }
    }
}

/// Arguments of `plugboard clean`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The spec (OpenAPI 3.x or Swagger 2.0, JSON or YAML; `-` for stdin).
    pub spec: String,
    /// Where to write the repaired spec.
    #[arg(short, long)]
    pub output: PathBuf,
    /// What to keep.
    #[command(flatten)]
    pub filters: FilterArgs,
    /// Write JSON (default: the input's format).
    #[arg(long, conflicts_with = "yaml")]
    pub json: bool,
    /// Write YAML (default: the input's format).
    #[arg(long)]
    pub yaml: bool,
    /// The report of changes (not the spec's format: that is `--json`/`--yaml`): `human` (one
    /// line per change on stderr) or `json` (on stdout: `{"output", "spec_format", "changes":
    /// [{"rule", "pointer", "description"}]}`).
    #[arg(long, value_enum, default_value_t)]
    pub format: super::format::Format,
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let doc = match load(&args.spec) {
        Ok(doc) => doc,
        Err(code) => return Ok(code),
    };
    let options = args.filters.options();
    let cleaned = match clean(&doc.value, &options) {
        Ok(cleaned) => cleaned,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(EXIT_INPUT));
        }
    };
    let yaml = args.yaml || (!args.json && doc.format == Format::Yaml);
    let format = if yaml { Format::Yaml } else { Format::Json };
    let text = plugboard_openapi::source::render(&cleaned.value, format)?;
    crate::files::write_atomically(&args.output, text.as_bytes())?;
    if args.format == super::format::Format::Json {
        crate::print_json(&serde_json::json!({
            "output": args.output,
            "spec_format": if yaml { "yaml" } else { "json" },
            "changes": cleaned.changes,
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    for change in &cleaned.changes {
        eprintln!("{change}");
    }
    eprintln!(
        "{} changes; wrote {}",
        cleaned.changes.len(),
        args.output.display()
    );
    Ok(ExitCode::SUCCESS)
}
