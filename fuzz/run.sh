#!/usr/bin/env bash
# Runs every cargo-fuzz target for a while (default 20 s each; FUZZ_SECONDS to change), seeded
# with the test fixtures. Installs what it needs: a nightly toolchain and cargo-fuzz.
#
#   fuzz/run.sh                  # all targets, 20 s each (what CI runs)
#   FUZZ_SECONDS=3600 fuzz/run.sh spec     # one target for an hour
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-20}"
# cargo-fuzz needs a nightly toolchain. Where one cannot be installed, say so and stop
# without failing (FUZZ_REQUIRED=1 makes that an error).
if ! { rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal; } \
    || ! { command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked; }; then
    echo "WARNING: no nightly toolchain or cargo-fuzz here; fuzzing skipped" >&2
    [ "${FUZZ_REQUIRED:-0}" = 1 ] && exit 1
    exit 0
fi

seeds() {
    case "$1" in
        spec) echo host/openapi/tests/fixtures/convert host/openapi/tests/fixtures/import host/openapi/tests/fixtures/lint host/openapi/tests/fixtures/source ;;
        definition) echo examples/demo host/definition/tests/ui ;;
        *) echo "" ;;
    esac
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(spec definition manifest engine_table engine_response)
for target in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$target"
    echo "== fuzz $target for ${seconds}s"
    log="fuzz/corpus/$target.log"
    status=0
    # shellcheck disable=SC2046
    cargo +nightly fuzz run --fuzz-dir fuzz --target-dir "${FUZZ_TARGET_DIR:-fuzz/target}" "$target" \
        "fuzz/corpus/$target" $(seeds "$target") -- \
        -max_total_time="$seconds" -max_len=262144 -rss_limit_mb=4096 -timeout=10 -print_final_stats=1 \
        > "$log" 2>&1 || status=$?
    grep -E '^(Done|stat::number_of_executed_units|INFO: seed corpus)' "$log" || true
    if [ "$status" -ne 0 ]; then
        tail -n 60 "$log" >&2
        echo "fuzz target $target failed (exit $status); the crashing input is under fuzz/artifacts/$target" >&2
        exit 1
    fi
done
