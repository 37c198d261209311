#!/usr/bin/env bash
# Calls per second through `plugboard serve` with a real load generator (wrk), next to wrk straight
# at the same upstream and at the server's own /healthz, all in one run so machine noise cancels.
#
#   cargo build --release -p plugboard-cli && tests/benches/serve_wrk.sh
#
# The upstream is nginx (worker_processes 1) answering a small JSON body; the integration has one
# action (GET /items) with an API key applied by the host; the server keeps its store in an SQLite
# file (the default) or in PostgreSQL when DATABASE_URL is set. Prints a Markdown table.
#
# Not run by CI. Needs wrk, nginx, curl and python3 (apt-get install wrk nginx-light).
#
# Environment:
#   PLUGBOARD      the binary (default $CARGO_TARGET_DIR/release/plugboard, else target/release)
#   CONNECTIONS    wrk connections (default 16)
#   THREADS        wrk threads (default 2)
#   SECONDS_EACH   seconds of each wrk run (default 10)
#   RUNS           runs of each target, interleaved; the median is reported (default 3)
#   DATABASE_URL   a postgres:// URL of an empty database to run the server on PostgreSQL
#                  instead of SQLite (PLUGBOARD_SECRET_KEY is made up when not set)
#   PERF_OUT       record the server with `perf record -g` during the first invoke run, into
#                  this file (for `perf report`)
set -euo pipefail
cd "$(dirname "$0")/../.."
target="${CARGO_TARGET_DIR:-target}"
plugboard="${PLUGBOARD:-$target/release/plugboard}"
[ -x "$plugboard" ] || { echo "no $plugboard: cargo build --release -p plugboard-cli" >&2; exit 1; }
for tool in wrk nginx curl python3; do
    command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || { echo "needs $tool" >&2; exit 1; }
done
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"
connections="${CONNECTIONS:-16}"
threads="${THREADS:-2}"
seconds="${SECONDS_EACH:-10}"
runs="${RUNS:-3}"
work="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { # file pattern
    for _ in $(seq 1 300); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
    echo "timed out waiting for '$2' in $1:" >&2; cat "$1" >&2; exit 1
}

# The upstream: nginx answering a small JSON document (what a typical GET of one record returns).
upstream_port="$(free_port)"
mkdir -p "$work/nginx"
cat > "$work/nginx.conf" <<EOF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $work/nginx;
    proxy_temp_path $work/nginx;
    fastcgi_temp_path $work/nginx;
    uwsgi_temp_path $work/nginx;
    scgi_temp_path $work/nginx;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$upstream_port;
        location /items {
            default_type application/json;
            return 200 '{"id":42,"name":"widget","price":9.5,"tags":["a","b"],"in_stock":true}';
        }
    }
}
EOF
"$nginx_bin" -c "$work/nginx.conf" -e "$work/nginx/error.log"
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$upstream_port/items" >/dev/null && break; sleep 0.1; done

# The server.
database=()
if [ -n "${DATABASE_URL:-}" ]; then
    database=(--database "$DATABASE_URL")
    # PostgreSQL deployments share a sealing key; a fresh one for this run.
    export PLUGBOARD_SECRET_KEY="${PLUGBOARD_SECRET_KEY:-$(python3 -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')}"
fi
"$plugboard" --cache-dir "$work/cache" serve --listen 127.0.0.1:0 --data-dir "$work/data" \
    "${database[@]}" --allow-network 127.0.0.1/32 > "$work/server.log" 2>&1 &
pids+=($!)
wait_for "$work/server.log" "serving on"
api="$(grep -o 'serving on http://127\.0\.0\.1:[0-9]*' "$work/server.log" | head -n1 | sed 's/serving on //')"
admin="$(grep -o 'pbt_[0-9a-f]*' "$work/server.log" | head -n1)"
[ -n "$admin" ] || { echo "no admin token in the server's log (a database used before?)" >&2; exit 1; }
call() { # method path [body]
    local args=(-sS -X "$1" "$api$2" -H "Authorization: Bearer $admin")
    [ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
    curl "${args[@]}"
}
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval('d' + sys.argv[1]))" "$1"; }
root="$(call GET /v1/me | field "['user']['organization_id']")"
integration="$(call POST "/v1/organizations/$root/integrations" "{
    \"definition_version\": 1, \"name\": \"Bench\", \"description\": \"One action\",
    \"hostname\": \"127.0.0.1:$upstream_port\", \"scheme\": \"http\",
    \"auth\": {\"type\": \"api_key\", \"api_key_header_name\": \"X-Api-Key\"},
    \"actions\": [{\"id\": \"get\", \"name\": \"Get\", \"method\": \"GET\", \"path\": \"/items\"}]}" \
    | field "['id']")"
call POST "/v1/integrations/$integration/finalize" '{}' >/dev/null
installation="$(call POST "/v1/organizations/$root/installations" \
    "{\"integration_id\": \"$integration\", \"credentials\": {\"api_key\": \"k-1\"}}" | field "['id']")"
invoke="/v1/installations/$installation/actions/get/invoke"
answer="$(call POST "$invoke" '{"input": {}}')"
echo "$answer" | grep -q '"widget"' || { echo "the invoke did not answer the upstream's body: $answer" >&2; exit 1; }

cat > "$work/invoke.lua" <<EOF
wrk.method = "POST"
wrk.body = '{"input": {}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $admin"
done = function(summary, latency, requests)
    local bad = summary.errors.status + summary.errors.connect + summary.errors.read
        + summary.errors.write + summary.errors.timeout
    io.write(string.format("non-2xx-or-errors %d\n", bad))
end
EOF
cat > "$work/plain.lua" <<'EOF'
done = function(summary, latency, requests)
    local bad = summary.errors.status + summary.errors.connect + summary.errors.read
        + summary.errors.write + summary.errors.timeout
    io.write(string.format("non-2xx-or-errors %d\n", bad))
end
EOF

run_wrk() { # script url -> "requests_per_second p50_ms p99_ms errors"
    local out
    out="$(wrk -t"$threads" -c"$connections" -d"${seconds}s" --latency -s "$1" "$2")"
    python3 - "$out" <<'EOF'
import re, sys
out = sys.argv[1]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
def ms(label):
    m = re.search(r"^\s+%s%%\s+([\d.]+)(us|ms|s)" % label, out, re.M)
    v, unit = float(m.group(1)), m.group(2)
    return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
bad = int(re.search(r"non-2xx-or-errors (\d+)", out).group(1))
print(f"{rps:.0f} {ms('50'):.3f} {ms('99'):.3f} {bad}")
EOF
}

declare -A results
for run in $(seq 1 "$runs"); do
    results[direct]+="$(run_wrk "$work/plain.lua" "http://127.0.0.1:$upstream_port/items");"
    results[healthz]+="$(run_wrk "$work/plain.lua" "$api/healthz");"
    if [ -n "${PERF_OUT:-}" ] && [ "$run" = 1 ]; then
        perf record ${PERF_ARGS:--g} -o "$PERF_OUT" -p "${pids[0]}" -- sleep "$seconds" >/dev/null 2>&1 &
        perf_pid=$!
    fi
    results[invoke]+="$(run_wrk "$work/invoke.lua" "$api$invoke");"
    if [ -n "${perf_pid:-}" ]; then wait "$perf_pid" || true; perf_pid=; fi
done

python3 - "${results[direct]}" "${results[healthz]}" "${results[invoke]}" "$connections" "$seconds" "$runs" "${DATABASE_URL:+PostgreSQL}" <<'EOF'
import statistics, sys
direct, healthz, invoke = ([list(map(float, r.split())) for r in arg.strip(";").split(";")] for arg in sys.argv[1:4])
connections, seconds, runs, backend = sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7] or "SQLite"
def row(name, rows):
    rps = statistics.median(r[0] for r in rows)
    p50 = statistics.median(r[1] for r in rows)
    p99 = statistics.median(r[2] for r in rows)
    bad = int(sum(r[3] for r in rows))
    spread = f"{min(r[0] for r in rows):,.0f}-{max(r[0] for r in rows):,.0f}"
    return rps, f"| {name} | {rps:,.0f} | {spread} | {p50:.2f} | {p99:.2f} | {bad} |"
print(f"wrk -t2 -c{connections} -d{seconds}s, {runs} interleaved runs each, medians; store: {backend}\n")
print("| target | requests/s | range | p50 ms | p99 ms | errors or non-2xx |")
print("|---|---|---|---|---|---|")
d, line = row("nginx straight (the upstream)", direct); print(line)
h, line = row("plugboard serve `/healthz`", healthz); print(line)
i, line = row("plugboard serve invoke (API key, one action, the same upstream)", invoke); print(line)
print(f"\ninvoke / direct: {100 * i / d:.1f}% (goal >= 9%)")
EOF
