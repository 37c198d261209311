//! `plugboard convert`: Swagger 2.0 -> OpenAPI 3.0.3 (an OpenAPI 3.x input is written back as
//! it is), as pretty JSON or, with `--yaml`, YAML.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use plugboard_openapi::Error;
use plugboard_openapi::convert::{Swagger2Json, TARGET_VERSION, to_openapi3};
use plugboard_openapi::source::{Document, Format};
use serde_json::Value;

/// Arguments of `plugboard convert`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The spec (Swagger 2.0 or OpenAPI 3.x, JSON or YAML; `-` for stdin).
    pub spec: String,
    /// Where to write the OpenAPI 3 document (`-` for stdout).
    #[arg(short = 'o', long = "output")]
    pub out: PathBuf,
    /// Write YAML instead of pretty JSON.
    #[arg(long)]
    pub yaml: bool,
}

/// Runs the command.
pub fn run(args: Args) -> Result<ExitCode> {
    let text = crate::files::read_spec(&args.spec)?;
    let progress = crate::files::Progress::start("convert", text.len());
    // Swagger 2.0 JSON to JSON: straight from text to text; anything else (or an error, which
    // the general path reports with its line and column) takes the general path.
    if !args.yaml {
        progress.phase("converting");
        if let Some(input) = Swagger2Json::parse(&text)
            && let Some(document) = input.to_openapi3()
        {
            progress.phase("writing");
            let bytes = document.bytes();
            crate::files::write_atomically(&args.out, &bytes)?;
            drop(progress);
            let (paths, operations, schemas) = document.counts();
            eprintln!(
                "converted Swagger 2.0 -> OpenAPI {TARGET_VERSION}: {paths} paths, {operations} operations, {schemas} schemas"
            );
            // The process exits next; see `lint` for why the values are not freed one by one.
            std::mem::forget(bytes);
            std::mem::forget(document);
            std::mem::forget(input);
            std::mem::forget(text);
            return Ok(ExitCode::SUCCESS);
        }
    }
    let document = crate::files::parse_spec(&args.spec, &text, &progress)?;
    progress.phase("converting");
    let converted = to_openapi3(&document.value).map_err(|e| located(e, &document, &args.spec))?;
    progress.phase("writing");
    let wants = if args.yaml {
        Format::Yaml
    } else {
        Format::Json
    };
    let output = if !converted.from_swagger2 && document.format == wants {
        // Already OpenAPI 3 in the requested format: the text as it was.
        text.strip_prefix('\u{feff}').unwrap_or(&text).to_string()
    } else {
        render(&converted.value, args.yaml)?
    };
    crate::files::write_atomically(&args.out, output.as_bytes())?;
    drop(progress);
    let (paths, operations, schemas) = counts(&converted.value);
    let version = converted
        .value
        .get("openapi")
        .and_then(Value::as_str)
        .unwrap_or(TARGET_VERSION);
    if converted.from_swagger2 {
        eprintln!(
            "converted Swagger 2.0 -> OpenAPI {version}: {paths} paths, {operations} operations, {schemas} schemas"
        );
    } else {
        eprintln!(
            "{} is already OpenAPI {version}; written unchanged ({paths} paths, {operations} operations, {schemas} schemas)",
            args.spec
        );
    }
    // The process exits next; see `lint` for why the values are not freed one by one.
    std::mem::forget(converted);
    std::mem::forget(document);
    Ok(ExitCode::SUCCESS)
}

/// Adds the file and, when known, the line and column to a conversion error.
fn located(error: Error, document: &Document, spec: &str) -> anyhow::Error {
    let place = match &error {
        Error::Convert { pointer, .. } => document
            .position(pointer)
            .map(|p| format!("{spec}:{}:{}", p.line, p.column)),
        _ => None,
    };
    anyhow::anyhow!("{}: {error}", place.unwrap_or_else(|| spec.to_string()))
}

/// Pretty JSON or YAML text of the document, ending with a newline.
fn render(value: &Value, yaml: bool) -> Result<String> {
    let format = if yaml { Format::Yaml } else { Format::Json };
    Ok(plugboard_openapi::source::render(value, format)?)
}

/// Paths (without `x-` keys), operations and component schemas of an OpenAPI 3 document.
fn counts(value: &Value) -> (usize, usize, usize) {
    const METHODS: &[&str] = &[
        "get", "put", "post", "delete", "options", "head", "patch", "trace",
    ];
    let mut paths = 0;
    let mut operations = 0;
    if let Some(map) = value.get("paths").and_then(Value::as_object) {
        for (path, item) in map {
            if path.starts_with("x-") {
                continue;
            }
            paths += 1;
            if let Some(item) = item.as_object() {
                operations += item
                    .keys()
                    .filter(|k| METHODS.contains(&k.as_str()))
                    .count();
            }
        }
    }
    let schemas = value
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map_or(0, |schemas| schemas.len());
    (paths, operations, schemas)
}
