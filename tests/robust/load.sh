#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# Load (label slow): 500 scenario runs with --jobs 4 on each available backend leak nothing — the same descriptors,
# mappings, threads and children (none) in pagewalk before and after (PAGEWALK_RESOURCE_REPORT), nothing under its pid in
# /dev/shm or /tmp, an empty TMPDIR afterwards — and two runs at once share nothing (each its own private
# directory; both pass). Prints the figures.
source "$(dirname "$0")/common.sh"
export TMPDIR="$SCRATCH/tmp"
mkdir -m 0700 "$TMPDIR"
# 4-level scenarios (KVM runs those here), repeated up to 500 runs.
mapfile -t pool < <(grep -l '"4level"\|modes = "all"' "$SOURCE_DIR"/scenarios/*.toml)
((${#pool[@]} > 0)) || fail "no 4-level scenarios"
# 500 distinct paths (a selection names each file once): links to the pool's files, repeated.
mkdir "$SCRATCH/load-scenarios"
files=()
while ((${#files[@]} < 500)); do
    i=${#files[@]}
    ln -s "${pool[i % ${#pool[@]}]}" "$SCRATCH/load-scenarios/$i.toml"
    files+=("$SCRATCH/load-scenarios/$i.toml")
done

# resources BACKEND N OUT: runs the first N files, leaves the exit status in $rc and the resource figures in
# $fds_after, $maps_after, $threads_before, $threads_after, $children_after.
resources() {
    local start end
    rc=0
    start=$(date +%s%N)
    PAGEWALK_RESOURCE_REPORT=1 "$PAGEWALK" run --backend "$1" --mode 4level --jobs 4 --skip-if-unavailable \
        --guest "$GUEST" "${files[@]:0:$2}" >"$3" 2>&1 &
    run_pid=$!
    wait "$run_pid" || rc=$?
    end=$(date +%s%N)
    elapsed_ms=$(((end - start) / 1000000))
    [[ "$rc" == 77 ]] && return
    local res re='fds ([0-9]+) -> ([0-9]+), mappings ([0-9]+) -> ([0-9]+), threads ([0-9]+) -> ([0-9]+), children ([0-9]+) -> ([0-9]+)'
    res="$(grep "^pagewalk resources:" "$3")" || fail "$1: no resource report: $(tail -3 "$3")"
    [[ "$res" =~ $re ]] || fail "$1: unreadable resource report: $res"
    fds_after=${BASH_REMATCH[2]} maps_after=${BASH_REMATCH[4]} threads_before=${BASH_REMATCH[5]}
    threads_after=${BASH_REMATCH[6]} children_after=${BASH_REMATCH[8]}
    echo "$1, $2 runs: $res"
}

# What a process keeps once (KVM's /dev/kvm descriptor, the allocator's arenas) is there after 20 runs; a leak per
# run would grow by hundreds between 20 and 500.
load_run() {  # load_run BACKEND
    resources "$1" 20 "$SCRATCH/warm-$1.out"
    if [[ "$rc" == 77 ]]; then
        echo "== $1: SKIP ($(grep SKIP "$SCRATCH/warm-$1.out"))"
        return
    fi
    local warm_fds=$fds_after warm_maps=$maps_after
    resources "$1" 500 "$SCRATCH/load-$1.out"
    tail -2 "$SCRATCH/load-$1.out"
    [[ "$rc" == 0 ]] || fail "$1: exit $rc"
    grep -q "^500 scenario runs" "$SCRATCH/load-$1.out" || fail "$1: not 500 runs"
    [[ "$fds_after" == "$warm_fds" ]] || fail "$1: descriptors grow with runs: $warm_fds after 20, $fds_after after 500"
    [[ "$threads_after" == "$threads_before" ]] || fail "$1: threads left: $threads_before -> $threads_after"
    [[ "$children_after" == 0 ]] || fail "$1: child processes left: $children_after"
    ((maps_after <= warm_maps + 32)) || fail "$1: mappings grow with runs: $warm_maps after 20, $maps_after after 500"
    [[ -z "$(ls -A "$TMPDIR")" ]] || fail "$1: left in TMPDIR: $(ls -A "$TMPDIR")"
    [[ -z "$(entries_of_pid "$run_pid")" ]] || fail "$1: left in /dev/shm or /tmp: $(entries_of_pid "$run_pid")"
    echo "== $1: 500 runs in $((elapsed_ms / 1000)).$(printf '%03d' $((elapsed_ms % 1000))) s, nothing leaked"
}
load_run kvm
load_run qemu

# Two runs at once: each has its own private directory (two appear in TMPDIR), both pass, nothing remains.
if command -v "${PAGEWALK_QEMU:-qemu-system-x86_64}" >/dev/null; then
    two=("${files[@]:0:40}")
    "$PAGEWALK" run --backend qemu --mode 4level --jobs 2 --guest "$GUEST" "${two[@]}" >"$SCRATCH/a.out" 2>&1 &
    a=$!
    "$PAGEWALK" run --backend qemu --mode 4level --jobs 2 --guest "$GUEST" "${two[@]}" >"$SCRATCH/b.out" 2>&1 &
    b=$!
    most=0
    while kill -0 "$a" 2>/dev/null || kill -0 "$b" 2>/dev/null; do
        n=$(find "$TMPDIR" -maxdepth 1 -name 'pagewalk-*' | wc -l)
        ((n > most)) && most=$n
        sleep 0.1
    done
    wait "$a" || fail "the first of two concurrent runs failed: $(tail -3 "$SCRATCH/a.out")"
    wait "$b" || fail "the second of two concurrent runs failed: $(tail -3 "$SCRATCH/b.out")"
    ((most == 2)) || fail "two concurrent runs should have two private directories, saw at most $most"
    [[ -z "$(ls -A "$TMPDIR")" ]] || fail "left in TMPDIR after two runs: $(ls -A "$TMPDIR")"
    echo "== two concurrent runs: two private directories, both passed, nothing left"
fi
