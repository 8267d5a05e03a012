#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# run.sh as a regular user on a machine without some Debian packages (stubs on PATH stand in for dpkg-query, id and
# apt-get, so nothing is installed or removed): packages only some tests need are named with the install line and
# the run goes on (those tests SKIP); packages the build needs stop it with the install line; apt-get is never run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
stubs="$(mktemp -d)"
trap 'rm -rf "$stubs"' EXIT
cat >"$stubs/dpkg-query" <<'STUB'
#!/bin/sh
# dpkg-query -W -f=FORMAT PKG: "not installed" for the packages in FAKE_MISSING.
for pkg; do :; done
case " $FAKE_MISSING " in *" $pkg "*) exit 1 ;; esac
printf 'install ok installed'
STUB
printf '#!/bin/sh\necho 1000\n' >"$stubs/id"
printf '#!/bin/sh\necho "apt-get must not run here" >&2\nexit 99\n' >"$stubs/apt-get"
chmod +x "$stubs"/*
export PATH="$stubs:$PATH" FAKE_MISSING="xorriso ovmf"
unset PAGEWALK_SKIP_DEPS

fail() { echo "FAIL: $*" >&2; exit 1; }

# shellcheck source=../../run.sh
source "$ROOT/run.sh"
set +e

out="$(ensure_optional_deps "the ISO tests (label iso)" xorriso grub-pc-bin ovmf 2>&1)" ||
    fail "a missing optional package stopped the run: $out"
[[ "$out" == *"the ISO tests (label iso) will SKIP: missing Debian packages xorriso ovmf"* ]] ||
    fail "no SKIP notice naming the packages: $out"
[[ "$out" == *"sudo apt-get install -y --no-install-recommends xorriso ovmf"* ]] || fail "no install line: $out"

out="$(ensure_optional_deps "the ISO tests" grub-pc-bin 2>&1)" || fail "nothing missing, yet: $out"
[[ -z "$out" ]] || fail "nothing missing, yet it says: $out"

out="$( (ensure_deps cmake xorriso) 2>&1)" && fail "a missing build package did not stop run.sh"
[[ "$out" == *"sudo apt-get install -y --no-install-recommends xorriso"* ]] || fail "no install line: $out"
[[ "$out" != *"must not run"* ]] || fail "apt-get ran as a regular user"
echo "run.sh: optional packages SKIP with the install line, required ones stop it"
