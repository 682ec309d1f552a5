#!/usr/bin/env bash
# Installs everything, builds with warnings as errors, and runs the whole suite (SQLite, MariaDB, PostgreSQL),
# SPDX-License-Identifier: Apache-2.0
# then again under AddressSanitizer and UndefinedBehaviorSanitizer, then runs each libFuzzer target for a bounded time.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh --with-servers --with-fuzzers
jobs=$(nproc)

# ccache (installed with the test dependencies) keeps compiled objects between runs, in clones at any path
# (base_dir makes the paths it hashes relative to the clone): a run recompiles only what changed since the last.
# The build is no less checked: an object is reused only for the same preprocessed source and flags.
launcher=()
if command -v ccache >/dev/null; then
    export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
    launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi

run_suite() {
    local dir=$1
    shift
    cmake -S . -B "$dir" -G Ninja -DMIGRATION_HOST_WERROR=ON "${launcher[@]}" "$@" >/dev/null
    cmake --build "$dir" -j "$jobs"
    (cd "$dir" && ctest -j "$jobs" --output-on-failure --timeout 600)
}

echo "== build and test (Release, as the quickstart builds, -Werror)"
run_suite build-test -DCMAKE_BUILD_TYPE=Release

if [[ "${MIGRATION_HOST_SKIP_SANITIZERS:-}" != "1" ]]; then
    echo "== build and test (ASan + UBSan)"
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:suppressions=$PWD/tests/support/lsan.supp"
    export LSAN_OPTIONS="suppressions=$PWD/tests/support/lsan.supp:print_suppressions=0"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
    run_suite build-sanitize -DCMAKE_BUILD_TYPE=Debug -DMIGRATION_HOST_SANITIZE=ON -DMIGRATION_HOST_WERROR=OFF
fi

if [[ "${MIGRATION_HOST_SKIP_FUZZERS:-}" != "1" ]]; then
    # Builds only the fuzz targets and the host sources they use (no tests, no plugins); ctest prints one line per
    # target, and any crash or broken property fails the run, keeping the input under build-fuzz/fuzz/runs/.
    fuzz_seconds=${MIGRATION_HOST_FUZZ_SECONDS:-30}
    echo "== fuzz (libFuzzer + ASan + UBSan, ${fuzz_seconds} s per target)"
    cmake -S . -B build-fuzz -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
        -DCMAKE_BUILD_TYPE=Release -DMIGRATION_HOST_BUILD_FUZZERS=ON -DMIGRATION_HOST_FUZZ_SECONDS="$fuzz_seconds" \
        -DMIGRATION_HOST_BUILD_TESTS=OFF -DMIGRATION_HOST_BUILD_BENCH=OFF "${launcher[@]}" >/dev/null
    cmake --build build-fuzz -j "$jobs" --target fuzzers
    (cd build-fuzz && ctest -j "$jobs" --output-on-failure)
fi
