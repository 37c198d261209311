//! The runtime's in-memory cache under many bundles (issue 12): 1,066 bundles (200 actions
//! each, the same code, their own manifests) loaded one after another with `load_as`, as the
//! server loads installed versions, under three cache budgets. Prints a Markdown table: the
//! process's resident memory after loading them, what the cache counts and keeps, and the median
//! load of a bundle the cache keeps and of one it no longer does.
//!
//! `cargo bench -p plugboard-tests --bench caches` (`BENCH_QUICK=1`: 200 bundles). Run one
//! budget per process (the bench re-executes itself), so memory freed by one does not hide what
//! the next takes.

use std::time::{Duration, Instant};

use plugboard_definition::Definition;
use plugboard_runtime::{Runtime, RuntimeConfig};

fn main() -> anyhow::Result<()> {
    let quick = std::env::var_os("BENCH_QUICK").is_some();
    let count = if quick { 200 } else { 1_066 };
    if let Ok(budget) = std::env::var("BENCH_CACHE_BUDGET") {
        return one_budget(budget.parse()?, count);
    }
    println!(
        "| budget | resident after {count} loads (started at) | cache counts | bundles kept | load, kept | load, evicted |"
    );
    println!("|---|---|---|---|---|---|");
    for budget in [64u64 << 20, 512 << 20, 1 << 40] {
        let out = std::process::Command::new(std::env::current_exe()?)
            .env("BENCH_CACHE_BUDGET", budget.to_string())
            .output()?;
        anyhow::ensure!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        print!("{}", String::from_utf8_lossy(&out.stdout));
    }
    Ok(())
}

fn one_budget(budget: u64, count: usize) -> anyhow::Result<()> {
    let tokio = tokio::runtime::Runtime::new()?;
    let dir = tempfile::tempdir()?;
    let runtime = Runtime::new(RuntimeConfig {
        cache: Some(plugboard_runtime::CompileCache::open(
            std::env::temp_dir().join("plugboard-bench-cache"),
            &std::env::temp_dir().join("plugboard-bench-cache.key"),
        )?),
        max_instances: 4,
        memory_cache_bytes: budget,
        ..RuntimeConfig::default()
    })?;
    let mut json = plugboard_tests::bench::many_actions("api.example.com", 200, 10);
    // The bundles come from the database in the server: here from files, read per load.
    let mut paths = Vec::with_capacity(count);
    for i in 0..count {
        json["name"] = format!("Bundle {i:04}").into();
        let definition = Definition::from_json(&json.to_string())?;
        let path = dir.path().join(format!("{i}.wasm"));
        std::fs::write(&path, plugboard_bundle::finalize(&definition)?.component)?;
        paths.push(path);
    }
    let started_at = resident_mib();
    let (kept, evicted) = tokio.block_on(async {
        for (i, path) in paths.iter().enumerate() {
            runtime
                .load_as(&i.to_string(), &std::fs::read(path)?)
                .await?;
        }
        let mut kept = Vec::new();
        let mut evicted = Vec::new();
        for i in (0..count).rev().take(50) {
            let started = Instant::now();
            let hit = runtime.cached(&i.to_string());
            let elapsed = started.elapsed();
            if hit.is_some() {
                kept.push(elapsed);
            }
        }
        for (i, path) in paths.iter().enumerate().take(20) {
            if runtime.cached(&i.to_string()).is_none() {
                let started = Instant::now();
                let bytes = std::fs::read(path)?;
                runtime.load_as(&format!("again-{i}"), &bytes).await?;
                evicted.push(started.elapsed());
            }
        }
        anyhow::Ok((kept, evicted))
    })?;
    let usage = runtime.cache_usage();
    let budget_text = if budget >= 1 << 40 {
        "none".to_string()
    } else {
        format!("{} MiB", budget >> 20)
    };
    println!(
        "| {budget_text} | {} MiB ({started_at} MiB) | {} MiB | {} of {count} (+{} component) | {} | {} |",
        resident_mib(),
        usage.bytes >> 20,
        usage.bundles,
        usage.components,
        median(kept),
        median(evicted),
    );
    Ok(())
}

fn median(mut times: Vec<Duration>) -> String {
    if times.is_empty() {
        return "-".into();
    }
    times.sort();
    format!("{:.3} ms", times[times.len() / 2].as_secs_f64() * 1e3)
}

/// The process's resident memory (Linux), in MiB.
fn resident_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kib| kib.parse::<u64>().ok())
        })
        .map_or(0, |kib| kib / 1024)
}
