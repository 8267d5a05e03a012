#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# Text from outside is printed escaped: an address argument with invalid UTF-8 gives valid JSON from `inspect
# translate --json`, and terminal escape sequences in an argument or a scenario file name reach neither the console
# nor the JSON raw (no ESC byte in any output).
source "$(dirname "$0")/common.sh"
head -c 65536 /dev/zero >"$SCRATCH/dump.raw"
esc=$'\e[2J'
bad=$'\xff\xfe0x1'
no_escape_byte() {  # no_escape_byte NAME FILE
    if LC_ALL=C grep -q $'\e' "$2"; then fail "$1: a raw ESC byte in the output: $(cat -v "$2")"; fi
}
"$PAGEWALK" inspect translate -q --json "$SCRATCH/dump.raw" --cr3 0x1000 --mode 4level "$bad" "$esc" 0x1000 \
    >"$SCRATCH/json.out" 2>&1 || true
no_escape_byte "inspect --json" "$SCRATCH/json.out"
/usr/bin/python3 -c '
import json, sys
lines = open(sys.argv[1], "rb").read().splitlines()
assert len(lines) == 3, lines
for l in lines: json.loads(l.decode("utf-8"))   # strict: invalid UTF-8 or JSON raises
' "$SCRATCH/json.out" || fail "inspect --json: not valid UTF-8 JSON lines: $(cat -v "$SCRATCH/json.out")"
echo "== inspect translate --json: valid UTF-8 JSON, no ESC"
"$PAGEWALK" inspect translate -q "$SCRATCH/dump.raw" --cr3 0x1000 --mode 4level "$esc" >"$SCRATCH/text.out" 2>&1 || true
no_escape_byte "inspect text" "$SCRATCH/text.out"
grep -qF '\x1b[2J -> invalid' "$SCRATCH/text.out" || fail "inspect text: not shown escaped: $(cat -v "$SCRATCH/text.out")"
"$PAGEWALK" inspect translate -q "$SCRATCH/$esc.raw" --cr3 0x1000 --mode 4level 0x1000 >"$SCRATCH/missing.out" 2>&1 || true
no_escape_byte "inspect of a missing file" "$SCRATCH/missing.out"
echo "== inspect translate: escaped input and file names"

mkdir "$SCRATCH/scenarios"
printf 'rule = \n' >"$SCRATCH/scenarios/$esc.toml"
"$PAGEWALK" list --scenarios "$SCRATCH/scenarios" >"$SCRATCH/list.out" 2>&1 || true
no_escape_byte "list" "$SCRATCH/list.out"
grep -qF '\x1b[2J.toml' "$SCRATCH/list.out" || fail "list: the name is not shown escaped: $(cat -v "$SCRATCH/list.out")"
"$PAGEWALK" run --backend qemu --scenarios "$SCRATCH/scenarios" >"$SCRATCH/run.out" 2>&1 || true
no_escape_byte "run" "$SCRATCH/run.out"
echo "== list and run: scenario file names escaped"
