#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# `pagewalk iso` empties its work tree (--work-dir, default OUTPUT.d) before building: a non-empty directory it did
# not make is refused unless --force, a tree it made (marker file) is reused, a file there is never removed.
source "$(dirname "$0")/common.sh"
command -v grub-mkrescue >/dev/null && command -v xorriso >/dev/null || skip "no grub-mkrescue/xorriso"
scenario="$SOURCE_DIR/scenarios/not-present.toml"
iso() { "$PAGEWALK" iso --guest "$GUEST" --mode 4level "$scenario" "$@"; }

mkdir "$SCRATCH/mine"
echo keep >"$SCRATCH/mine/precious"
rc=0
out="$(iso --work-dir "$SCRATCH/mine" -o "$SCRATCH/a.iso" 2>&1)" || rc=$?
[[ "$rc" == 1 ]] || fail "a foreign --work-dir: exit $rc"
grep -q "not empty and was not made by pagewalk iso" <<<"$out" || fail "no reason given: $out"
[[ -f "$SCRATCH/mine/precious" ]] || fail "the foreign --work-dir was emptied"
echo "== a non-empty --work-dir pagewalk did not make is refused"

mkdir "$SCRATCH/b.iso.d"
echo keep >"$SCRATCH/b.iso.d/precious"
rc=0
out="$(iso -o "$SCRATCH/b.iso" 2>&1)" || rc=$?
[[ "$rc" == 1 && -f "$SCRATCH/b.iso.d/precious" ]] || fail "a foreign OUTPUT.d: exit $rc, $out"
echo "== a foreign OUTPUT.d is refused"

echo data >"$SCRATCH/plainfile"
rc=0
out="$(iso --work-dir "$SCRATCH/plainfile" --force -o "$SCRATCH/c.iso" 2>&1)" || rc=$?
[[ "$rc" == 1 && "$(cat "$SCRATCH/plainfile")" == data ]] || fail "a file as --work-dir: exit $rc, $out"
echo "== a file as --work-dir is refused, even with --force"

iso --work-dir "$SCRATCH/mine" --force -o "$SCRATCH/a.iso" >/dev/null || fail "--force did not build"
[[ ! -e "$SCRATCH/mine/precious" && -s "$SCRATCH/a.iso" ]] || fail "--force: the tree was not replaced"
iso --work-dir "$SCRATCH/mine" -o "$SCRATCH/a.iso" >/dev/null || fail "pagewalk's own tree was not reused"
mkdir -p "$SCRATCH/empty"
iso --work-dir "$SCRATCH/empty" -o "$SCRATCH/d.iso" >/dev/null || fail "an empty --work-dir was refused"
echo "== --force empties it; pagewalk's own tree and an empty directory are reused"
