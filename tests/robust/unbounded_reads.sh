#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# Inputs that never end: a scenario file or guest image that is /dev/zero or a FIFO nobody writes to is refused
# (not a regular file), a serial log that is /dev/zero stops at its cap; each with an error naming it, quickly.
source "$(dirname "$0")/common.sh"
mkfifo "$SCRATCH/fifo"
expect_refusal() {  # expect_refusal NAME PATTERN COMMAND...
    local name="$1" pattern="$2" rc=0 out
    shift 2
    out="$(timeout 20 "$@" 2>&1)" || rc=$?
    [[ "$rc" != 124 ]] || fail "$name: still reading after 20 s"
    [[ "$rc" == 1 ]] || fail "$name: exit $rc, expected 1"
    grep -q "$pattern" <<<"$out" || fail "$name: the error does not say '$pattern': $(tail -3 <<<"$out")"
    echo "== $name: refused ($pattern)"
}
expect_refusal "compile /dev/zero" "/dev/zero is not a regular file" "$PAGEWALK" compile /dev/zero -o "$SCRATCH/p"
expect_refusal "compile FIFO" "fifo is not a regular file" "$PAGEWALK" compile "$SCRATCH/fifo" -o "$SCRATCH/p"
expect_refusal "iso --serial-log /dev/zero" "/dev/zero is larger than 67108864 bytes" \
    "$PAGEWALK" iso --serial-log /dev/zero "$SOURCE_DIR/scenarios/not-present.toml"
if [[ -w /dev/kvm ]]; then  # the KVM launcher reads the guest itself (QEMU reads its own -kernel)
    expect_refusal "boot --guest /dev/zero" "/dev/zero is not a regular file" \
        "$PAGEWALK" boot --backend kvm --guest /dev/zero
fi
