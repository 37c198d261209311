//! The runtime: engine configuration, the bundle cache, and invocation.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::value::RawValue;
use wasmtime::component::{HasSelf, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store, Trap};

use crate::bindings::{Integration, IntegrationPre};
use crate::cache::CompileCache;
use crate::host::State;
use crate::limits::CallLimiter;
use crate::loaded::{CacheUsage, Loaded};
use crate::oauth_call::OAuthCall;
use crate::outbound::{HostPolicy, Outbound, missing_credentials};
use crate::resilience::{RateBudgets, RateLimit, RetryPolicy};
use crate::scrub::Scrubber;
use crate::slots::{Shares, Slots, Tenant};
use crate::{Credentials, Error, Failure, Limits, Result, cache};
use plugboard_egress::{EgressClient, EgressPolicy};
use plugboard_manifest::section::{ManifestSection, SharedBytes};
use plugboard_manifest::{Auth, Header};
use plugboard_oauth::{DEFAULT_COOLDOWN, MemoryStore, TokenManager, TokenStore};

/// How often the epoch advances; the wall-time limit is enforced in these steps.
const EPOCH_TICK: Duration = Duration::from_millis(5);
/// Bytes of each pooled fiber stack kept mapped between calls.
const STACK_KEEP_RESIDENT: usize = 128 << 10;
/// Bytes at the start of each pooled linear memory kept mapped (and zeroed) between calls: the
/// engine's stack, data and first heap pages, which every call touches.
const MEMORY_KEEP_RESIDENT: usize = 512 << 10;
/// An epoch deadline far enough away to mean "none" (wasmtime adds it to the current epoch).
const NO_DEADLINE_TICKS: u64 = 1 << 40;
/// Largest linear memory any instance may reserve in the pool.
pub(crate) const POOL_MAX_MEMORY: usize = 1 << 30;

/// What [`RuntimeConfig::memory_cache_bytes`] is by default: 512 MiB.
pub const DEFAULT_MEMORY_CACHE_BYTES: u64 = 512 << 20;

/// Runtime settings.
#[derive(Clone)]
pub struct RuntimeConfig {
    /// Where compiled components are cached, and the key that vouches for them; `None`
    /// compiles in memory every load.
    pub cache: Option<CompileCache>,
    /// Bytes of loaded bundles (their manifests) and linked components (their compiled code)
    /// kept in memory, least recently used first out.
    pub memory_cache_bytes: u64,
    /// Instances that may be live at once (pool size).
    pub max_instances: u32,
    /// How the pool is shared among organizations and installations (`None`: a quarter of the
    /// pool per organization, an eighth per installation, see [`Shares::for_pool`]).
    pub shares: Option<Shares>,
    /// Pre-allocate instance slots (pooling allocator); off allocates on demand.
    pub pooling: bool,
    /// Instances kept warm after a clean call, for the next call with the same bundle,
    /// credentials, config and tenant (see the `warm` module); 0 instantiates every call
    /// afresh. The pool has this many slots besides [`RuntimeConfig::max_instances`].
    pub warm_instances: u32,
    /// Where OAuth 2.0 token state is kept (default: in memory).
    pub token_store: Arc<dyn TokenStore>,
    /// Wait after a failed token request before the next one.
    pub token_cooldown: Duration,
    /// Which addresses components and token requests may reach (default: public ones only).
    pub egress: EgressPolicy,
}

impl std::fmt::Debug for RuntimeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuntimeConfig")
            .field("cache", &self.cache)
            .field("max_instances", &self.max_instances)
            .field("pooling", &self.pooling)
            .field("warm_instances", &self.warm_instances)
            .field("token_cooldown", &self.token_cooldown)
            .field("egress", &self.egress)
            .finish_non_exhaustive()
    }
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            cache: None,
            memory_cache_bytes: DEFAULT_MEMORY_CACHE_BYTES,
            max_instances: 256,
            shares: None,
            pooling: true,
            warm_instances: 64,
            token_store: Arc::new(MemoryStore::new()),
            token_cooldown: DEFAULT_COOLDOWN,
            egress: EgressPolicy::public_only(),
        }
    }
}

/// Per-call options: the installation's credentials and config, and the limits.
#[derive(Debug, Clone, Default)]
pub struct InvokeOptions {
    /// Credentials applied by the host.
    pub credentials: Credentials,
    /// Values for the config names the manifest declares.
    pub config: BTreeMap<String, String>,
    /// Limits for this call.
    pub limits: Limits,
    /// Which OAuth 2.0 credential this is (tokens are cached and stored per key); `None`
    /// derives it from the token URL, client id and scope. Also keys the rate budget.
    pub credential_key: Option<String>,
    /// Retries of failed idempotent requests.
    pub retry: RetryPolicy,
    /// A rate budget for this credential (shared by all its calls); `None`: only what the
    /// API's rate-limit headers say.
    pub rate_limit: Option<RateLimit>,
    /// Who the call runs for (its share of the pool); `None` for a host with one user.
    pub tenant: Option<Tenant>,
    /// The configuration's overrides of the integration's auth settings (checked with
    /// [`crate::AuthOverrides::check`] when they were set).
    pub auth_overrides: crate::AuthOverrides,
}

/// A loaded bundle: its manifest read from its section, compiled, linked.
pub struct Bundle {
    /// BLAKE3 hash (hex) of the component's code: every top-level section but the custom ones
    /// ([`plugboard_bundle::Layout::code`]).
    pub code_hash: String,
    /// What the component may do: its manifest section, read in place.
    pub manifest: Arc<ManifestSection>,
    header: Arc<Header>,
    digest: std::sync::OnceLock<String>,
    pre: IntegrationPre<State>,
    /// Unique to this load (keys warm instances).
    number: u64,
    policy: Arc<HostPolicy>,
    body_checks: crate::body_check::BodyChecks,
}

impl Bundle {
    /// The manifest's header: identity, hosts, auth, config and secrets.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The digest of the manifest section ([`plugboard_bundle::manifest_digest`]), computed
    /// once.
    pub fn manifest_digest(&self) -> &str {
        self.digest
            .get_or_init(|| plugboard_bundle::manifest_digest(&self.manifest))
    }
}

impl std::fmt::Debug for Bundle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bundle")
            .field("code_hash", &self.code_hash)
            .field("name", &self.header.name)
            .finish_non_exhaustive()
    }
}

/// The host runtime. Cheap to share behind an `Arc`; all methods take `&self`.
pub struct Runtime {
    pub(crate) engine: Engine,
    pub(crate) linker: Linker<State>,
    client: EgressClient,
    pub(crate) cache: Option<CompileCache>,
    /// Bundles by the key they were loaded under, and linked components by code hash: loading
    /// the same code again (with any manifest) neither compiles nor links it again.
    loaded: Mutex<Loaded>,
    ticker_stop: Arc<AtomicBool>,
    tokens: Arc<TokenManager>,
    budgets: RateBudgets,
    slots: Slots,
    warm: crate::warm::WarmInstances,
}

impl Runtime {
    /// Sets up the engine, the linker and the HTTP client.
    pub fn new(config: RuntimeConfig) -> Result<Runtime> {
        crate::install_crypto_provider();
        let setup = |e: wasmtime::Error| Error::Setup(format!("{e:#}"));
        let mut wasm = Config::new();
        wasm.wasm_component_model(true).epoch_interruption(true);
        // For profiling: `perf` then names the guest's functions (from a perf map in /tmp).
        if std::env::var_os("PLUGBOARD_PERFMAP").is_some() {
            wasm.profiler(wasmtime::ProfilingStrategy::PerfMap);
        }
        if config.pooling {
            let mut pool = PoolingAllocationConfig::default();
            // Warm instances hold their slots between calls: the pool has room for them
            // besides the calls that may run at once.
            let slots = config.max_instances + config.warm_instances;
            pool.total_component_instances(slots)
                .total_core_instances(slots * 4)
                .total_memories(slots * 2)
                .total_tables(slots * 4)
                .total_stacks(slots)
                .max_memory_size(POOL_MAX_MEMORY)
                // Reusing a warm fiber stack instead of faulting fresh pages in on every call.
                .async_stack_keep_resident(STACK_KEEP_RESIDENT)
                .linear_memory_keep_resident(MEMORY_KEEP_RESIDENT)
                .table_keep_resident(64 << 10);
            wasm.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        }
        let engine = Engine::new(&wasm).map_err(setup)?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(setup)?;
        Integration::add_to_linker::<State, HasSelf<State>>(&mut linker, |state| state)
            .map_err(setup)?;
        let client = EgressClient::new(config.egress, |builder| {
            builder
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(crate::outbound::USER_AGENT)
        })
        .map_err(|e| Error::Setup(format!("HTTP client: {e}")))?;
        let ticker_stop = Arc::new(AtomicBool::new(false));
        spawn_epoch_ticker(engine.clone(), ticker_stop.clone());
        let tokens = Arc::new(
            TokenManager::new(client.clone(), config.token_store)
                .with_cooldown(config.token_cooldown),
        );
        let shares = config
            .shares
            .unwrap_or_else(|| Shares::for_pool(config.max_instances));
        Ok(Runtime {
            slots: Slots::new(config.max_instances, shares),
            warm: crate::warm::WarmInstances::new(config.warm_instances as usize),
            budgets: RateBudgets::default(),
            tokens,
            engine,
            linker,
            client,
            cache: config.cache,
            loaded: Mutex::new(Loaded::new(config.memory_cache_bytes)),
            ticker_stop,
        })
    }

    /// Loads a bundle file (see [`Runtime::load`]). The file is mapped, not read: only the
    /// pages that loading touches (the code, the manifest's header and index) are brought in,
    /// and the bundle keeps the mapping. Replace bundle files by renaming a new file into place
    /// (as `plugboard build` does), never by writing into one that a process has loaded.
    pub async fn load_file(&self, path: &Path) -> Result<Arc<Bundle>> {
        let io = |source| Error::Io {
            path: path.display().to_string(),
            source,
        };
        let file = std::fs::File::open(path).map_err(io)?;
        // SAFETY: a private, read-only mapping; see above on files changed in place.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io)?;
        self.load_shared(Arc::new(map)).await
    }

    /// Loads a component: reads its manifest section (without running any of its code: what
    /// the section says is what the host enforces), then compiles its code (or uses the cached
    /// artifact) and links it. The manifest section is copied out of `bytes`.
    pub async fn load(&self, bytes: &[u8]) -> Result<Arc<Bundle>> {
        self.load_with(bytes, |range| ManifestSection::parse(bytes[range].to_vec()))
    }

    /// [`Runtime::load`] of bytes the bundle may keep: its manifest section stays where it is,
    /// without a copy (the bundle holds `bytes` for as long as it lives).
    pub async fn load_shared(&self, bytes: SharedBytes) -> Result<Arc<Bundle>> {
        let shared = bytes.clone();
        self.load_with((*bytes).as_ref(), |range| {
            ManifestSection::parse_in(shared, range)
        })
    }

    /// The bundle loaded under `key` by [`Runtime::load_as`], while the cache keeps it.
    pub fn cached(&self, key: &str) -> Option<Arc<Bundle>> {
        let found = self.loaded().bundle(key);
        let result = if found.is_some() { "hit" } else { "miss" };
        metrics::counter!("plugboard_bundle_cache_total", "result" => result).increment(1);
        found
    }

    /// [`Runtime::load`], keeping the bundle in the cache under `key` (such as the hash of
    /// `bytes`), where [`Runtime::cached`] finds it until it is the least recently used of
    /// what exceeds [`RuntimeConfig::memory_cache_bytes`].
    pub async fn load_as(&self, key: &str, bytes: &[u8]) -> Result<Arc<Bundle>> {
        let bundle = self.load(bytes).await?;
        self.loaded().insert_bundle(key, bundle.clone());
        metrics::gauge!("plugboard_bundle_cache_bytes").set(self.cache_usage().bytes as f64);
        Ok(bundle)
    }

    /// What the in-memory cache holds.
    pub fn cache_usage(&self) -> CacheUsage {
        self.loaded().usage()
    }

    fn loaded(&self) -> std::sync::MutexGuard<'_, Loaded> {
        self.loaded.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn load_with(
        &self,
        bytes: &[u8],
        section: impl FnOnce(
            std::ops::Range<usize>,
        ) -> Result<ManifestSection, plugboard_manifest::Error>,
    ) -> Result<Arc<Bundle>> {
        let layout = plugboard_bundle::layout(bytes)?;
        let manifest = section(layout.manifest()?)
            .map_err(|e| Error::Bundle(plugboard_bundle::Error::Manifest(e)))?;
        let code_hash = cache::code_hash(&layout, bytes);
        let cached = self.loaded().code(&code_hash);
        let pre = match cached {
            Some(pre) => pre,
            None => {
                let component =
                    cache::load_component(&self.engine, bytes, &code_hash, self.cache.as_ref())?;
                let pre = self.link(&component)?;
                let image = component.image_range();
                let code_bytes = (image.end as usize).saturating_sub(image.start as usize);
                self.loaded()
                    .insert_code(&code_hash, pre, code_bytes as u64)
            }
        };
        let header = Arc::new(manifest.header().clone());
        Ok(Arc::new(Bundle {
            code_hash,
            policy: Arc::new(HostPolicy::new(&header)),
            manifest: Arc::new(manifest),
            header,
            digest: std::sync::OnceLock::new(),
            pre,
            number: crate::warm::next_bundle_number(),
            body_checks: crate::body_check::BodyChecks::default(),
        }))
    }

    fn link(&self, component: &wasmtime::component::Component) -> Result<IntegrationPre<State>> {
        let instance_pre = self
            .linker
            .instantiate_pre(component)
            .map_err(|e| Error::Incompatible(format!("{e:#}")))?;
        IntegrationPre::new(instance_pre).map_err(|e| Error::Incompatible(format!("{e:#}")))
    }

    /// Runs one action with a JSON input; returns the component's JSON output. Whatever comes
    /// back (output, error messages, upstream excerpts) has the call's credential values
    /// replaced.
    pub async fn invoke(
        &self,
        bundle: &Bundle,
        action_id: &str,
        input: &str,
        options: &InvokeOptions,
    ) -> Result<serde_json::Value> {
        self.invoke_tapped(bundle, action_id, input, options, crate::Tap::Live)
            .await
            .0
    }

    /// [`Runtime::invoke_tapped_raw`] with the output parsed (one parse, as strict as the raw
    /// path's check, and no other pass over the text).
    pub async fn invoke_tapped(
        &self,
        bundle: &Bundle,
        action_id: &str,
        input: &str,
        options: &InvokeOptions,
        tap: crate::Tap,
    ) -> (Result<serde_json::Value>, Vec<crate::Exchange>) {
        let (result, scrubber, exchanges) = self
            .invoke_text(bundle, action_id, input, options, tap)
            .await;
        let result = result.and_then(|output| scrubber.parsed(&output));
        (result, exchanges)
    }

    /// [`Runtime::invoke`] with its outbound requests handled by `tap`: kept, shown without
    /// being sent, or answered from a recording. Returns the call's result and the exchanges
    /// kept (credentials redacted), even when the call failed. A call that sends nothing (a
    /// dry run, a replay) needs no credentials: placeholders stand in for missing ones (applied,
    /// then redacted, like real ones).
    ///
    /// The output is the component's JSON text, checked as strictly as a parse would and
    /// scrubbed, but not parsed: a server hands it on as it is.
    pub async fn invoke_tapped_raw(
        &self,
        bundle: &Bundle,
        action_id: &str,
        input: &str,
        options: &InvokeOptions,
        tap: crate::Tap,
    ) -> (Result<Box<RawValue>>, Vec<crate::Exchange>) {
        let (result, scrubber, exchanges) = self
            .invoke_text(bundle, action_id, input, options, tap)
            .await;
        let result = result.and_then(|output| {
            plugboard_manifest::json::check(output.as_bytes())
                .map_err(|e| Error::BadOutput(e.to_string()))?;
            let text = scrubber.json_text(output)?;
            RawValue::from_string(text).map_err(|e| Error::BadOutput(e.to_string()))
        });
        (result, exchanges)
    }

    /// The call behind both: the component's output text (its size checked, not its JSON),
    /// or the error with credentials scrubbed; the scrubber for the output; the exchanges.
    async fn invoke_text(
        &self,
        bundle: &Bundle,
        action_id: &str,
        input: &str,
        options: &InvokeOptions,
        tap: crate::Tap,
    ) -> (Result<String>, Scrubber, Vec<crate::Exchange>) {
        let offline;
        let options = if tap.sends() {
            options
        } else {
            let mut filled = options.clone();
            for name in missing_credentials(&bundle.header.auth, &options.credentials) {
                filled
                    .credentials
                    .insert(name, format!("placeholder-{name}"));
            }
            offline = filled;
            &offline
        };
        let mut tokens = Vec::new();
        let mut exchanges = Vec::new();
        let result = match self.slots.acquire(options.tenant.as_ref()).await {
            Ok(_slot) => {
                self.call(
                    bundle,
                    action_id,
                    input,
                    options,
                    (Arc::new(tap), &mut tokens, &mut exchanges),
                )
                .await
            }
            Err(error) => Err(error),
        };
        let scrubber = Scrubber::new(&options.credentials, &tokens);
        let result = result.map_err(|error| scrubber.error(error));
        (result, scrubber, exchanges)
    }

    /// The requests a call would send first (credentials redacted), without sending them or
    /// fetching a token; the call's error when it fails before its first request.
    pub async fn dry_run(
        &self,
        bundle: &Bundle,
        action_id: &str,
        input: &str,
        options: &InvokeOptions,
    ) -> Result<Vec<crate::SentRequest>> {
        let (result, exchanges) = self
            .invoke_tapped(bundle, action_id, input, options, crate::Tap::DryRun)
            .await;
        if exchanges.is_empty() {
            result?;
        }
        Ok(exchanges.into_iter().map(|e| e.request).collect())
    }

    async fn call(
        &self,
        bundle: &Bundle,
        action_id: &str,
        input: &str,
        options: &InvokeOptions,
        (tap, tokens, exchanges): (
            Arc<crate::Tap>,
            &mut Vec<Arc<str>>,
            &mut Vec<crate::Exchange>,
        ),
    ) -> Result<String> {
        let header = &bundle.header;
        if !bundle.manifest.contains(action_id) {
            return Err(Error::UnknownAction {
                id: action_id.to_string(),
                available: bundle.manifest.len(),
            });
        }
        bundle
            .body_checks
            .check(&bundle.manifest, action_id, input)
            .map_err(|p| Error::InvalidBody {
                field: p.field,
                message: p.message,
            })?;
        // An action marked anonymous sends no credentials, so it needs none.
        let anonymous = header.anonymous_actions.iter().any(|id| id == action_id);
        let missing = missing_credentials(&header.auth, &options.credentials);
        if !missing.is_empty() && !anonymous {
            return Err(Error::MissingCredentials {
                auth: header.auth.label(),
                names: missing,
            });
        }
        let overridden = (!options.auth_overrides.is_empty())
            .then(|| options.auth_overrides.effective(&header.auth));
        let auth = overridden.as_ref().unwrap_or(&header.auth);
        let oauth = match auth {
            Auth::OAuth2(config) if !anonymous => Some(Arc::new(
                OAuthCall::new(&self.tokens, config.clone(), options).await?,
            )),
            Auth::OAuth2(_) | Auth::None | Auth::ApiKey(_) | Auth::Basic => None,
        };
        let limits = &options.limits;
        let credentials = Arc::new(options.credentials.clone());
        let deadline = Instant::now() + limits.timeout;
        let budget_key = options.credential_key.clone().unwrap_or_else(|| {
            let mut hash = blake3::Hasher::new();
            hash.update(bundle.code_hash.as_bytes());
            for name in options.credentials.names() {
                hash.update(&[0]);
                hash.update(name.as_bytes());
                hash.update(&[0]);
                hash.update(options.credentials.get(name).unwrap_or("").as_bytes());
            }
            hash.finalize().to_hex().to_string()
        });
        // A hostname template is resolved with this installation's config: the primary host
        // (the one that gets credentials) is the resolved one.
        let policy = if header.hostname.contains('{') {
            let resolved =
                plugboard_manifest::rules::resolve_host_template(&header.hostname, |name| {
                    options.config.get(name).cloned().or_else(|| {
                        header
                            .config
                            .iter()
                            .find(|c| c.name == name)
                            .and_then(|c| c.default_value.clone())
                    })
                })
                .map_err(Error::Hostname)?;
            let mut resolved_header = (**header).clone();
            resolved_header.hostname = resolved;
            Arc::new(HostPolicy::new(&resolved_header))
        } else {
            bundle.policy.clone()
        };
        let policy = match &overridden {
            Some(auth) => Arc::new(policy.with_auth(auth.clone())),
            None => policy,
        };
        let outbound = Outbound {
            retry: options.retry,
            budget: self.budgets.budget(&budget_key, options.rate_limit),
            client: self.client.clone(),
            policy,
            credentials: credentials.clone(),
            oauth,
            deadline,
            response_bytes: limits.response_bytes,
            max_requests: limits.max_requests,
            sent: 0,
            consent_needed: None,
            tokens: Vec::new(),
            anonymous,
            extra_headers: options.auth_overrides.headers(),
            tap,
            exchanges: Vec::new(),
        };
        let state = State::new(
            CallLimiter::new(limits.memory_bytes),
            Some(outbound),
            Some(header.clone()),
            Arc::new(options.config.clone()),
            credentials,
        );
        let warm_key = crate::warm::key(
            bundle.number,
            &budget_key,
            options.tenant.as_ref(),
            &options.config,
        );
        let (result, outbound) = self
            .run_warm(bundle, warm_key, state, limits, action_id, input)
            .await?;
        let (consent_needed, used) = outbound
            .map(|o| {
                metrics::histogram!("plugboard_upstream_requests_per_call")
                    .record(f64::from(o.sent));
                *exchanges = o.exchanges;
                (o.consent_needed, o.tokens)
            })
            .unwrap_or_default();
        *tokens = used;
        let output = result.map_err(|e| match (Failure::from(e), consent_needed) {
            (_, Some(message)) => Error::NeedsConsent(message),
            // A host call that found the deadline already passed: the call's time limit.
            (Failure::LimitExceeded { .. }, None) if Instant::now() >= deadline => {
                Error::Timeout(limits.timeout)
            }
            (failure, None) => Error::Guest(failure),
        })?;
        if output.len() > limits.response_bytes {
            return Err(Error::BadOutput(format!(
                "the output is {} bytes, more than the {} byte limit",
                output.len(),
                limits.response_bytes
            )));
        }
        Ok(output)
    }

    /// The token manager (for logins, status and tests).
    pub fn tokens(&self) -> &Arc<TokenManager> {
        &self.tokens
    }

    /// Runs an action in a warm instance kept under `key`, or in a new one, under `limits`;
    /// keeps the instance warm afterwards when the call ended cleanly (see the `warm` module).
    /// Returns the component's answer and the call's outbound state.
    async fn run_warm(
        &self,
        bundle: &Bundle,
        key: crate::warm::WarmKey,
        state: State,
        limits: &Limits,
        action_id: &str,
        input: &str,
    ) -> Result<(
        std::result::Result<String, crate::bindings::GuestError>,
        Option<Outbound>,
    )> {
        let warm = self
            .warm
            .take(&key)
            .filter(|warm| warm.store.data().limiter.in_use() <= limits.memory_bytes);
        let (mut store, instance, calls) = match warm {
            Some(warm) => {
                let mut store = warm.store;
                let mut previous = std::mem::replace(store.data_mut(), state);
                store.data_mut().limiter.carry_over(&previous.limiter);
                store.data_mut().keep_sandbox_of(&mut previous);
                drop(previous);
                (store, Some(warm.instance), warm.calls)
            }
            None => (self.new_store(state), None, 0),
        };
        let pre = &bundle.pre;
        let (instance, answer) = run_in(&mut store, limits, async |store| {
            let instance = match instance {
                Some(instance) => instance,
                None => pre.instantiate_async(&mut *store).await?,
            };
            let answer = instance.call_invoke(&mut *store, action_id, input).await?;
            wasmtime::Result::Ok((instance, answer))
        })
        .await?;
        let outbound = store.data_mut().outbound.take();
        let state = store.data();
        let keep = calls + 1 < crate::warm::MAX_CALLS
            && !state.has_open_resources()
            && state.limiter.memory_refused.is_none()
            && state.limiter.in_use() <= crate::warm::MAX_KEPT_MEMORY;
        if keep {
            self.warm.put(
                key,
                crate::warm::Warm {
                    store,
                    instance,
                    calls: calls + 1,
                },
            );
        }
        Ok((answer, outbound))
    }

    /// Instances kept warm now.
    pub fn warm_instances(&self) -> usize {
        self.warm.len()
    }

    /// Drops every warm instance (their pool slots are freed).
    pub fn drop_warm_instances(&self) {
        self.warm.clear();
    }

    /// Runs `call` in a fresh store under `limits`, and turns traps into precise errors; the
    /// store's state comes back with the result.
    pub(crate) async fn run<T>(
        &self,
        state: State,
        limits: &Limits,
        call: impl AsyncFnOnce(&mut Store<State>) -> wasmtime::Result<T>,
    ) -> Result<(T, State)> {
        let mut store = self.new_store(state);
        let value = run_in(&mut store, limits, call).await?;
        Ok((value, store.into_data()))
    }

    /// A store for one call's `state`, its memory held to the state's limiter.
    fn new_store(&self, state: State) -> Store<State> {
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| &mut state.limiter);
        store
    }
}

/// A call's output (the checked text [`Runtime::invoke_tapped_raw`] returns) as a value.
pub fn parse_output(output: &RawValue) -> Result<serde_json::Value> {
    parse_text(output.get())
}

/// A component's output text as a value; a parse refuses all that the strict check refuses.
pub(crate) fn parse_text(output: &str) -> Result<serde_json::Value> {
    serde_json::from_str(output).map_err(|e| Error::BadOutput(e.to_string()))
}

/// Runs `call` in `store` under `limits` (its deadline, its wall-time limit), and turns traps
/// into precise errors.
async fn run_in<T>(
    store: &mut Store<State>,
    limits: &Limits,
    call: impl AsyncFnOnce(&mut Store<State>) -> wasmtime::Result<T>,
) -> Result<T> {
    set_deadline(store, limits);
    let outcome = tokio::time::timeout(limits.timeout, call(&mut *store)).await;
    match outcome {
        Err(_elapsed) => Err(Error::Timeout(limits.timeout)),
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(classify_trap(&error, store.data(), limits)),
    }
}

/// An instantiated component kept idle in its own store (for pre-warming, and for measuring
/// the memory an instance costs). Dropping it frees the instance slot.
pub struct HeldInstance {
    _store: Store<State>,
}

impl Runtime {
    /// Instantiates `bundle` and keeps the instance alive. With `warm_up` (an action id and
    /// input), the action is called once first (its result is ignored; outbound requests are
    /// refused), so the instance holds the memory a used instance holds.
    pub async fn hold_instance(
        &self,
        bundle: &Bundle,
        warm_up: Option<(&str, &str)>,
    ) -> Result<HeldInstance> {
        let state = State::new(
            CallLimiter::new(Limits::default().memory_bytes),
            None,
            Some(bundle.header.clone()),
            Arc::default(),
            Arc::default(),
        );
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| &mut state.limiter);
        store.set_epoch_deadline(NO_DEADLINE_TICKS);
        let trap = |e: wasmtime::Error, store: &Store<State>| Error::Trap {
            message: format!("{e:#}"),
            stderr: store.data().stderr_text(),
        };
        let integration = match bundle.pre.instantiate_async(&mut store).await {
            Ok(integration) => integration,
            Err(e) => return Err(trap(e, &store)),
        };
        if let Some((action, input)) = warm_up
            && let Err(e) = integration.call_invoke(&mut store, action, input).await
        {
            return Err(trap(e, &store));
        }
        Ok(HeldInstance { _store: store })
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.ticker_stop.store(true, Ordering::Relaxed);
    }
}

/// The call's wall-time limit as an epoch deadline (trapping when reached).
fn set_deadline(store: &mut Store<State>, limits: &Limits) {
    let ticks = limits.timeout.as_millis() / EPOCH_TICK.as_millis() + 1;
    store.set_epoch_deadline(
        u64::try_from(ticks)
            .unwrap_or(NO_DEADLINE_TICKS)
            .min(NO_DEADLINE_TICKS),
    );
    store.epoch_deadline_trap();
}

fn spawn_epoch_ticker(engine: Engine, stop: Arc<AtomicBool>) {
    std::thread::Builder::new()
        .name("plugboard-epoch".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(EPOCH_TICK);
                engine.increment_epoch();
            }
        })
        .ok();
}

fn classify_trap(error: &wasmtime::Error, state: &State, limits: &Limits) -> Error {
    if let Some(requested) = state.limiter.memory_refused {
        return Error::MemoryLimit {
            limit: limits.memory_bytes,
            requested,
        };
    }
    if error.downcast_ref::<Trap>() == Some(&Trap::Interrupt) {
        return Error::Timeout(limits.timeout);
    }
    Error::Trap {
        message: format!("{error:#}"),
        stderr: state.stderr_text(),
    }
}
