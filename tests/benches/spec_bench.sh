#!/usr/bin/env bash
# Issue 18: the spec pipeline's two large jobs as whole processes, with the peer side by side.
# Builds the `spec_bench` example of plugboard-openapi (the code paths of `plugboard convert` and
# `plugboard import`, without building the CLI and wasmtime), prints its table (median wall
# time and peak RSS of new processes: Swagger 2.0 -> OpenAPI 3 of Kubernetes 1.13, import of
# Microsoft Graph v1.0), then times convert against swagger2openapi 7.0.8 in alternating rounds
# (hyperfine), so that both see the same load.
#
#   tests/benches/spec_bench.sh [OTHER_SPEC_BENCH]   # e.g. a build of an older commit, measured alike
#
# Environment: RUNS (table runs, default 10), ROUNDS (default 5), PEERS_DIR (default
# ~/.cache/plugboard/bench-peers). Inputs come from tests/fetch-real-specs.sh and
# tests/fetch-corpus.sh (npm). Not run by CI.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
OTHER=${1:-}
ROUNDS=${ROUNDS:-5}
PEERS_DIR=${PEERS_DIR:-$HOME/.cache/plugboard/bench-peers}
(cd "$ROOT" && cargo build --release -p plugboard-openapi --example spec_bench >&2)
BIN=$TARGET/release/examples/spec_bench
K8S=$("$ROOT/tests/fetch-real-specs.sh")/kubernetes-1.13.json
GRAPH=$("$ROOT/tests/fetch-corpus.sh")/microsoft.com/graph.json
PEER=$PEERS_DIR/node_modules/.bin/swagger2openapi
[[ -x $PEER ]] || npm install --prefix "$PEERS_DIR" --no-audit --no-fund --loglevel=error swagger2openapi@7.0.8 >&2
command -v hyperfine >/dev/null || { echo "hyperfine is needed" >&2; exit 1; }
export K8S GRAPH
echo "ours ($BIN):"
"$BIN"
if [[ -n $OTHER ]]; then
    echo "other ($OTHER):"
    "$OTHER"
fi
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
for ((round = 1; round <= ROUNDS; round++)); do
    hyperfine -N --warmup 2 --runs 15 --export-json "$OUT/ours.$round.json" \
        "$BIN convert $K8S $OUT/ours.json" >/dev/null 2>&1
    if [[ -n $OTHER ]]; then
        hyperfine -N --warmup 2 --runs 15 --export-json "$OUT/other.$round.json" \
            "$OTHER convert $K8S $OUT/other.json" >/dev/null 2>&1
    fi
    hyperfine -N --warmup 1 --runs 3 --export-json "$OUT/peer.$round.json" \
        "$PEER $K8S -o $OUT/peer.json" >/dev/null 2>&1
done
python3 - "$OUT" <<'PY'
import glob, json, statistics, sys
out = sys.argv[1]
rows = {}
for name in ["ours", "other", "peer"]:
    wall, cpu = [], []
    for path in sorted(glob.glob(f"{out}/{name}.*.json")):
        result = json.load(open(path))["results"][0]
        wall += result["times"]
        cpu.append(result["user"] + result["system"])
    if wall:
        rows[name] = (statistics.median(wall), statistics.median(cpu))
print("\n| convert Kubernetes 1.13 | wall, median | CPU (user+sys), median of rounds | peer / this (wall) | peer / this (CPU) |")
print("|---|---|---|---|---|")
peer_wall, peer_cpu = rows["peer"]
for name, (wall, cpu) in rows.items():
    print(f"| {name} | {wall*1e3:.1f} ms | {cpu*1e3:.1f} ms | {peer_wall/wall:.1f}x | {peer_cpu/cpu:.1f}x |")
PY
