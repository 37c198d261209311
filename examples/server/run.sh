#!/usr/bin/env bash
# The Plugboard platform in one go: starts `plugboard serve` (embedded SQLite in a temporary
# data directory) and the demo API on loopback, then walks through the REST API with curl:
# create an organization and an editor, import a spec, finalize and publish, install with
# credentials, invoke.
#
#   examples/server/run.sh                       # free loopback ports for both
#   SERVER_PORT=9080 DEMO_PORT=9787 examples/server/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

# Port 0 (the default) lets the system pick a free port; the logs say which.
server_port="${SERVER_PORT:-0}"
demo_port="${DEMO_PORT:-0}"
target="${CARGO_TARGET_DIR:-$PWD/target}"
work="$(mktemp -d)"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "build plugboard and the demo API (the first build compiles wasmtime: a few minutes)"
rustup target add wasm32-wasip2 >/dev/null 2>&1 || true
cargo build --quiet -p plugboard-cli -p plugboard-tests --bin plugboard --bin demo-api

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
wait_for() { # file pattern
    for _ in $(seq 1 300); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
    echo "timed out waiting for '$2' in $1:" >&2; cat "$1" >&2; exit 1
}

step "start the demo API on loopback (it wants X-Api-Key: demo-key)"
"$target/debug/demo-api" "127.0.0.1:$demo_port" > "$work/api.log" 2>&1 &
pids+=($!)
wait_for "$work/api.log" listening
demo_port="$(grep -o 'listening on http://127\.0\.0\.1:[0-9]*' "$work/api.log" | grep -o '[0-9]*$')"
echo "demo API on 127.0.0.1:$demo_port"

step "start the server: plugboard serve --listen 127.0.0.1:${server_port} --data-dir <temp dir> --allow-network 127.0.0.1/32"
# Integrations reach public addresses only, unless the operator allows more: the demo API is on
# loopback, so this walkthrough allows 127.0.0.1.
"$target/debug/plugboard" --cache-dir "$work/cache" serve --listen "127.0.0.1:$server_port" \
    --data-dir "$work/data" --allow-network 127.0.0.1/32 > "$work/server.log" 2>&1 &
pids+=($!)
wait_for "$work/server.log" "serving on"
server_port="$(grep -o 'serving on http://127\.0\.0\.1:[0-9]*' "$work/server.log" | grep -o '[0-9]*$')"
echo "server on 127.0.0.1:$server_port"
admin="$(grep -o 'pbt_[0-9a-f]*' "$work/server.log" | head -n1)"
echo "admin token (printed once by the first start): ${admin:0:12}..."
api="http://127.0.0.1:$server_port"
call() { # method path token [body]
    local args=(-sS -X "$1" "$api$2" -H "Authorization: Bearer $3")
    [ $# -ge 4 ] && args+=(-H 'Content-Type: application/json' --data-binary "$4")
    curl "${args[@]}"
}
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval('d' + sys.argv[1]))" "$1"; }

step "create an organization for a customer, and an editor there"
root="$(call GET /v1/me "$admin" | field "['user']['organization_id']")"
customer="$(call POST /v1/organizations "$admin" '{"name": "Customer A"}' | field "['id']")"
editor="$(call POST "/v1/organizations/$customer/users" "$admin" '{"name": "Eve", "role": "editor"}' | field "['token']")"
echo "root $root, customer $customer"

step "import examples/server/items.yaml as a draft integration (at the root)"
sed "s/127\.0\.0\.1:8787/127.0.0.1:$demo_port/" examples/server/items.yaml > "$work/items.yaml"
integration="$(curl -sS -X POST "$api/v1/organizations/$root/integrations/import" \
    -H "Authorization: Bearer $admin" --data-binary @"$work/items.yaml" | tee "$work/import.json" | field "['integration']['id']")"
field "['summary']" < "$work/import.json"

step "finalize and publish it (installable by the root and every organization below)"
call POST "/v1/integrations/$integration/finalize" "$admin" '{"status": "published"}' | field "['version']"

step "install it for the customer with the customer's API key (sealed at rest, never returned)"
installation="$(call POST "/v1/organizations/$customer/installations" "$editor" \
    "{\"integration_id\": \"$integration\", \"credentials\": {\"api_key\": \"demo-key\"}}" | field "['id']")"
echo "installation $installation"

step "invoke listItems"
call POST "/v1/installations/$installation/actions/listItems/invoke" "$editor" '{"input": {"per_page": 5}}' | field "['output']"

step "a viewer changes nothing; errors are problem+json"
viewer="$(call POST "/v1/organizations/$customer/users" "$admin" '{"name": "Vic", "role": "viewer"}' | field "['token']")"
call POST "/v1/installations/$installation/actions/listItems/invoke" "$viewer" '{}'
echo

step "done"
