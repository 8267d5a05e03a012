#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# The compiler refuses what could not be checked, each with file, line and reason: a pa beyond MAXPHYADDR, a poke
# into the guest's own memory, an access expected to raise anything but #PF/#GP, `frames = []`, and a program over
# the step limit (whose message counts the steps the compiler adds).
source "$(dirname "$0")/common.sh"
f="$SCRATCH/s.toml"
map=$'[[step]]\nop = "map"\nva = 0x4000_0000\nframe = 0\nsize = "4K"\nrights = "r"\n'
refused() {  # refused NAME PATTERN STEPS
    printf 'rule = "x"\nmodes = ["4level"]\n%s\n' "$3" >"$f"
    local rc=0 out
    out="$("$PAGEWALK" compile "$f" --mode 4level -o "$SCRATCH/p" 2>&1)" || rc=$?
    [[ "$rc" == 1 ]] || fail "$1: exit $rc (accepted?): $out"
    grep -Eq "^$f:[0-9]+:[0-9]+: .*$2" <<<"$out" || fail "$1: no located '$2': $out"
    echo "== $1: $(head -1 <<<"$out" | sed "s|$SCRATCH/||")"
}
refused "pa beyond MAXPHYADDR" "runs past MAXPHYADDR" \
    $'[[step]]\nop = "map"\nva = 0x4000_0000\npa = 0x000f_ffff_ffff_f000\nsize = "8K"\nrights = "r"'
refused "poke into the guest" "lies in the guest's own memory" $'[[step]]\nop = "poke"\npa = 0x10_0000\nvalue = 1'
refused "fault DE" "raises only #PF or #GP" "$map"$'[[step]]\nop = "read"\nva = 0x4000_0000\nexpect = { fault = "DE" }'
refused "frames = []" "an empty list expects nothing" \
    "$map"$'[[step]]\nop = "read"\nva = 0x4000_0000\nexpect = { ok = true, frames = [] }'
reads=""
for _ in $(seq 4095); do reads+=$'[[step]]\nop = "read"\nva = 0x4000_0000\nexpect = { ok = true, frame = 0 }\n'; done
refused "4096 steps in the file" "4097 program steps \\(the file's 4096 and 1 that tag data frames\\): a program has at most 4096" \
    "$map$reads"
