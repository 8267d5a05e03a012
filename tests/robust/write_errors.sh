#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# A write that fails (here /dev/full: ENOSPC, seen only at the flush or close) fails the command, naming the file.
source "$(dirname "$0")/common.sh"
[[ -c /dev/full ]] || skip "no /dev/full"
scenario="$SOURCE_DIR/scenarios/not-present.toml"
expect_failure() {  # expect_failure NAME PATTERN COMMAND...
    local name="$1" pattern="$2" rc=0 err
    shift 2
    err="$("$@" 2>&1 >/dev/null)" || rc=$?
    [[ "$rc" != 0 ]] || fail "$name: exit 0 although the write failed"
    grep -q "$pattern" <<<"$err" || fail "$name: the error does not say '$pattern': $err"
    echo "== $name: exit $rc, $pattern"
}
expect_failure "compile -o /dev/full" "cannot write /dev/full" "$PAGEWALK" compile "$scenario" -o /dev/full
expect_failure "list > /dev/full" "cannot write the standard output" sh -c "'$PAGEWALK' list '$scenario' >/dev/full"
if command -v "${PAGEWALK_QEMU:-qemu-system-x86_64}" >/dev/null; then
    run=("$PAGEWALK" run --backend qemu --mode 4level --guest "$GUEST" "$scenario")
    expect_failure "run --junit /dev/full" "cannot write /dev/full" "${run[@]}" --junit /dev/full
    expect_failure "run --tap /dev/full" "cannot write /dev/full" "${run[@]}" --tap /dev/full
    expect_failure "run > /dev/full" "cannot write the standard output" sh -c "$(printf '%q ' "${run[@]}") >/dev/full"
fi
