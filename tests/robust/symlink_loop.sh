#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# A symlink loop in the scenario directory (and a scenario directory that is one): list, run and iso report the
# entry and the reason, fail (exit 1), and never abort on an uncaught std::filesystem::filesystem_error.
source "$(dirname "$0")/common.sh"
dir="$SCRATCH/scenarios"
mkdir "$dir"
cp "$SOURCE_DIR/scenarios/not-present.toml" "$dir/"
ln -s loop.toml "$dir/loop.toml"
ln -s b.toml "$dir/a.toml"
ln -s a.toml "$dir/b.toml"
ln -s loopdir "$SCRATCH/loopdir"

check() {  # check NAME EXPECTED_PATTERN COMMAND... (exit 1; EXPECT_RC=2 for a usage error)
    local name="$1" pattern="$2" rc=0 out want="${EXPECT_RC:-1}"
    shift 2
    out="$("$@" 2>&1)" || rc=$?
    echo "$out" | tail -5
    grep -q "filesystem_error\|terminate called" <<<"$out" && fail "$name: uncaught exception"
    [[ "$rc" == "$want" ]] || fail "$name: exit $rc, expected $want"
    grep -Eq "$pattern" <<<"$out" || fail "$name: the error does not say $pattern"
    echo "== $name: exit $want, located error"
}
loop="loop.toml.*Too many levels of symbolic links"
check "list" "$loop" "$PAGEWALK" list --scenarios "$dir" --backend qemu
check "list a/b" "a.toml.*Too many levels" "$PAGEWALK" list --scenarios "$dir" --backend qemu
check "iso --serial-log" "$loop" "$PAGEWALK" iso --serial-log /dev/null --scenarios "$dir"
# A --scenarios that is no readable directory is a usage error (exit 2).
EXPECT_RC=2 check "list of a loop directory" "loopdir: Too many levels of symbolic links" \
    "$PAGEWALK" list --scenarios "$SCRATCH/loopdir"
EXPECT_RC=2 check "run of a loop directory" "loopdir: Too many levels of symbolic links" \
    "$PAGEWALK" run --scenarios "$SCRATCH/loopdir" --backend qemu
if command -v "${PAGEWALK_QEMU:-qemu-system-x86_64}" >/dev/null; then
    check "run" "$loop" "$PAGEWALK" run --scenarios "$dir" --backend qemu --mode 4level --guest "$GUEST"
fi
