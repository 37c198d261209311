//! `plugboard new <name>`: scaffolds a custom-code integration crate that builds to a bundle
//! with the guest SDK (typed actions, HTTP through the host, declared config).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};

/// Arguments of `plugboard new`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Crate name (letters, digits, `-`, `_`); also the folder created.
    pub name: String,
    /// Where to create the folder (default: the current directory).
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
    /// The API host the integration calls.
    #[arg(long, default_value = "api.example.com")]
    pub hostname: String,
}

/// The guest SDK this binary carries (its sources, the manifest crate it builds on, its WIT;
/// standalone Cargo.toml files), written by `build.rs`: the scaffold vendors it under `vendor/`.
mod vendored {
    include!(concat!(env!("OUT_DIR"), "/vendored_sdk.rs"));
}

/// The vendored crates' folders under `vendor/`; the scaffold depends on the first by path.
const VENDORED: [&str; 2] = ["plugboard-guest-sdk", "plugboard-manifest"];

/// Runs the command.
pub fn run(args: Args) -> Result<ExitCode> {
    let valid = !args.name.is_empty()
        && args.name.len() <= 64
        && args
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && args.name.starts_with(|c: char| c.is_ascii_alphabetic());
    if !valid {
        bail!(
            "`{}` is not a crate name: start with a letter; letters, digits, `-` and `_`",
            args.name
        );
    }
    // The vendored crates are members of the scaffold's workspace, where a name is taken once.
    let normalized = |name: &str| name.replace('-', "_");
    if let Some(package) = vendored::PACKAGES
        .iter()
        .find(|package| normalized(package) == normalized(&args.name))
    {
        bail!(
            "`{}` is taken: the scaffold vendors the crate `{package}`; choose another name",
            args.name
        );
    }
    // The host goes into the generated source as a string literal: only what the manifest
    // accepts as a host (letters, digits, `-`, `.`, an optional `:port`) gets there.
    if let Err(problem) = plugboard_manifest::rules::HostPort::parse(&args.hostname) {
        bail!(
            "--hostname {}: {problem} (a host such as api.example.com)",
            args.hostname
        );
    }
    let root = args.dir.join(&args.name);
    if root.exists() {
        bail!("{} exists; not overwriting it", root.display());
    }
    let mut files = vec![
        ("Cargo.toml".to_string(), cargo_toml(&args.name)),
        ("src/lib.rs".into(), lib_rs(&args.name, &args.hostname)),
        (".cargo/config.toml".into(), CARGO_CONFIG.to_string()),
        (".gitignore".into(), GITIGNORE.to_string()),
        ("README.md".into(), readme(&args.name)),
    ];
    for (path, text) in vendored::FILES {
        files.push((format!("vendor/{path}"), text.to_string()));
    }
    for folder in VENDORED {
        files.push((format!("vendor/{folder}/README.md"), vendor_notice(folder)));
    }
    for (path, text) in files {
        let path = root.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    eprintln!(
        "created {}: build it with `cargo build --release` there, then record its manifest with `plugboard build target/wasm32-wasip2/release/{}.wasm -o {}.bundle.wasm`",
        root.display(),
        args.name.replace('-', "_"),
        args.name.replace('-', "_")
    );
    Ok(ExitCode::SUCCESS)
}

fn cargo_toml(name: &str) -> String {
    format!(
        r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2024"
publish = false

# Its own workspace: a Plugboard integration builds on its own.
[workspace]

[lib]
crate-type = ["cdylib"]

[dependencies]
# The guest SDK as the `plugboard` that wrote this crate carries it (vendor/*/README.md).
plugboard-guest = {{ path = "vendor/{sdk}" }}
serde = {{ version = "1", features = ["derive"] }}
serde_json = "1"

[profile.release]
opt-level = "s"
lto = true
panic = "abort"
"#,
        sdk = VENDORED[0]
    )
}

/// Builds for the component target with the stack size the host expects.
const CARGO_CONFIG: &str = r#"[build]
target = "wasm32-wasip2"

[target.wasm32-wasip2]
rustflags = ["-C", "link-arg=-zstack-size=131072"]
"#;

/// Build output and signing keys stay out of version control; `vendor/` belongs in it.
const GITIGNORE: &str = "/target\n*.key\n";

/// Where a vendored crate came from, in its folder.
fn vendor_notice(folder: &str) -> String {
    format!(
        r#"# {folder}

Vendored by `plugboard new` from Plugboard {version} (commit {commit}): the crate builds
without a Plugboard checkout. Change it here if you must; to move to a newer SDK, run a newer
`plugboard new` and copy its `vendor/` over this one.
"#,
        version = env!("CARGO_PKG_VERSION"),
        commit = env!("PLUGBOARD_COMMIT"),
    )
}

fn lib_rs(name: &str, hostname: &str) -> String {
    format!(
        r#"//! {name}: a custom-code Plugboard integration.

use plugboard_guest::{{Failure, Integration, config_value, get_json}};
use serde::{{Deserialize, Serialize}};

/// Input of `hello`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HelloInput {{
    /// Who to greet.
    name: String,
}}

/// Output of `hello`.
#[derive(Serialize)]
struct HelloOutput {{
    greeting: String,
}}

fn hello(input: HelloInput) -> Result<HelloOutput, Failure> {{
    let greeting = config_value("greeting")?.unwrap_or_else(|| "Hello".into());
    Ok(HelloOutput {{
        greeting: format!("{{greeting}}, {{}}!", input.name),
    }})
}}

/// Input of `get`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GetInput {{
    /// Path on the API, such as `/v1/things`.
    path: String,
}}

fn get(input: GetInput) -> Result<serde_json::Value, Failure> {{
    // The host adds the installation's credentials and refuses hosts not declared below.
    get_json(&format!("https://{hostname}{{}}", input.path))
}}

fn build() -> Integration {{
    Integration::new("{name}", "A custom-code integration", "{hostname}")
        .config("greeting", "How to greet", Some("Hello"))
        .action("hello", "Hello", "Greets `name`", hello)
        .action("get", "Get", "GET a path of the API", get)
}}

plugboard_guest::integration!(build);
"#
    )
}

fn readme(name: &str) -> String {
    let file = name.replace('-', "_");
    format!(
        r#"# {name}

A custom-code Plugboard integration: typed actions in `src/lib.rs`. `vendor/` holds the guest
SDK (`plugboard-guest`) and the manifest crate it builds on, as `plugboard new` wrote them.

`plugboard build` records the manifest that `build()` declares (hosts, auth, config, secrets,
actions) into the component, once, before you sign it: hosts enforce that recorded manifest and
never run your code to learn what it may do.

```sh
rustup target add wasm32-wasip2
cargo build --release
plugboard build target/wasm32-wasip2/release/{file}.wasm -o {file}.bundle.wasm
plugboard inspect {file}.bundle.wasm
plugboard invoke {file}.bundle.wasm hello --input '{{"name": "Ada"}}'
plugboard keygen -o publisher && plugboard sign {file}.bundle.wasm --key publisher.key
```
"#
    )
}
