#!/usr/bin/env bash
# Spec work memory on the server: what `plugboard serve` takes (peak RSS of the server process)
# to lint and import real and hostile specs, next to the estimate its spec-work budget reserves
# for them (plugboard_server::Cost::Document), and the peak of three hostile lints sent at once,
# within the default budget and without one. Prints Markdown tables.
#
#   cargo build --release -p plugboard-cli && tests/benches/spec_memory.sh
#
# Not run by CI. Needs python3 (with PyYAML) and curl; the real specs come from
# tests/fetch-real-specs.sh (npm). Linux only (reads /proc/PID/status, resets the peak with
# /proc/PID/clear_refs).
#
# Environment:
#   PLUGBOARD   the binary (default $CARGO_TARGET_DIR/release/plugboard, else target/release)
#   BENCH_DIR   work directory (default: a temporary one)
set -euo pipefail
cd "$(dirname "$0")/../.."
target="${CARGO_TARGET_DIR:-target}"
plugboard="${PLUGBOARD:-$target/release/plugboard}"
[ -x "$plugboard" ] || { echo "no $plugboard: cargo build --release -p plugboard-cli" >&2; exit 1; }
work="${BENCH_DIR:-$(mktemp -d)}"
mkdir -p "$work"
specs="$(tests/fetch-real-specs.sh)"

python3 - "$specs" "$work" <<'EOF'
import json, sys, yaml
specs, work = sys.argv[1], sys.argv[2]
github = json.load(open(f"{specs}/github.json"))
json.dump(github, open(f"{work}/github.min.json", "w"), separators=(",", ":"))
yaml.safe_dump(github, open(f"{work}/github.yaml", "w"), sort_keys=False)
# Twice GitHub's operations (renamed), pretty: a 26 MB spec, below the default 32 MiB limit.
double = dict(github)
double["paths"] = dict(github["paths"])
for path, item in github["paths"].items():
    copy = json.loads(json.dumps(item))
    for op in copy.values():
        if isinstance(op, dict) and "operationId" in op:
            op["operationId"] += "-copy"
    double["paths"]["/copy" + path] = copy
json.dump(double, open(f"{work}/github-double.json", "w"), indent=2)
base = {"openapi": "3.0.3", "info": {"title": "Junk", "version": "1", "description": "d"},
        "paths": {}}
def junk(name, value):
    spec = dict(base, **{"x-junk": value})
    json.dump(spec, open(f"{work}/{name}", "w"), separators=(",", ":"))
junk("zeros.json", [0] * 4_000_000)           # 8 MB of one-digit numbers
junk("empty-arrays.json", [[] for _ in range(2_000_000)])
junk("empty-objects.json", {f"k{i}": {} for i in range(1_000_000)})
with open(f"{work}/zeros.yaml", "w") as f:
    f.write("openapi: 3.0.3\ninfo: {title: Junk, version: '1', description: d}\npaths: {}\nx-junk:\n")
    f.write("- 0\n" * 2_000_000)
EOF

cp "$specs/github.json" "$specs/kubernetes-1.13.json" "$work/"
log="$work/serve.log"
start_server() { # extra serve flags...
    rm -rf "$work/data"
    "$plugboard" serve --listen 127.0.0.1:0 --data-dir "$work/data" "$@" 2>"$log" &
    pid=$!
    for _ in $(seq 100); do
        grep -q "serving on" "$log" 2>/dev/null && break
        sleep 0.1
    done
    base="$(grep -o 'http://[0-9.:]*' "$log" | head -n 1)"
    token="$(grep -A1 'shown once' "$log" | tail -n 1)"
    org="$(curl -s -H "Authorization: Bearer $token" "$base/v1/me" | python3 -c 'import json,sys; print(json.load(sys.stdin)["user"]["organization_id"])')"
}
stop_server() { kill "$pid"; wait "$pid" 2>/dev/null || true; }
rss_kib() { awk "/^$1:/ {print \$2}" "/proc/$pid/status"; }
estimate_mib() {
    python3 - "$1" <<'EOF'
import sys
data = open(sys.argv[1], "rb").read()
marks = sum(data.count(c) for c in (b",", b":", b"[", b"{", b"\n"))
print(round((16 * 2**20 + 4 * len(data) + 224 * marks) / 2**20))
EOF
}
post() { # route file -> status
    curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" \
        --data-binary "@$2" "$base$1"
}

# A new server for each measurement: freed memory stays with the process, so a second request
# would reuse what the first one took and show less than it needs.
echo "| spec | size | route | status | server peak over idle | estimate reserved | estimate / peak |"
echo "|---|---|---|---|---|---|---|"
for file in github.json github.min.json github.yaml kubernetes-1.13.json github-double.json \
    zeros.json empty-arrays.json empty-objects.json zeros.yaml; do
    size="$(stat -c %s "$work/$file")"
    estimate="$(estimate_mib "$work/$file")"
    for route in lint import; do
        start_server --spec-memory-mib 100000
        [ "$route" = lint ] && path=/v1/lint || path="/v1/organizations/$org/integrations/import"
        idle="$(rss_kib VmRSS)"
        echo 5 >"/proc/$pid/clear_refs"
        status="$(post "$path" "$work/$file")"
        peak="$(rss_kib VmHWM)"
        stop_server
        used=$(((peak - idle) / 1024))
        echo "| $file | $((size / 1000)) kB | $route | $status | $used MiB | $estimate MiB | $(python3 -c "print(f'{$estimate / max($used, 1):.2f}')") |"
    done
done

echo
echo "| three lints of zeros.json at once | statuses | server peak |"
echo "|---|---|---|"
for setting in "default budget (1 GiB):" "no budget (--spec-memory-mib 100000 --spec-jobs 8):"; do
    if [ "$setting" = "default budget (1 GiB):" ]; then start_server; else start_server --spec-memory-mib 100000 --spec-jobs 8; fi
    echo 5 >"/proc/$pid/clear_refs"
    statuses=()
    posts=()
    for i in 1 2 3; do
        post /v1/lint "$work/zeros.json" >"$work/status.$i" &
        posts+=($!)
    done
    wait "${posts[@]}"
    for i in 1 2 3; do statuses+=("$(cat "$work/status.$i")"); done
    echo "| $setting | ${statuses[*]} | $(($(rss_kib VmHWM) / 1024)) MiB |"
    stop_server
done
