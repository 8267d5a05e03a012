#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# --timeout of run, boot and iso: NaN, infinities, zero, negative and absurd values are usage errors, before any
# work starts; a sane value is accepted.
source "$(dirname "$0")/common.sh"
missing="$SCRATCH/no-such-scenario.toml"
for cmd in "run $missing" "boot --backend qemu" "iso --check $missing"; do
    for value in nan NaN inf -inf 0 -1 1e300 86401 10x; do
        rc=0
        # shellcheck disable=SC2086
        out="$("$PAGEWALK" $cmd --timeout "$value" 2>&1)" || rc=$?
        [[ "$rc" != 0 && "$rc" != 1 ]] || fail "pagewalk $cmd --timeout $value: exit $rc (not a usage error): $out"
        grep -q -- "--timeout" <<<"$out" || fail "pagewalk $cmd --timeout $value: the error does not name --timeout: $out"
    done
done
rc=0
out="$("$PAGEWALK" run "$missing" --timeout 0.5 2>&1)" || rc=$?
# A missing scenario file is a usage error (exit 2), found after the options were accepted.
[[ "$rc" == 2 && "$out" == *"no such file"* ]] ||
    fail "run --timeout 0.5 should be accepted (then fail on the missing file): exit $rc: $out"
echo "every absurd --timeout is a usage error"
