#!/usr/bin/env bash
# The Plugboard demo: builds the example integration in examples/demo into a WebAssembly
# component, starts a small API on loopback, and invokes the component's actions against it.
#
#   examples/demo/run.sh            # API on 127.0.0.1:8787
#   DEMO_PORT=9000 examples/demo/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

port="${DEMO_PORT:-8787}"
target="${CARGO_TARGET_DIR:-$PWD/target}"
out="$target/demo"
mkdir -p "$out"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "toolchain: the wasm32-wasip2 target (the engine component is built from source)"
rustup target add wasm32-wasip2

step "build plugboard and the demo API (first build compiles wasmtime: a few minutes)"
cargo build --quiet -p plugboard-cli -p plugboard-tests --bin plugboard --bin demo-api
plugboard="$target/debug/plugboard"

step "start the demo API on 127.0.0.1:$port (requires X-Api-Key: demo-key)"
"$target/debug/demo-api" "127.0.0.1:$port" > "$out/api.log" 2>&1 &
api_pid=$!
trap 'kill $api_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
    grep -q "listening" "$out/api.log" 2>/dev/null && break
    if ! kill -0 "$api_pid" 2>/dev/null; then
        echo "the demo API did not start (is port $port free? set DEMO_PORT):" >&2
        cat "$out/api.log" >&2
        exit 1
    fi
    sleep 0.1
done
cat "$out/api.log"

step "finalize examples/demo/definition.json into a component"
sed "s/127\.0\.0\.1:8787/127.0.0.1:$port/" examples/demo/definition.json > "$out/definition.json"
"$plugboard" build "$out/definition.json" -o "$out/demo-items.wasm"

step "inspect: what the component asks for"
"$plugboard" --cache-dir "$out/cache" inspect "$out/demo-items.wasm" | head -n 30
echo "  ..."

step "invoke list_items (page pagination, API key applied by the host)"
"$plugboard" --cache-dir "$out/cache" invoke "$out/demo-items.wasm" list_items --credential api_key=demo-key

step "invoke get_user_file (path, query and header parameters)"
"$plugboard" --cache-dir "$out/cache" invoke "$out/demo-items.wasm" get_user_file \
    --input '{"user": "ada lovelace", "file": "notes/2024.txt", "version": 3, "x-request-id": "demo-1"}' \
    --credential api_key=demo-key

step "invoke create_note (JSON body)"
"$plugboard" --cache-dir "$out/cache" invoke "$out/demo-items.wasm" create_note \
    --input '{"body": {"text": "hello from a sandbox"}}' --credential api_key=demo-key

step "a wrong key: the upstream's 401 comes back as a clear error (exit code 1)"
if "$plugboard" --cache-dir "$out/cache" invoke "$out/demo-items.wasm" list_items --credential api_key=wrong; then
    echo "expected a failure" >&2
    exit 1
fi

step "done: the component is $out/demo-items.wasm"
