# SPDX-License-Identifier: MIT OR Apache-2.0
# Shared by the robustness tests: arguments, a scratch directory removed at exit, and helpers.
# Usage of each test: TEST.sh PAGEWALK GUEST SOURCE_DIR
set -euo pipefail
PAGEWALK="$1"
GUEST="$2"
SOURCE_DIR="$3"
SCRATCH="$(mktemp -d)"
# Names a test plants outside SCRATCH (in /tmp and /dev/shm) are listed in $SCRATCH/planted and removed at exit,
# whether the test passed or failed.
cleanup() {
    if [[ -s "$SCRATCH/planted" ]]; then
        xargs -d '\n' rm -f <"$SCRATCH/planted" || true
    fi
    rm -rf "$SCRATCH"
}
trap cleanup EXIT

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
# Entries of /dev/shm and /tmp whose names carry pid $1 (the predictable names older versions used:
# pagewalk-ram-PID-N, pagewalk-qmp-PID-N.sock, …). Other processes on the machine may own other pagewalk-* names.
entries_of_pid() {
    find /dev/shm /tmp -maxdepth 1 -name "pagewalk-*-$1-*" 2>/dev/null | sort
}
