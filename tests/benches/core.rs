//! Core-path benchmarks; prints a Markdown table (copied into BENCHMARKS.md).
//!
//! `cargo bench -p plugboard-tests --bench core` measures:
//! - finalize time for 1,000 and 20,000 actions (validate + compile table + patch engine);
//! - instantiate plus first call on a 20,000-action bundle (fresh store, instance, table lookup,
//!   request to a loopback server), and the same without the request;
//! - per-call overhead of `invoke` against a loopback server versus native reqwest;
//! - memory per live instance (RSS growth while holding many idle instances).
//!
//! Set `BENCH_QUICK=1` for fewer iterations.

use std::time::{Duration, Instant};

use plugboard_definition::Definition;
use plugboard_runtime::{InvokeOptions, Replay, Runtime, RuntimeConfig, Tap};
use plugboard_tests::api::{AuthCheck, TestApi};
use serde_json::json;

fn main() -> anyhow::Result<()> {
    let quick = std::env::var_os("BENCH_QUICK").is_some();
    let iterations = if quick { 50 } else { 1000 };
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let api = TestApi::start_blocking(AuthCheck::None)?;
    let mut rows: Vec<(String, String, String)> = Vec::new();

    // Finalize.
    for (count, runs) in [
        (1_000, if quick { 5 } else { 30 }),
        (20_000, if quick { 2 } else { 10 }),
    ] {
        let definition = definition(&api, count)?;
        let times = measure(runs, || plugboard_bundle::finalize(&definition).map(|_| ()))?;
        let goal = if count == 1_000 { "<= 20 ms" } else { "-" };
        rows.push((
            format!("finalize, {count} actions"),
            fmt_ms(median(&times)),
            goal.into(),
        ));
    }

    // Instantiate + first call, and call overhead.
    let temp = std::env::temp_dir();
    let cache = plugboard_runtime::CompileCache::open(
        temp.join("plugboard-bench-cache"),
        &temp.join("plugboard-bench-cache.key"),
    )?;
    // Two runtimes: one instantiates every call afresh (first calls, instance memory), one
    // keeps instances warm between calls of the same credentials (the default).
    let config = RuntimeConfig {
        // The test APIs run on loopback.
        egress: plugboard_runtime::EgressPolicy::with_loopback(),
        cache: Some(cache),
        max_instances: 1_100,
        pooling: true,
        ..RuntimeConfig::default()
    };
    let warm_runtime = Runtime::new(config.clone())?;
    let runtime = Runtime::new(RuntimeConfig {
        warm_instances: 0,
        ..config
    })?;
    let big = plugboard_bundle::finalize(&definition(&api, 20_000)?)?;
    let small = plugboard_bundle::finalize(&definition(&api, 10)?)?;
    let options = InvokeOptions::default();
    let (
        big_first,
        big_no_http,
        instantiate_only,
        ((fresh_call, fresh_native), (warm_call, warm_native)),
        per_instance,
    ) = tokio.block_on(async {
        let big = runtime.load(&big.component).await?;
        let warm_small = warm_runtime.load(&small.component).await?;
        let small = runtime.load(&small.component).await?;
        let input = json!({"id": "x"}).to_string();
        let bad_input = json!({"nope": 1}).to_string();
        // The native side: the same GET with reqwest.
        let url = format!("{}/echo/a1/x", api.base_url());
        let client = reqwest::Client::new();
        // Calls through `runtime`, each followed by the native GET, while `more` says so (it
        // is given the calls made): the times of both.
        let pass = async |runtime: &Runtime,
                          bundle: &plugboard_runtime::Bundle,
                          more: &dyn Fn(usize) -> bool| {
            let (mut calls, mut natives) = (Vec::new(), Vec::new());
            while more(calls.len()) {
                let started = Instant::now();
                runtime
                    .invoke(bundle, "action_00001", &input, &options)
                    .await?;
                calls.push(started.elapsed());
                natives.push(native_get(&client, &url).await?);
            }
            anyhow::Ok((calls, natives))
        };
        if let Ok(mode) = std::env::var("BENCH_PROFILE") {
            eprintln!("{mode}: the loop starts (5 s)");
            // A loop to run under `perf record` or `perf stat`: `refused` has no HTTP, `call`
            // does, `replay` answers from a recording, `native` makes the same GET with
            // reqwest. Each prints its calls per second and CPU time per call. `replay-cold`
            // and `native-gap` print medians instead, and `ratio` the table's warm ratio
            // (see there).
            let mut calls = 0u64;
            if mode == "native" {
                let started = (Instant::now(), cpu_ticks()?);
                while started.0.elapsed() < Duration::from_secs(5) {
                    native_get(&client, &url).await?;
                    calls += 1;
                }
                print_profile(&mode, calls, started)?;
                std::process::exit(0);
            }
            if mode == "ratio" {
                // The table's warm pass for 5 s instead of 1,000 calls: a steadier ratio (it
                // moves by about 0.02x between runs; the table's by about 0.05x).
                let started = Instant::now();
                let (calls, natives) = pass(&warm_runtime, &warm_small, &|_| {
                    started.elapsed() < Duration::from_secs(5)
                })
                .await?;
                let (call, native) = (median(&calls), median(&natives));
                println!(
                    "ratio: warm call {call:?}, native {native:?}: {:.3}x ({} of each)",
                    call.as_secs_f64() / native.as_secs_f64(),
                    calls.len()
                );
                std::process::exit(0);
            }
            if mode == "inline" {
                // The native GET with reqwest, alternating with the same GET over one HTTP/1
                // connection that the calling task drives itself (hyper's connection API, no
                // connection task): how much of a round trip is the hand-over between the
                // caller and reqwest's connection task on another thread.
                let (mut pooled, mut inline) = (Vec::new(), Vec::new());
                let stream = tokio::net::TcpStream::connect(api.addr()).await?;
                stream.set_nodelay(true)?;
                let (mut sender, mut connection) =
                    hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                        .await?;
                let started = Instant::now();
                while started.elapsed() < Duration::from_secs(5) {
                    pooled.push(native_get(&client, &url).await?);
                    let t = Instant::now();
                    let request = hyper::Request::get("/echo/a1/x")
                        .header("host", api.addr().to_string())
                        .header("accept", "application/json")
                        .body(http_body_util::Empty::<bytes::Bytes>::new())?;
                    let exchange = async {
                        let response = sender.send_request(request).await?;
                        let body = http_body_util::BodyExt::collect(response.into_body()).await?;
                        anyhow::Ok(body.to_bytes())
                    };
                    let body = tokio::select! {
                        body = exchange => body?,
                        closed = &mut connection => anyhow::bail!("the connection closed: {closed:?}"),
                    };
                    let _: serde_json::Value = serde_json::from_slice(&body)?;
                    inline.push(t.elapsed());
                }
                println!(
                    "inline: reqwest GET {:?}, the same GET on a connection the caller drives {:?} ({} of each)",
                    median(&pooled),
                    median(&inline),
                    inline.len()
                );
                std::process::exit(0);
            }
            if mode == "native-gap" {
                // The same GET, with the calling thread busy (on the CPU, touching no memory)
                // for a while between two GETs, as a component call is around its request:
                // how the round trip's own time grows with the pause before it.
                for gap_us in [0u64, 10, 20, 40, 80] {
                    let gap = Duration::from_micros(gap_us);
                    let mut times = Vec::new();
                    let started = Instant::now();
                    while started.elapsed() < Duration::from_secs(3) {
                        let spin = Instant::now();
                        while spin.elapsed() < gap {
                            std::hint::spin_loop();
                        }
                        times.push(native_get(&client, &url).await?);
                    }
                    eprintln!("gap {gap_us} us: GET median {:?}", median(&times));
                }
                std::process::exit(0);
            }
            let input = if mode == "refused" {
                &bad_input
            } else {
                &input
            };
            let (runtime, small) = if std::env::var_os("BENCH_FRESH").is_some() {
                (&runtime, &small)
            } else {
                (&warm_runtime, &warm_small)
            };
            // The upstream's answer to the call, for the replay loops.
            let exchanges = if mode.starts_with("replay") {
                let (result, exchanges) = runtime
                    .invoke_tapped(small, "action_00001", input, &options, Tap::Record)
                    .await;
                result?;
                exchanges
            } else {
                Vec::new()
            };
            // The call answered from that recording.
            let replayed = async || {
                let tap = Tap::Replay(Replay::new(exchanges.clone()));
                let (result, _) = runtime
                    .invoke_tapped(small, "action_00001", input, &options, tap)
                    .await;
                result.map(drop)
            };
            if mode == "replay-cold" {
                // A replayed call right after a native GET: how much slower the same work runs
                // once a network round trip has run through the caches.
                let (mut hot, mut cold) = (Vec::new(), Vec::new());
                let started = Instant::now();
                while started.elapsed() < Duration::from_secs(5) {
                    native_get(&client, &url).await?;
                    for times in [&mut cold, &mut hot] {
                        let t = Instant::now();
                        let result = replayed().await;
                        times.push(t.elapsed());
                        result?;
                    }
                }
                eprintln!(
                    "replay right after a native GET: median {:?}; replayed again at once: {:?} ({} of each)",
                    median(&cold),
                    median(&hot),
                    cold.len()
                );
                std::process::exit(0);
            }
            if mode == "replay" {
                // The whole call without the network: the upstream's answer comes from a
                // recording, so what is left is the component and the host's own work.
                let started = (Instant::now(), cpu_ticks()?);
                while started.0.elapsed() < Duration::from_secs(5) {
                    // (Building the replay takes well under a microsecond.)
                    replayed().await?;
                    calls += 1;
                }
                print_profile(&mode, calls, started)?;
                std::process::exit(0);
            }
            let started = (Instant::now(), cpu_ticks()?);
            while started.0.elapsed() < Duration::from_secs(5) {
                let _ = runtime.invoke(small, "action_00001", input, &options).await;
                calls += 1;
            }
            print_profile(&mode, calls, started)?;
            std::process::exit(0);
        }
        for _ in 0..20 {
            runtime
                .invoke(&big, "action_10000", &input, &options)
                .await?;
        }
        let mut first = Vec::new();
        let mut no_http = Vec::new();
        for i in 0..iterations.min(300) {
            let id = format!("action_{:05}", (i * 7919) % 20_000);
            let started = Instant::now();
            runtime.invoke(&big, &id, &input, &options).await?;
            first.push(started.elapsed());
            let started = Instant::now();
            let refused = runtime.invoke(&big, &id, &bad_input, &options).await;
            no_http.push(started.elapsed());
            anyhow::ensure!(refused.is_err(), "bad input must be refused");
        }

        let mut instantiate_only = Vec::new();
        for _ in 0..iterations.min(300) {
            let started = Instant::now();
            drop(runtime.hold_instance(&big, None).await?);
            instantiate_only.push(started.elapsed());
        }

        for _ in 0..50 {
            runtime
                .invoke(&small, "action_00001", &input, &options)
                .await?;
            warm_runtime
                .invoke(&warm_small, "action_00001", &input, &options)
                .await?;
            client.get(&url).send().await?.bytes().await?;
        }
        // Each kind of call alternates with the native request in a pass of its own: a fresh
        // instantiation right before a warm call would leave it caches the fresh one spoiled.
        // Each kind is compared with the native requests of its own pass: the work before a
        // native request slows it (see `native-gap`), so natives from another pass would skew
        // the ratio.
        let enough = |done: usize| done < iterations;
        let (fresh, native_fresh) = pass(&runtime, &small, &enough).await?;
        let (warm, native_warm) = pass(&warm_runtime, &warm_small, &enough).await?;

        let held_count = if quick { 100 } else { 1_000 };
        let before = (rss_bytes()?, private_dirty_bytes()?);
        let mut held = Vec::with_capacity(held_count);
        for _ in 0..held_count {
            held.push(
                runtime
                    .hold_instance(&big, Some(("action_10000", &bad_input)))
                    .await?,
            );
        }
        let after = (rss_bytes()?, private_dirty_bytes()?);
        drop(held);
        let per_instance = (
            after.0.saturating_sub(before.0) as f64 / held_count as f64,
            after.1.saturating_sub(before.1) as f64 / held_count as f64,
        );
        anyhow::Ok((
            median(&first),
            median(&no_http),
            median(&instantiate_only),
            (
                (median(&fresh), median(&native_fresh)),
                (median(&warm), median(&native_warm)),
            ),
            per_instance,
        ))
    })?;
    rows.push((
        "instantiate + first call, 20,000-action bundle (with loopback request)".into(),
        fmt_ms(big_first),
        "<= 1 ms".into(),
    ));
    rows.push((
        "instantiate + first call, 20,000-action bundle (input refused, no request)".into(),
        fmt_ms(big_no_http),
        "-".into(),
    ));
    rows.push((
        "instantiate only (fresh store + instance, dropped), 20,000-action bundle".into(),
        fmt_ms(instantiate_only),
        "-".into(),
    ));
    rows.push((
        "invoke via component, fresh instance every call (loopback GET)".into(),
        fmt_ms(fresh_call),
        "-".into(),
    ));
    rows.push((
        "native reqwest (same GET + JSON parse), in the fresh pass".into(),
        fmt_ms(fresh_native),
        "-".into(),
    ));
    rows.push((
        "invoke via component, warm instance (the default; same GET)".into(),
        fmt_ms(warm_call),
        "-".into(),
    ));
    rows.push((
        "native reqwest (same GET + JSON parse), in the warm pass".into(),
        fmt_ms(warm_native),
        "-".into(),
    ));
    rows.push((
        "invoke / native ratio, fresh instance every call".into(),
        format!(
            "{:.2}x",
            fresh_call.as_secs_f64() / fresh_native.as_secs_f64()
        ),
        "-".into(),
    ));
    rows.push((
        "invoke / native ratio, warm instance (the default)".into(),
        format!(
            "{:.2}x",
            warm_call.as_secs_f64() / warm_native.as_secs_f64()
        ),
        "<= 1.2x".into(),
    ));
    rows.push((
        "memory per live instance, after one call: private dirty pages".into(),
        format!("{:.1} KiB", per_instance.1 / 1024.0),
        "<= 64 KiB".into(),
    ));
    rows.push((
        "memory per live instance, after one call: RSS (counts shared read-only table pages once per instance)".into(),
        format!("{:.1} KiB", per_instance.0 / 1024.0),
        "-".into(),
    ));

    println!("| measurement | median | goal |");
    println!("|---|---|---|");
    for (name, value, goal) in rows {
        println!("| {name} | {value} | {goal} |");
    }
    Ok(())
}

/// A definition with `count` echo actions on the test API.
fn definition(api: &TestApi, count: usize) -> anyhow::Result<Definition> {
    let json = plugboard_tests::bench::many_actions(&api.host(), count, 2);
    Ok(Definition::from_json(&json.to_string())?)
}

fn measure<E: Into<anyhow::Error>>(
    runs: usize,
    mut f: impl FnMut() -> Result<(), E>,
) -> anyhow::Result<Vec<Duration>> {
    f().map_err(Into::into)?;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        f().map_err(Into::into)?;
        times.push(started.elapsed());
    }
    Ok(times)
}

fn median(times: &[Duration]) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort();
    sorted.get(sorted.len() / 2).copied().unwrap_or_default()
}

fn fmt_ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

/// Private dirty memory of this process (pages only it has written), from smaps_rollup.
fn private_dirty_bytes() -> anyhow::Result<usize> {
    let rollup = std::fs::read_to_string("/proc/self/smaps_rollup")?;
    let kib: usize = rollup
        .lines()
        .find_map(|line| line.strip_prefix("Private_Dirty:"))
        .and_then(|rest| rest.split_whitespace().next())
        .ok_or_else(|| anyhow::anyhow!("no Private_Dirty in smaps_rollup"))?
        .parse()?;
    Ok(kib * 1024)
}

/// One GET with reqwest and a JSON parse of the body, as an action does it; its duration.
async fn native_get(client: &reqwest::Client, url: &str) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let body = client
        .get(url)
        .header("accept", "application/json")
        .send()
        .await?
        .bytes()
        .await?;
    let _: serde_json::Value = serde_json::from_slice(&body)?;
    Ok(started.elapsed())
}

/// Prints a profiling loop's calls per second and the process's CPU time per call (user and
/// kernel, test server included) since `started`.
fn print_profile(mode: &str, calls: u64, started: (Instant, (u64, u64))) -> anyhow::Result<()> {
    let seconds = started.0.elapsed().as_secs_f64();
    let (user, system) = cpu_ticks()?;
    // /proc/self/stat counts in clock ticks of 10 ms (USER_HZ = 100 on Linux).
    let per_call = |ticks: u64| ticks as f64 * 10_000.0 / calls.max(1) as f64;
    eprintln!(
        "{mode}: {:.0} calls/s, CPU per call {:.0} us user + {:.0} us kernel",
        calls as f64 / seconds,
        per_call(user - started.1.0),
        per_call(system - started.1.1),
    );
    Ok(())
}

/// This process's CPU time so far, user and kernel, in clock ticks (from /proc/self/stat).
fn cpu_ticks() -> anyhow::Result<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    // Fields after the command name (which may hold spaces, so split after its `)`).
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    // utime and stime are fields 14 and 15 of the line: 11 and 12 (from 0) after the name.
    let field = |index: usize| -> anyhow::Result<u64> {
        Ok(fields
            .get(index)
            .ok_or_else(|| anyhow::anyhow!("unexpected /proc/self/stat"))?
            .parse()?)
    };
    Ok((field(11)?, field(12)?))
}

/// Resident set size of this process, from /proc/self/statm.
fn rss_bytes() -> anyhow::Result<usize> {
    let statm = std::fs::read_to_string("/proc/self/statm")?;
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("unexpected /proc/self/statm"))?
        .parse()?;
    Ok(pages * 4096)
}
