#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# `iso --serial-log` judges one boot: a capture with a second (truncated) boot, or a FAIL line after the guest's
# summary, fails with the line that breaks the rule; NUL bytes before lines (line noise at power-up) are tolerated.
source "$(dirname "$0")/common.sh"
need_qemu
command -v grub-mkrescue >/dev/null && command -v xorriso >/dev/null || skip "no grub-mkrescue/xorriso"
files=("$SOURCE_DIR/scenarios/not-present.toml" "$SOURCE_DIR/scenarios/nx-fetch.toml")
"$PAGEWALK" iso --guest "$GUEST" --grub-timeout 0 --mode 4level -o "$SCRATCH/t.iso" "${files[@]}" >/dev/null
timeout 60 "${PAGEWALK_QEMU:-qemu-system-x86_64}" -accel tcg -cpu max -m 128 -nodefaults -display none \
    -serial "file:$SCRATCH/cap.log" -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=4 -cdrom "$SCRATCH/t.iso" ||
    true
grep -q "^pagewalk: 2 passed, 0 failed, 0 skipped (2 programs)" "$SCRATCH/cap.log" || fail "no capture: $(tail -3 "$SCRATCH/cap.log")"
check() {  # check NAME WANT_EXIT PATTERN LOG
    local rc=0 out
    out="$("$PAGEWALK" iso --serial-log "$4" --mode 4level "${files[@]}" 2>&1)" || rc=$?
    [[ "$rc" == "$2" ]] || fail "$1: exit $rc, expected $2: $(tail -4 <<<"$out")"
    grep -q "$3" <<<"$out" || fail "$1: the report does not say '$3': $(tail -4 <<<"$out")"
    echo "== $1: exit $rc"
}
check "the capture as it is" 0 "ISO check passed" "$SCRATCH/cap.log"

{ cat "$SCRATCH/cap.log"; echo "[  2/2] FAIL  4level  nx-fetch                                 step 3 failed"; } >"$SCRATCH/fail-after.log"
check "a FAIL line after the summary" 1 "cap.log\|fail-after.log:[0-9]*: a line after the guest's summary" \
    "$SCRATCH/fail-after.log"

lines=$(wc -l <"$SCRATCH/cap.log")
{ cat "$SCRATCH/cap.log"; head -n $((lines / 2)) "$SCRATCH/cap.log"; } >"$SCRATCH/two-boots.log"
check "a second, truncated boot" 1 "two-boots.log:$((lines + 1)): a line after the guest's summary" \
    "$SCRATCH/two-boots.log"

{ head -n $((lines / 2)) "$SCRATCH/cap.log"; cat "$SCRATCH/cap.log"; } >"$SCRATCH/restart.log"
check "a reboot before the summary" 1 "restart.log:[0-9]*: the record stream breaks here" "$SCRATCH/restart.log"

sed 's/^/\x00/' "$SCRATCH/cap.log" >"$SCRATCH/nul.log"
check "a NUL byte before every line" 0 "ISO check passed" "$SCRATCH/nul.log"
