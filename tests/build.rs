//! Builds the hostile test components and the custom-code example from source and exposes their
//! paths to the tests as `PLUGBOARD_HOSTILE_WASM`, `PLUGBOARD_BLOATED_WASM` and
//! `PLUGBOARD_EXAMPLE_CUSTOM_WASM`.

fn main() {
    for (package, variable, watch) in [
        (
            "plugboard-hostile",
            "PLUGBOARD_HOSTILE_WASM",
            ["tests/components", "guest-sdk/src", "wit"],
        ),
        (
            "plugboard-bloated",
            "PLUGBOARD_BLOATED_WASM",
            ["tests/components", "guest-sdk/src", "wit"],
        ),
        (
            "plugboard-example-custom",
            "PLUGBOARD_EXAMPLE_CUSTOM_WASM",
            ["examples/custom-code", "guest-sdk/src", "wit"],
        ),
    ] {
        match plugboard_guest_build::build(package, &watch) {
            Ok(path) => println!("cargo:rustc-env={variable}={}", path.display()),
            Err(message) => {
                eprintln!("{message}");
                std::process::exit(1);
            }
        }
    }
}
