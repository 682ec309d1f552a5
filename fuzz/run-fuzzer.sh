#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time from its seed corpus; fails, keeping the input, on any finding.
# SPDX-License-Identifier: Apache-2.0
# Usage: run-fuzzer.sh FUZZER SEED_CORPUS_DIR WORK_DIR SECONDS
set -euo pipefail
fuzzer=$1 seeds=$2 work=$3 seconds=$4

# New inputs go to a corpus of this run, never into the checked-in seeds.
rm -rf "$work/corpus"
mkdir -p "$work/corpus" "$work/artifacts"
status=0
"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" "$work/corpus" "$seeds" >"$work/log" 2>&1 || status=$?
stats=$(grep -E '^stat::number_of_executed_units|^stat::new_units_added' "$work/log" | tr '\n' ' ' || true)
if ((status != 0)); then
    tail -n 60 "$work/log"
    echo "fuzz: $(basename "$fuzzer") FAILED (exit $status); inputs that failed: $(ls "$work/artifacts" | tr '\n' ' ')"
    echo "      (in $work/artifacts; reproduce with: $fuzzer FILE)"
    exit 1
fi
echo "fuzz: $(basename "$fuzzer") passed ${seconds} s: $stats"
