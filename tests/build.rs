//! Builds the hostile test component from source and exposes its path to the tests as
//! `PLUGBOARD_HOSTILE_WASM`.

fn main() {
    match plugboard_guest_build::build(
        "plugboard-hostile",
        &["tests/components", "guest-sdk/src", "wit"],
    ) {
        Ok(path) => println!("cargo:rustc-env=PLUGBOARD_HOSTILE_WASM={}", path.display()),
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(1);
        }
    }
}
