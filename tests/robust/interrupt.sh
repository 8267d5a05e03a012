#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# SIGINT, SIGTERM and SIGHUP in the middle of `pagewalk run` (QEMU and KVM) and `pagewalk iso --check`: exit 130,
# 143, 129 with the summary of what finished and the reports written; no QEMU child, no file in TMPDIR or
# /dev/shm remains. SIGKILL cannot be handled: the QEMU children still go (PR_SET_PDEATHSIG).
source "$(dirname "$0")/common.sh"
need_qemu
export TMPDIR="$SCRATCH/tmp"
mkdir -m 0700 "$TMPDIR"

# Waits until process $1 has a child; prints the children's pids.
wait_for_children() {
    for _ in $(seq 400); do
        local kids
        kids="$(pgrep -P "$1" || true)"
        if [[ -n "$kids" ]]; then
            echo "$kids"
            return 0
        fi
        sleep 0.05
    done
    fail "no child process of $1 appeared"
}
# Fails if any of the pids still exists (after a grace period).
expect_gone() {
    for _ in $(seq 40); do
        local alive=0 p
        for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done
        ((alive == 0)) && return 0
        sleep 0.05
    done
    fail "child processes left running: $*"
}
expect_clean() {  # expect_clean NAME PID
    [[ -z "$(ls -A "$TMPDIR")" ]] || fail "$1: left in TMPDIR: $(ls -A "$TMPDIR")"
    [[ -z "$(entries_of_pid "$2")" ]] || fail "$1: left in /dev/shm or /tmp: $(entries_of_pid "$2")"
}

# interrupt BACKEND SIGNAL EXPECTED_STATUS
interrupt_run() {
    local backend="$1" sig="$2" want="$3" out="$SCRATCH/run-$1-$2.out" junit="$SCRATCH/run-$1-$2.xml"
    "$PAGEWALK" run --backend "$backend" --jobs 2 --guest "$GUEST" --scenarios "$SOURCE_DIR/scenarios" \
        --junit "$junit" >"$out" 2>&1 &
    local pid=$! kids
    kids="$(wait_for_children "$pid")"
    sleep 0.3  # a few runs finish, others are under way
    kids="$kids $(pgrep -P "$pid" || true)"
    kill -s "$sig" "$pid"
    local rc=0
    wait "$pid" || rc=$?
    cat "$out"
    [[ "$rc" == "$want" ]] || fail "$backend, SIG$sig: exit $rc, expected $want"
    grep -q "interrupted by signal" "$out" || fail "$backend, SIG$sig: no interruption message"
    grep -Eq "[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped" "$out" || fail "$backend, SIG$sig: no summary"
    [[ -s "$junit" ]] || fail "$backend, SIG$sig: the JUnit report was not written"
    # shellcheck disable=SC2086
    expect_gone $kids
    expect_clean "$backend, SIG$sig" "$pid"
    echo "== $backend run, SIG$sig: exit $rc, children gone, nothing left"
}

interrupt_run qemu INT 130
interrupt_run qemu TERM 143
interrupt_run qemu HUP 129
if [[ -w /dev/kvm ]]; then
    # KVM runs in-process (no child): the program files must still go.
    "$PAGEWALK" run --backend kvm --jobs 2 --guest "$GUEST" --scenarios "$SOURCE_DIR/scenarios" \
        >"$SCRATCH/kvm.out" 2>&1 &
    pid=$!
    sleep 0.4
    kill -TERM "$pid"
    rc=0
    wait "$pid" || rc=$?
    tail -3 "$SCRATCH/kvm.out"
    [[ "$rc" == 143 || "$rc" == 0 || "$rc" == 1 ]] || fail "kvm, SIGTERM: exit $rc"
    expect_clean "kvm, SIGTERM" "$pid"
    echo "== kvm run, SIGTERM: exit $rc, nothing left"
fi

# SIGKILL: nothing runs in pagewalk any more, but its QEMU children must not outlive it.
"$PAGEWALK" run --backend qemu --jobs 2 --guest "$GUEST" --scenarios "$SOURCE_DIR/scenarios" >/dev/null 2>&1 &
pid=$!
kids="$(wait_for_children "$pid")"
kill -KILL "$pid"
wait "$pid" || true
# shellcheck disable=SC2086
expect_gone $kids
rm -rf "${TMPDIR:?}"/*  # the private directory of a SIGKILLed run stays (nothing can remove it)
echo "== qemu run, SIGKILL: QEMU children gone"

if command -v grub-mkrescue >/dev/null && command -v xorriso >/dev/null; then
    "$PAGEWALK" iso --check --grub-timeout 0 --guest "$GUEST" --scenarios "$SOURCE_DIR/scenarios" \
        -o "$SCRATCH/iso/pagewalk.iso" >"$SCRATCH/iso.out" 2>&1 &
    pid=$!
    # The ISO is built first (grub-mkrescue), then QEMU boots it: interrupt once QEMU is there. Match the
    # booting QEMU by its -cdrom: `qemu-system-x86_64 --version` (the probe) is a child too, but gone at once.
    kids=""
    for _ in $(seq 600); do
        kids="$(pgrep -P "$pid" -f 'qemu-system.*-cdrom' || true)"
        [[ -n "$kids" ]] && break
        sleep 0.05
    done
    [[ -n "$kids" ]] || fail "iso --check: QEMU never started"
    kill -INT "$pid"
    rc=0
    wait "$pid" || rc=$?
    tail -3 "$SCRATCH/iso.out"
    [[ "$rc" == 130 ]] || fail "iso --check, SIGINT: exit $rc"
    # shellcheck disable=SC2086
    expect_gone $kids
    expect_clean "iso --check, SIGINT" "$pid"
    echo "== iso --check, SIGINT: exit 130, QEMU gone, nothing left"
fi
