//! The build step of custom-code components: ask a component for its manifest, once, so that
//! `plugboard build` can record it as static data before the bundle is signed. Hosts never do
//! this when they load a bundle.

use plugboard_manifest::{Failure, Manifest};

use crate::bindings::GuestError;
use crate::host::State;
use crate::limits::CallLimiter;
use crate::{Error, Limits, Result, Runtime, cache};

/// The export a custom-code component describes itself with.
const DESCRIBE: &str = "describe";

impl Runtime {
    /// Calls the component's `describe` export under the default time limit, with a clock fixed at
    /// the Unix epoch, fixed "random" bytes, no outbound requests and no config or secrets: the
    /// description can depend on nothing but the code. The answer is parsed and checked by the
    /// host's rules.
    pub async fn describe(&self, bytes: &[u8]) -> Result<Manifest> {
        let hash = cache::code_hash(&plugboard_bundle::layout(bytes)?, bytes);
        let component = cache::load_component(&self.engine, bytes, &hash, self.cache.as_ref())?;
        if component.get_export_index(None, DESCRIBE).is_none() {
            return Err(Error::Describe(format!(
                "it exports no `{DESCRIBE}`: custom code describes itself with the guest SDK's \
                 `integration!`; a declarative integration is built from its definition"
            )));
        }
        let pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(|e| Error::Incompatible(format!("{e:#}")))?;
        // The component's initial memory is the operator's concern at call time (the call's
        // memory limit); describing it may use what the pool allows.
        let limits = Limits {
            memory_bytes: crate::runtime::POOL_MAX_MEMORY,
            ..Limits::default()
        };
        let state = State::describing(CallLimiter::new(limits.memory_bytes));
        let (answer, _) = self
            .run(state, &limits, async |store| {
                let instance = pre.instantiate_async(&mut *store).await?;
                let describe = instance
                    .get_typed_func::<(), (Result<String, GuestError>,)>(&mut *store, DESCRIBE)?;
                let (answer,) = describe.call_async(&mut *store, ()).await?;
                Ok(answer)
            })
            .await?;
        let json = answer.map_err(|e| Error::Describe(Failure::from(e).to_string()))?;
        Manifest::from_json(&json).map_err(|e| Error::Describe(e.to_string()))
    }
}
