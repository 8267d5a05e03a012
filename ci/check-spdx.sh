#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# Every source file the repository tracks carries an SPDX-License-Identifier line in its first three lines
# (the project is "MIT OR Apache-2.0": LICENSE-MIT, LICENSE-APACHE). Test data (fuzz corpora, deliberately broken
# scenarios) is exempt; the framebuffer console's font keeps its own licence (OFL-1.1, Terminus Font), which its
# SPDX line must name. Prints each file that lacks it; exit 1 if any does.
set -euo pipefail
cd "${1:-$(dirname "${BASH_SOURCE[0]}")/..}"
if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    echo "SKIP: not a git checkout, so there is no list of tracked files to check"
    exit 77
fi
missing=0
while IFS= read -r -d '' f; do
    case "$f" in
        tests/fuzz/corpus/* | tests/scenarios/*) continue ;;
    esac
    [[ -L "$f" ]] && continue
    licence='MIT OR Apache-2.0'
    [[ "$f" == harness/include/pagewalk/harness/font8x16.hpp ]] && licence='OFL-1.1'
    if ! head -n 3 -- "$f" | grep -q "SPDX-License-Identifier: $licence"; then
        echo "no SPDX-License-Identifier: $licence line at the top of $f"
        missing=1
    fi
done < <(git ls-files -z -- '*.cpp' '*.hpp' '*.h' '*.S' '*.ld' '*.cmake' '*.cmake.in' '*CMakeLists.txt' '*.sh' \
                             '*.yml' 'scenarios/*.toml' run.sh .ci/run)
exit "$missing"
