//! A component that asks for 768 MiB of linear memory before it runs a single instruction: a
//! zeroed static takes no room in the file, but every instance's initial memory includes it.
//! The host must count that initial memory against the call's limit like any other.

use plugboard_guest::{Failure, Integration};

const BALLAST_BYTES: usize = 768 << 20;

/// 768 MiB of zeroes. Mutable, so the linker puts it in `.bss` (memory the instance starts with,
/// zeroed, no bytes in the file); an immutable static would be 768 MiB of data in the file.
static mut BALLAST: [u8; BALLAST_BYTES] = [0; BALLAST_BYTES];

fn touch(_: serde_json::Value) -> Result<u64, Failure> {
    let ballast = std::hint::black_box((&raw const BALLAST).cast::<u8>());
    Ok((0..BALLAST_BYTES)
        .step_by(1 << 20)
        // SAFETY: in bounds of the static, which nothing writes.
        .map(|i| u64::from(unsafe { ballast.add(i).read_volatile() }))
        .sum())
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
