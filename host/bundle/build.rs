//! Builds the declarative engine component from source (`guest-sdk/engine`) and points
//! `PLUGBOARD_ENGINE_WASM` at it, so the bundler embeds the engine it was built with.

fn main() {
    if std::env::var_os("CARGO_FEATURE_FINALIZE").is_none() {
        return;
    }
    match plugboard_guest_build::build("plugboard-engine", &["guest-sdk", "wit"]) {
        Ok(path) => println!("cargo:rustc-env=PLUGBOARD_ENGINE_WASM={}", path.display()),
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(1);
        }
    }
}
