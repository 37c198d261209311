#!/usr/bin/env bash
# Fetches large real specs from the npm registry for the real-spec tests
# (`cargo test -p plugboard-openapi --test real_specs -- --ignored`), into
# ${REAL_SPECS_DIR:-$HOME/.cache/plugboard/real-specs}:
#   kubernetes-1.13.json  Swagger 2.0, 4.2 MB   (kubernetes-client 9.0.0, lib/specs/swagger-1.13.json.gz)
#   github.json           OpenAPI 3.0, 13 MB    (@octokit/openapi 23.0.2, generated/api.github.com.json)
# Prints the directory. Files already there are kept.
set -euo pipefail
dir="${REAL_SPECS_DIR:-$HOME/.cache/plugboard/real-specs}"
mkdir -p "$dir"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

fetch() { # package@version, file inside the package, destination, [gz]
    local dest="$dir/$3"
    [ -s "$dest" ] && return 0
    (cd "$tmp" && npm pack --silent "$1" >/dev/null)
    local tgz
    tgz="$(ls -t "$tmp"/*.tgz | head -n 1)"
    if [ "${4:-}" = gz ]; then
        tar -xzOf "$tgz" "package/$2" | gunzip >"$dest.tmp"
    else
        tar -xzOf "$tgz" "package/$2" >"$dest.tmp"
    fi
    mv "$dest.tmp" "$dest"
    rm -f "$tgz"
}

fetch kubernetes-client@9.0.0 lib/specs/swagger-1.13.json.gz kubernetes-1.13.json gz
fetch @octokit/openapi@23.0.2 generated/api.github.com.json github.json
echo "$dir"
