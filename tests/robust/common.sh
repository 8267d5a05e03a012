# SPDX-License-Identifier: MIT OR Apache-2.0
# Shared by the robustness tests: arguments, a scratch directory removed at exit, and helpers.
# Usage of each test: TEST.sh PAGEWALK GUEST SOURCE_DIR
set -euo pipefail
PAGEWALK="$1"
GUEST="$2"
SOURCE_DIR="$3"
SCRATCH="$(mktemp -d)"
trap 'rm -rf "$SCRATCH"' EXIT

fail() {
    echo "FAILED: $*" >&2
    exit 1
}
skip() {
    echo "SKIP: $*"
    exit 77
}
need_qemu() {
    command -v "${PAGEWALK_QEMU:-qemu-system-x86_64}" >/dev/null 2>&1 || skip "no QEMU"
}
# The names pagewalk's entries in a directory, one a line (empty when none).
pagewalk_entries() {
    find "$1" -maxdepth 1 -name 'pagewalk-*' 2>/dev/null | sort
}
