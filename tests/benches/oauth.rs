//! Call overhead with a cached OAuth 2.0 access token versus a static API key; prints a
//! Markdown table (copied into BENCHMARKS.md).
//!
//! `cargo bench -p plugboard-tests --bench oauth`: two one-action bundles, each against a
//! loopback test API of its own that checks its credential: one with an API key (`X-Api-Key`),
//! one with OAuth 2.0 client credentials (its token obtained once, then served from the token
//! manager's cache, and checked by the API against the token endpoint). Calls alternate
//! between the two so that drift hits both alike. `BENCH_QUICK=1` for fewer calls.
//!
//! The API key is as long as real ones are: a key under the scrubber's minimum length (4) is
//! not looked for in the output, which would spare the baseline work every real call does.

use std::time::{Duration, Instant};

use plugboard_definition::Definition;
use plugboard_runtime::{Credentials, InvokeOptions, Runtime, RuntimeConfig};
use plugboard_tests::api::{AuthCheck, TestApi};
use plugboard_tests::oauth::{TokenEndpoint, TokenEndpointConfig};
use serde_json::{Value, json};

/// A key shaped like a vendor's live key (the scrubber looks for it in every output).
const API_KEY: &str = "pk_live_5f3a9c1e7b2d4a6f8e0c1b3d5a7f9e2c";

fn main() -> anyhow::Result<()> {
    let calls = if std::env::var_os("BENCH_QUICK").is_some() {
        200
    } else {
        10_000
    };
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let endpoint = TokenEndpoint::start(TokenEndpointConfig::default());
    let key_api = TestApi::start_blocking(AuthCheck::header("X-Api-Key", API_KEY))?;
    let oauth_api = TestApi::start_blocking(AuthCheck::bearer(endpoint.validator()))?;
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
    let key_bundle = plugboard_bundle::finalize(&definition(
        &key_api,
        json!({"type": "api_key", "api_key_header_name": "X-Api-Key"}),
    )?)?;
    let oauth_bundle = plugboard_bundle::finalize(&definition(
        &oauth_api,
        json!({"type": "oauth2", "grant_type": "client_credentials",
            "access_token_url": endpoint.token_url()}),
    )?)?;
    let key_options = options(&[("api_key", API_KEY)]);
    let oauth_options = options(&[("client_id", "client-1"), ("client_secret", "secret-1")]);
    let (key_times, oauth_times) = tokio.block_on(async {
        let key_bundle = runtime.load(&key_bundle.component).await?;
        let oauth_bundle = runtime.load(&oauth_bundle.component).await?;
        for _ in 0..100 {
            runtime
                .invoke(&key_bundle, "get", "{}", &key_options)
                .await?;
            runtime
                .invoke(&oauth_bundle, "get", "{}", &oauth_options)
                .await?;
        }
        let mut key_times = Vec::with_capacity(calls);
        let mut oauth_times = Vec::with_capacity(calls);
        for _ in 0..calls {
            let started = Instant::now();
            runtime
                .invoke(&key_bundle, "get", "{}", &key_options)
                .await?;
            key_times.push(started.elapsed());
            let started = Instant::now();
            runtime
                .invoke(&oauth_bundle, "get", "{}", &oauth_options)
                .await?;
            oauth_times.push(started.elapsed());
        }
        anyhow::Ok((key_times, oauth_times))
    })?;
    anyhow::ensure!(
        endpoint.count("client_credentials") == 1,
        "the OAuth token must come from the cache after the first call"
    );
    let (key, oauth) = (median(&key_times), median(&oauth_times));
    println!("| measurement | median | goal |");
    println!("|---|---|---|");
    println!(
        "| invoke with an API key (loopback GET, {calls} calls) | {} | - |",
        fmt_ms(key)
    );
    println!(
        "| invoke with a cached OAuth 2.0 token (same GET, {calls} calls) | {} | - |",
        fmt_ms(oauth)
    );
    println!(
        "| OAuth / API key overhead | {:+.1}% | within 5% |",
        (oauth.as_secs_f64() / key.as_secs_f64() - 1.0) * 100.0
    );
    Ok(())
}

fn options(pairs: &[(&str, &str)]) -> InvokeOptions {
    InvokeOptions {
        credentials: pairs.iter().copied().collect::<Credentials>(),
        ..InvokeOptions::default()
    }
}

/// One action reading the test API's first page of items.
fn definition(api: &TestApi, auth: Value) -> anyhow::Result<Definition> {
    let definition = json!({
        "definition_version": 1,
        "name": "Bench API",
        "description": "OAuth benchmark",
        "hostname": api.host(),
        "scheme": "http",
        "auth": auth,
        "actions": [{"id": "get", "name": "Get", "method": "GET", "path": "/page/items"}],
    });
    Ok(Definition::from_json(&definition.to_string())?)
}

fn median(times: &[Duration]) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort();
    sorted.get(sorted.len() / 2).copied().unwrap_or_default()
}

fn fmt_ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}
