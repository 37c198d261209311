//! A component that asks for 768 MiB of linear memory before it runs a single instruction: a
//! zeroed static takes no room in the file, but every instance's initial memory includes it.
//! The host must count that initial memory against the call's limit like any other.

use plugboard_guest::{Failure, Integration};

/// 768 MiB of zeroes.
static BALLAST: [u8; 768 << 20] = [0; 768 << 20];

fn touch(_: serde_json::Value) -> Result<u64, Failure> {
    let ballast = std::hint::black_box(&BALLAST);
    Ok(ballast.iter().step_by(1 << 20).map(|b| u64::from(*b)).sum())
}

fn build() -> Integration {
    Integration::new("Bloated", "Asks for 768 MiB up front", "bloated.invalid").action(
        "touch",
        "Touch",
        "Reads its ballast",
        touch,
    )
}

plugboard_guest::integration!(build);
