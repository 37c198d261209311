//! The platform path versus the runtime alone; prints a Markdown table (copied into
//! BENCHMARKS.md).
//!
//! `cargo bench -p plugboard-tests --bench server` starts the REST API in-process (SQLite in a
//! temporary directory) and a loopback upstream, installs a one-action integration, then
//! measures: the median latency of an invoke through the API (HTTP, token check, store reads,
//! unsealing the credentials, the component call, the audit write) and of the same call on the
//! runtime alone (what `plugboard invoke` does once it runs); and requests per second through
//! the API with concurrent clients (this binary is the load generator: `BENCH_CLIENTS`
//! connections, default 16, for `BENCH_SECONDS`, default 10). `BENCH_QUICK=1` for a short run.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use plugboard_runtime::{Credentials, InvokeOptions, Runtime, RuntimeConfig};
use plugboard_server::AppState;
use plugboard_store::{Sealer, Store};
use plugboard_tests::api::{AuthCheck, TestApi};
use serde_json::{Value, json};

fn main() -> anyhow::Result<()> {
    let quick = std::env::var_os("BENCH_QUICK").is_some();
    let calls = if quick { 200 } else { 3_000 };
    let clients: usize = std::env::var("BENCH_CLIENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(16);
    let seconds: u64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if quick { 3 } else { 10 });
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let upstream = TestApi::start_blocking(AuthCheck::header("X-Api-Key", "k-1"))?;
    tokio.block_on(async {
        let dir = tempfile::tempdir()?;
        let store = Store::open(&format!("sqlite://{}", dir.path().join("bench.db").display())).await?;
        let admin = plugboard_server::bootstrap(&store).await?.ok_or_else(|| anyhow::anyhow!("no admin"))?;
        let runtime = Arc::new(Runtime::new(RuntimeConfig {
            // The test APIs run on loopback.
            egress: plugboard_runtime::EgressPolicy::with_loopback(),
            cache: Some(
            plugboard_runtime::CompileCache::open(
                std::env::temp_dir().join("plugboard-bench-cache"),
                &std::env::temp_dir().join("plugboard-bench-cache.key"),
            )
            .expect("compile cache"),
        ),
            max_instances: 64,
            ..RuntimeConfig::default()
        })?);
        let state = AppState::new(store.clone(), runtime.clone(), Sealer::new(&[1u8; 32]));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        tokio::spawn(async move { axum::serve(listener, plugboard_server::router(state)).await });
        let http = reqwest::Client::builder().pool_max_idle_per_host(clients * 2).build()?;
        let call = |method: &str, path: &str, body: Value| {
            http.request(method.parse().unwrap_or(reqwest::Method::GET), format!("{base}{path}"))
                .header("authorization", format!("Bearer {admin}"))
                .header("content-type", "application/json")
                .body(body.to_string())
                .send()
        };
        let json_of = |text: String| serde_json::from_str::<Value>(&text).unwrap_or(Value::Null);
        let me = json_of(call("GET", "/v1/me", Value::Null).await?.text().await?);
        let root = me["user"]["organization_id"].as_str().unwrap_or("").to_string();
        let definition = json!({
            "definition_version": 1, "name": "Bench", "description": "One action",
            "hostname": upstream.host(), "scheme": "http",
            "auth": {"type": "api_key", "api_key_header_name": "X-Api-Key"},
            "actions": [{"id": "get", "name": "Get", "method": "GET", "path": "/page/items"}]
        });
        let created = json_of(call("POST", &format!("/v1/organizations/{root}/integrations"), definition.clone()).await?.text().await?);
        let integration = created["id"].as_str().unwrap_or("").to_string();
        call("POST", &format!("/v1/integrations/{integration}/finalize"), json!({})).await?;
        let installed = json_of(
            call("POST", &format!("/v1/organizations/{root}/installations"),
                json!({"integration_id": integration, "credentials": {"api_key": "k-1"}})).await?.text().await?,
        );
        let invoke = format!("/v1/installations/{}/actions/get/invoke", installed["id"].as_str().unwrap_or(""));
        let component = plugboard_bundle::finalize(&plugboard_definition::Definition::from_json(&definition.to_string())?)?;
        let bundle = runtime.load(&component.component).await?;
        let options = InvokeOptions {
            credentials: [("api_key", "k-1")].into_iter().collect::<Credentials>(),
            ..InvokeOptions::default()
        };
        for _ in 0..100 {
            anyhow::ensure!(call("POST", &invoke, json!({})).await?.status().is_success(), "invoke failed");
            runtime.invoke(&bundle, "get", "{}", &options).await?;
        }
        let (mut api_times, mut runtime_times) = (Vec::new(), Vec::new());
        for _ in 0..calls {
            let started = Instant::now();
            let response = call("POST", &invoke, json!({})).await?;
            response.bytes().await?;
            api_times.push(started.elapsed());
            let started = Instant::now();
            runtime.invoke(&bundle, "get", "{}", &options).await?;
            runtime_times.push(started.elapsed());
        }
        // Throughput: `clients` loops for `seconds`.
        let done = Arc::new(AtomicU64::new(0));
        let failed = Arc::new(AtomicU64::new(0));
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let started = Instant::now();
        let workers: Vec<_> = (0..clients)
            .map(|_| {
                let (http, url, admin, done, failed) = (http.clone(), format!("{base}{invoke}"), admin.clone(), done.clone(), failed.clone());
                tokio::spawn(async move {
                    while Instant::now() < deadline {
                        let ok = match http.post(&url).header("authorization", format!("Bearer {admin}")).header("content-type", "application/json").body("{}").send().await {
                            Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                            Err(_) => false,
                        };
                        if ok { done.fetch_add(1, Ordering::Relaxed); } else { failed.fetch_add(1, Ordering::Relaxed); }
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.await?;
        }
        let elapsed = started.elapsed().as_secs_f64();
        let rps = done.load(Ordering::Relaxed) as f64 / elapsed;
        let (api, alone) = (median(&api_times), median(&runtime_times));
        println!("| measurement | value | goal |");
        println!("|---|---|---|");
        println!("| invoke through the REST API (sequential, {calls} calls) | {:.3} ms | - |", api.as_secs_f64() * 1e3);
        println!("| the same call on the runtime alone (the CLI path once started) | {:.3} ms | - |", alone.as_secs_f64() * 1e3);
        println!("| API overhead per call | {:.3} ms ({:.2}x) | - |", (api.as_secs_f64() - alone.as_secs_f64()) * 1e3, api.as_secs_f64() / alone.as_secs_f64());
        println!("| requests per second through the API ({clients} clients, {seconds} s, 2 cores, loopback upstream) | {rps:.0} ({} failed) | - |", failed.load(Ordering::Relaxed));
        anyhow::Ok(())
    })?;
    Ok(())
}

fn median(times: &[Duration]) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort();
    sorted.get(sorted.len() / 2).copied().unwrap_or_default()
}
