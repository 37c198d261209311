//! Large bundles, as the user pays for them (issue 11). Prints a Markdown table.
//!
//! - finalize of 2 and of 20,000 actions (each with three parameters and a 10-property output
//!   object), in process, and the difference;
//! - `plugboard invoke` of one action and `plugboard inspect` on both bundles, as whole
//!   processes (spawned and waited for, warm compilation cache, a loopback API), alternating
//!   between the two bundles so that machine noise hits both alike; the ratio of the medians;
//! - peak memory of one `invoke` process of each (GNU time, when `/usr/bin/time` exists).
//!
//! It runs the release binary: `cargo build --release -p plugboard-cli` first, then
//! `cargo bench -p plugboard-tests --bench bundles` (`PLUGBOARD_BIN` to point at another
//! binary, `BENCH_QUICK=1` for fewer runs).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use plugboard_definition::Definition;
use plugboard_tests::api::{AuthCheck, TestApi};

fn main() -> anyhow::Result<()> {
    let quick = std::env::var_os("BENCH_QUICK").is_some();
    let binary = binary()?;
    let api = TestApi::start_blocking(AuthCheck::None)?;
    let dir = tempfile::tempdir()?;
    let mut rows: Vec<(String, String)> = Vec::new();

    let mut bundles = Vec::new();
    let mut finalize = Vec::new();
    for count in [2, 20_000] {
        let json = plugboard_tests::bench::many_actions(&api.host(), count, 10);
        let definition = Definition::from_json(&json.to_string())?;
        let runs = if quick { 3 } else { 11 };
        let mut times = Vec::with_capacity(runs);
        let mut component = Vec::new();
        for _ in 0..runs {
            let started = Instant::now();
            component = plugboard_bundle::finalize(&definition)?.component;
            times.push(started.elapsed());
        }
        let path = dir.path().join(format!("bench-{count}.wasm"));
        std::fs::write(&path, &component)?;
        let time = median(&mut times);
        rows.push((
            format!(
                "finalize, {count} actions ({} KB definition, {} KB component)",
                json.to_string().len() / 1000,
                component.len() / 1000
            ),
            ms(time),
        ));
        finalize.push(time);
        bundles.push((count, path));
    }
    rows.push((
        "finalize: 20,000 actions minus 2 (goal <= 400 ms)".into(),
        ms(finalize[1].saturating_sub(finalize[0])),
    ));

    let cache = dir.path().join("cache");
    let invoke = |bundle: &Path| {
        let mut command = Command::new(&binary);
        command
            .arg("--cache-dir")
            .arg(&cache)
            .arg("invoke")
            .arg(bundle)
            .args(["action_00001", "--input", r#"{"id": "x"}"#]);
        command
    };
    let inspect = |bundle: &Path| {
        let mut command = Command::new(&binary);
        command
            .arg("--cache-dir")
            .arg(&cache)
            .arg("inspect")
            .arg(bundle);
        command
    };
    for (_, bundle) in &bundles {
        // Warm: the first load compiles and caches the component.
        run(&mut invoke(bundle))?;
    }
    let runs = if quick { 10 } else { 41 };
    let mut invoke_times = [Vec::new(), Vec::new()];
    let mut inspect_times = [Vec::new(), Vec::new()];
    for _ in 0..runs {
        for (i, (_, bundle)) in bundles.iter().enumerate() {
            invoke_times[i].push(run(&mut invoke(bundle))?);
        }
    }
    for _ in 0..runs.min(15) {
        for (i, (_, bundle)) in bundles.iter().enumerate() {
            inspect_times[i].push(run(&mut inspect(bundle))?);
        }
    }
    let invoke_small = median(&mut invoke_times[0]);
    let invoke_big = median(&mut invoke_times[1]);
    rows.push((
        "`plugboard invoke`, 2-action bundle (process)".into(),
        ms(invoke_small),
    ));
    rows.push((
        "`plugboard invoke`, 20,000-action bundle (process)".into(),
        ms(invoke_big),
    ));
    rows.push((
        "invoke: 20,000 / 2 actions (goal <= 1.5x)".into(),
        format!(
            "{:.2}x",
            invoke_big.as_secs_f64() / invoke_small.as_secs_f64()
        ),
    ));
    for (i, (count, _)) in bundles.iter().enumerate() {
        rows.push((
            format!("`plugboard inspect`, {count}-action bundle (process, prints every action)"),
            ms(median(&mut inspect_times[i])),
        ));
    }
    if Path::new("/usr/bin/time").exists() {
        for (count, bundle) in &bundles {
            let mut command = Command::new("/usr/bin/time");
            command.args(["-f", "%M"]).arg(invoke(bundle).get_program());
            command.args(invoke(bundle).get_args());
            let output = command.stdout(Stdio::null()).output()?;
            let text = String::from_utf8_lossy(&output.stderr);
            let kib: u64 = text
                .lines()
                .last()
                .and_then(|l| l.trim().parse().ok())
                .context("GNU time's output")?;
            rows.push((
                format!("`plugboard invoke`, {count}-action bundle: peak RSS"),
                format!("{:.1} MB", kib as f64 / 1024.0),
            ));
        }
    }

    println!("| measurement | median |\n|---|---|");
    for (what, value) in rows {
        println!("| {what} | {value} |");
    }
    Ok(())
}

/// The `plugboard` binary: `PLUGBOARD_BIN`, or the release build of this workspace.
fn binary() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("PLUGBOARD_BIN") {
        return Ok(PathBuf::from(path));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let path = target.join("release/plugboard");
    if !path.is_file() {
        bail!(
            "{} is missing: run `cargo build --release -p plugboard-cli` first (or set PLUGBOARD_BIN)",
            path.display()
        );
    }
    Ok(path)
}

/// Runs a command to its end; its wall time. A failure is an error with its stderr.
fn run(command: &mut Command) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let output = command.stdout(Stdio::null()).output()?;
    let elapsed = started.elapsed();
    if !output.status.success() {
        bail!(
            "{:?} failed: {}",
            command,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(elapsed)
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort_unstable();
    times[times.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}
