#!/usr/bin/env bash
# Prism request-validation harness: are the HTTP requests Plugboard actions send valid for their
# spec? See tests/prism/README.md. Environment (all optional):
#   PLUGBOARD_BIN  the plugboard CLI (default: `plugboard` on PATH)
#   SAMPLE=40 SEED=1 ACTIONS=3 THRESHOLD=98 CONCURRENCY=2 MAX_SPEC_KB=1000 PRISM_TIMEOUT=60
#   SPECS=a.json,b/c.json  run these corpus specs instead of a sample
#   CORPUS (default: fetched by tests/fetch-corpus.sh), PRISM_NPM (npm prefix for Prism),
#   OUT (where results go; default a new temporary directory), PLUGBOARD_CACHE_DIR
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

export PLUGBOARD_BIN="${PLUGBOARD_BIN:-plugboard}"
if ! command -v "$PLUGBOARD_BIN" >/dev/null 2>&1; then
    echo "run.sh: no plugboard CLI at '$PLUGBOARD_BIN' (set PLUGBOARD_BIN)" >&2
    exit 2
fi

# Prism and the sampler, pinned, in their own npm prefix.
export PRISM_NPM="${PRISM_NPM:-$HOME/.cache/plugboard/prism-npm}"
prism_version=5.16.0
sampler_version=1.7.10
if ! node -e "
    const r = require('module').createRequire('$PRISM_NPM/node_modules/x.js');
    if (r('@stoplight/prism-cli/package.json').version !== '$prism_version') process.exit(1);
    if (r('openapi-sampler/package.json').version !== '$sampler_version') process.exit(1);
" 2>/dev/null; then
    mkdir -p "$PRISM_NPM"
    npm install --silent --no-audit --no-fund --prefix "$PRISM_NPM" \
        "@stoplight/prism-cli@$prism_version" "openapi-sampler@$sampler_version" >&2
fi

export CORPUS="${CORPUS:-$("$here/../fetch-corpus.sh")}"
export OUT="${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/plugboard-prism.XXXXXX")}"
mkdir -p "$OUT"
export PID_FILE="$OUT/prism.pids"

# sample.mjs kills its Prism servers itself; this trap is the backstop if it is killed hard.
node_pid=""
cleanup() {
    if [ -n "$node_pid" ]; then kill "$node_pid" 2>/dev/null || true; fi
    if [ -f "$PID_FILE" ]; then
        while read -r pid; do
            [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
        done <"$PID_FILE"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

node "$here/sample.mjs" &
node_pid=$!
status=0
wait "$node_pid" || status=$?
node_pid=""
exit "$status"
