//! The demo's upstream API: the loopback test API on a fixed port, with an API key.
//!
//! `demo-api [ADDR]` (default `127.0.0.1:8787`) serves until stopped; it requires
//! `X-Api-Key: demo-key` on every route except `/open/...`.

use std::net::SocketAddr;

use plugboard_tests::api::{AuthCheck, TestApi};

fn main() -> std::io::Result<()> {
    let addr: SocketAddr = match std::env::args().nth(1) {
        Some(text) => text.parse().map_err(|e| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("{text}: {e}"))
        })?,
        None => SocketAddr::from(([127, 0, 0, 1], 8787)),
    };
    let api = TestApi::start_on(addr, AuthCheck::header("X-Api-Key", "demo-key"))?;
    println!(
        "demo API listening on {} (header X-Api-Key: demo-key)",
        api.base_url()
    );
    loop {
        std::thread::park();
    }
}
