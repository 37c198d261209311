//! The host side of the WIT imports: per-call state and the `http`, `config`, `secrets` and
//! `logging` interfaces.

use std::collections::BTreeMap;
use std::sync::Arc;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use plugboard_manifest::{AuthCredential, Header};

use crate::bindings::GuestError;
use crate::bindings::plugboard::integration::{config, http, logging, secrets, types};
use crate::limits::CallLimiter;
use crate::outbound::{Credentials, Outbound};

/// Bytes of stderr kept per call (shown when a component traps).
pub(crate) const STDERR_BYTES: usize = 16 * 1024;
/// Log messages kept per call; later ones are counted and dropped.
const MAX_LOG_MESSAGES: usize = 200;
/// Longest log message kept.
const MAX_LOG_MESSAGE_BYTES: usize = 4096;

/// Everything one call's store holds. A store lives for one call (or, warm, for the calls of
/// one credential, with a new state each call).
pub(crate) struct State {
    /// The WASI context, made when the component first uses WASI: most calls of a warm
    /// instance never do, and making one is work (and memory touched) on every call.
    sandbox: Option<Sandbox>,
    table: ResourceTable,
    pub(crate) limiter: CallLimiter,
    /// `None` while a component describes itself: no outbound requests then.
    pub(crate) outbound: Option<Outbound>,
    /// The component's manifest header (`None` while it describes itself): declares config
    /// and secrets.
    header: Option<Arc<Header>>,
    config: Arc<BTreeMap<String, String>>,
    credentials: Arc<Credentials>,
    /// Messages logged by the component.
    pub(crate) logs: Vec<(String, String)>,
    pub(crate) logs_dropped: usize,
}

impl State {
    pub(crate) fn new(
        limiter: CallLimiter,
        outbound: Option<Outbound>,
        header: Option<Arc<Header>>,
        config: Arc<BTreeMap<String, String>>,
        credentials: Arc<Credentials>,
    ) -> State {
        State {
            sandbox: None,
            table: ResourceTable::new(),
            limiter,
            outbound,
            header,
            config,
            credentials,
            logs: Vec::new(),
            logs_dropped: 0,
        }
    }

    /// The state of a component describing itself (`plugboard build`): no outbound requests,
    /// no config or secrets, a clock fixed at the Unix epoch and fixed "random" bytes, so the
    /// description can depend on nothing but the code.
    pub(crate) fn describing(limiter: CallLimiter) -> State {
        let stderr = MemoryOutputPipe::new(STDERR_BYTES);
        let mut wasi = sandbox(&stderr);
        wasi.wall_clock(FixedClock)
            .monotonic_clock(FixedClock)
            .secure_random(wasmtime_wasi::Deterministic::new(vec![0x5a]))
            .insecure_random(wasmtime_wasi::Deterministic::new(vec![0xa5]))
            .insecure_random_seed(0);
        State {
            sandbox: Some(Sandbox {
                wasi: wasi.build(),
                stderr,
            }),
            table: ResourceTable::new(),
            limiter,
            outbound: None,
            header: None,
            config: Arc::default(),
            credentials: Arc::default(),
            logs: Vec::new(),
            logs_dropped: 0,
        }
    }

    /// Whether a WASI resource (a stream, say) is still open: a warm instance must not hold
    /// one into the next call, whose state is new.
    pub(crate) fn has_open_resources(&self) -> bool {
        !self.table.is_empty()
    }

    /// What the component wrote to stderr (a panic message, say), lossily decoded.
    pub(crate) fn stderr_text(&self) -> String {
        self.sandbox.as_ref().map_or_else(String::new, |sandbox| {
            String::from_utf8_lossy(&sandbox.stderr.contents())
                .trim()
                .to_string()
        })
    }

    /// Takes over the WASI context of the warm instance's previous call, if that call left it
    /// as new: nothing written to stderr (whose text belongs to one call) and no resource open.
    /// The context has no state of its own beyond those (no files, environment or sockets).
    pub(crate) fn keep_sandbox_of(&mut self, previous: &mut State) {
        if self.sandbox.is_none()
            && previous.table.is_empty()
            && previous
                .sandbox
                .as_ref()
                .is_some_and(|sandbox| sandbox.stderr.contents().is_empty())
        {
            self.sandbox = previous.sandbox.take();
        }
    }
}

/// A call's WASI context and the pipe that collects its stderr.
struct Sandbox {
    wasi: WasiCtx,
    stderr: MemoryOutputPipe,
}

impl Sandbox {
    fn new() -> Sandbox {
        let stderr = MemoryOutputPipe::new(STDERR_BYTES);
        Sandbox {
            wasi: sandbox(&stderr).build(),
            stderr,
        }
    }
}

/// No preopened files, no environment, no arguments, no sockets: a component reaches the outside
/// world only through the `http` import.
fn sandbox(stderr: &MemoryOutputPipe) -> wasmtime_wasi::WasiCtxBuilder {
    let mut builder = WasiCtx::builder();
    builder
        .stderr(stderr.clone())
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false);
    builder
}

/// A clock that always reads the Unix epoch (wall) or zero (monotonic).
struct FixedClock;

impl wasmtime_wasi::HostWallClock for FixedClock {
    fn resolution(&self) -> std::time::Duration {
        std::time::Duration::from_secs(1)
    }

    fn now(&self) -> std::time::Duration {
        std::time::Duration::ZERO
    }
}

impl wasmtime_wasi::HostMonotonicClock for FixedClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }

    fn now(&self) -> u64 {
        0
    }
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.sandbox.get_or_insert_with(Sandbox::new).wasi,
            table: &mut self.table,
        }
    }
}

impl types::Host for State {}

impl http::Host for State {
    async fn send(
        &mut self,
        request: http::Request,
    ) -> wasmtime::Result<Result<http::Response, GuestError>> {
        let Some(outbound) = self.outbound.as_mut() else {
            return Ok(Err(GuestError::Denied(
                "outbound requests are not allowed while a component describes itself".into(),
            )));
        };
        Ok(outbound.send(request).await.map_err(GuestError::from))
    }
}

impl config::Host for State {
    async fn get(&mut self, name: String) -> wasmtime::Result<Result<Option<String>, GuestError>> {
        let declared = self
            .header
            .as_ref()
            .and_then(|h| h.config.iter().find(|c| c.name == name));
        Ok(match declared {
            None => Err(GuestError::Denied(format!(
                "config `{name}` is not declared in the manifest"
            ))),
            Some(declaration) => Ok(self
                .config
                .get(&name)
                .cloned()
                .or_else(|| declaration.default_value.clone())),
        })
    }
}

impl secrets::Host for State {
    async fn get(&mut self, name: String) -> wasmtime::Result<Result<Option<String>, GuestError>> {
        let declared = self
            .header
            .as_ref()
            .is_some_and(|h| h.secrets.contains(&name));
        // The manifest check refuses such declarations; this holds even if one slipped through.
        if AuthCredential::is_auth_credential(&name) {
            return Ok(Err(GuestError::Denied(format!(
                "`{name}` is an auth credential: the host applies it, components never read it"
            ))));
        }
        Ok(if declared {
            Ok(self.credentials.get(&name).map(str::to_string))
        } else {
            Err(GuestError::Denied(format!(
                "secret `{name}` is not declared in the manifest"
            )))
        })
    }
}

impl logging::Host for State {
    async fn log(&mut self, level: logging::Level, message: String) -> wasmtime::Result<()> {
        if self.logs.len() >= MAX_LOG_MESSAGES {
            self.logs_dropped += 1;
            return Ok(());
        }
        let mut message = message;
        if message.len() > MAX_LOG_MESSAGE_BYTES {
            let mut end = MAX_LOG_MESSAGE_BYTES;
            while !message.is_char_boundary(end) {
                end -= 1;
            }
            message.truncate(end);
        }
        let level = match level {
            logging::Level::Trace => "trace",
            logging::Level::Debug => "debug",
            logging::Level::Info => "info",
            logging::Level::Warn => "warn",
            logging::Level::Error => "error",
        };
        tracing::debug!(target: "plugboard::guest", level, "{message}");
        self.logs.push((level.to_string(), message));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmtime_wasi::p2::OutputStream;

    fn state() -> State {
        State::new(
            CallLimiter::new(1 << 20),
            None,
            None,
            Arc::default(),
            Arc::default(),
        )
    }

    #[test]
    fn a_wasi_context_is_made_on_first_use_and_handed_over_only_as_new() {
        let mut first = state();
        assert!(first.sandbox.is_none(), "made only when WASI is used");
        let _ = first.ctx();
        assert!(first.sandbox.is_some());
        // Unused since: the next call takes it over.
        let mut second = state();
        second.keep_sandbox_of(&mut first);
        assert!(second.sandbox.is_some() && first.sandbox.is_none());
        // Written to stderr: its text belongs to that call, so the next one starts anew.
        let mut pipe = second.sandbox.as_ref().map(|s| s.stderr.clone()).unwrap();
        pipe.write(bytes::Bytes::from_static(b"an earlier call's message"))
            .unwrap();
        assert!(second.stderr_text().contains("earlier"));
        let mut third = state();
        third.keep_sandbox_of(&mut second);
        assert!(third.sandbox.is_none());
        assert_eq!(third.stderr_text(), "");
    }
}
