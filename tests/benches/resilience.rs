//! Happy-path overhead of retries and the rate budget, of the tenant's fair share of the pool,
//! and of the egress check; prints a Markdown table (copied into BENCHMARKS.md).
//!
//! `cargo bench -p plugboard-tests --bench resilience`: one bundle, one loopback API that always
//! answers; calls alternate between options with retries off and no budget, the defaults plus a
//! rate budget far above the call rate (so it never waits), and retries off with a tenant (whose
//! call takes its installation's and organization's slots too). The egress check of a call's URL
//! is timed on its own (a million checks) and set against a call. `BENCH_QUICK=1` for fewer.

use std::time::{Duration, Instant};

use plugboard_definition::Definition;
use plugboard_runtime::{InvokeOptions, RateLimit, RetryPolicy, Runtime, RuntimeConfig};
use plugboard_tests::api::{AuthCheck, TestApi};
use serde_json::json;

fn main() -> anyhow::Result<()> {
    let calls = if std::env::var_os("BENCH_QUICK").is_some() {
        200
    } else {
        5_000
    };
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let api = TestApi::start_blocking(AuthCheck::None)?;
    let definition = Definition::from_json(
        &json!({"definition_version": 1, "name": "Bench", "description": "Happy path",
            "hostname": api.host(), "scheme": "http",
            "actions": [{"id": "get", "name": "Get", "method": "GET", "path": "/open/items"}]})
        .to_string(),
    )?;
    let component = plugboard_bundle::finalize(&definition)?.component;
    let runtime = Runtime::new(RuntimeConfig {
        // The test APIs run on loopback.
        egress: plugboard_runtime::EgressPolicy::with_loopback(),
        cache: Some(
            plugboard_runtime::CompileCache::open(
                std::env::temp_dir().join("plugboard-bench-cache"),
                &std::env::temp_dir().join("plugboard-bench-cache.key"),
            )
            .expect("compile cache"),
        ),
        max_instances: 16,
        ..RuntimeConfig::default()
    })?;
    let bare = InvokeOptions {
        retry: RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        },
        credential_key: Some("bare".into()),
        ..InvokeOptions::default()
    };
    let resilient = InvokeOptions {
        rate_limit: Some(RateLimit {
            per_second: 1_000_000.0,
            burst: 1_000,
        }),
        credential_key: Some("resilient".into()),
        ..InvokeOptions::default()
    };
    let tenant = InvokeOptions {
        tenant: Some(plugboard_runtime::Tenant {
            organization: "org-bench".into(),
            installation: "inst-bench".into(),
        }),
        ..bare.clone()
    };
    let (bare_times, resilient_times, tenant_times) = tokio.block_on(async {
        let bundle = runtime.load(&component).await?;
        for _ in 0..100 {
            runtime.invoke(&bundle, "get", "{}", &bare).await?;
            runtime.invoke(&bundle, "get", "{}", &resilient).await?;
            runtime.invoke(&bundle, "get", "{}", &tenant).await?;
        }
        let (mut a, mut b, mut c) = (
            Vec::with_capacity(calls),
            Vec::with_capacity(calls),
            Vec::with_capacity(calls),
        );
        for _ in 0..calls {
            let started = Instant::now();
            runtime.invoke(&bundle, "get", "{}", &bare).await?;
            a.push(started.elapsed());
            let started = Instant::now();
            runtime.invoke(&bundle, "get", "{}", &resilient).await?;
            b.push(started.elapsed());
            let started = Instant::now();
            runtime.invoke(&bundle, "get", "{}", &tenant).await?;
            c.push(started.elapsed());
        }
        anyhow::Ok((a, b, c))
    })?;
    let (bare, resilient) = (median(&bare_times), median(&resilient_times));
    let with_tenant = median(&tenant_times);
    // The egress check every request makes (names are checked once per connection, when they
    // resolve; the loopback API is an IP literal, so every request checks it).
    let policy = plugboard_runtime::EgressPolicy::with_loopback();
    let url = url::Url::parse(&format!("http://{}/open/items", api.host()))?;
    let checks = 1_000_000u32;
    let started = Instant::now();
    for _ in 0..checks {
        std::hint::black_box(policy.check_url(std::hint::black_box(&url))).ok();
    }
    let check = started.elapsed() / checks;
    println!("| measurement | median | goal |");
    println!("|---|---|---|");
    println!(
        "| invoke, retries off, no rate budget ({calls} calls) | {:.3} ms | - |",
        bare.as_secs_f64() * 1e3
    );
    println!(
        "| invoke, retries on, rate budget ({calls} calls) | {:.3} ms | - |",
        resilient.as_secs_f64() * 1e3
    );
    println!(
        "| overhead on the happy path | {:+.1}% | < 2% |",
        (resilient.as_secs_f64() / bare.as_secs_f64() - 1.0) * 100.0
    );
    println!(
        "| invoke, retries off, with a tenant's share of the pool ({calls} calls) | {:.3} ms | - |",
        with_tenant.as_secs_f64() * 1e3
    );
    println!(
        "| fair-share overhead on the happy path | {:+.1}% | < 2% |",
        (with_tenant.as_secs_f64() / bare.as_secs_f64() - 1.0) * 100.0
    );
    println!(
        "| egress check of a call's URL | {:.0} ns ({:.3}% of a call) | < 2% |",
        check.as_secs_f64() * 1e9,
        check.as_secs_f64() / bare.as_secs_f64() * 100.0
    );
    Ok(())
}

fn median(times: &[Duration]) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort();
    sorted.get(sorted.len() / 2).copied().unwrap_or_default()
}
