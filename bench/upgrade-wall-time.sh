#!/usr/bin/env bash
# Measures the wall time of `migration-host upgrade` (cinder_initial) on an empty database, per backend.
# SPDX-License-Identifier: Apache-2.0
# Usage: bench/upgrade-wall-time.sh [BUILD_DIR] [RUNS]   (servers are started privately and stopped again)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
runs=${2:-20}
host="$build/bin/migration-host"
state=$(mktemp -d /tmp/mh-bench.XXXXXX)
trap 'tests/support/test-servers stop mariadb "$state" >/dev/null; tests/support/test-servers stop postgresql "$state" >/dev/null; rm -rf "$state"' EXIT
# cinder_initial alone: the default plugin directory also holds cinder_grizzly.
plugins="$state/plugins"
mkdir "$plugins"
cp "$build/lib/migration-host/plugins/cinder_initial.so" "$plugins/"

tests/support/test-servers start mariadb "$state" >/dev/null
tests/support/test-servers start postgresql "$state" >/dev/null
mariadb_admin=$(cat "$state/mariadb.conn")
postgresql_admin=$(cat "$state/postgresql.conn")

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# Prints "min median max" of the numbers on stdin.
summary() { sort -n | awk '{a[NR]=$1} END {printf "min %d ms  median %d ms  max %d ms\n", a[1], a[int((NR+1)/2)], a[NR]}'; }

measure() {
    local backend=$1 times=()
    for ((i = 0; i < runs; i++)); do
        local dsn
        case $backend in
            sqlite)
                rm -f "$state/bench.sqlite"
                dsn="DRIVER=SQLite3;DATABASE=$state/bench.sqlite" ;;
            mariadb)
                # isql sends one statement per line; MariaDB's driver takes one per call.
                printf 'DROP DATABASE IF EXISTS bench\nCREATE DATABASE bench CHARACTER SET utf8mb4\n' |
                    isql -k "$mariadb_admin;DATABASE=mysql" -b >/dev/null
                dsn="$mariadb_admin;DATABASE=bench" ;;
            postgresql)
                isql -k "$postgresql_admin;DATABASE=postgres" -b <<<"DROP DATABASE IF EXISTS bench WITH (FORCE)" >/dev/null
                isql -k "$postgresql_admin;DATABASE=postgres" -b <<<"CREATE DATABASE bench" >/dev/null
                dsn="$postgresql_admin;DATABASE=bench" ;;
        esac
        local start end
        start=$(now_ms)
        "$host" --dsn "$dsn" --no-default-plugins --plugin-path "$plugins" --log-level warn upgrade >/dev/null
        end=$(now_ms)
        times+=($((end - start)))
    done
    printf '%-10s %s runs: ' "$backend" "$runs"
    printf '%s\n' "${times[@]}" | summary
}

echo "migration-host upgrade on an empty database (process start to exit, $(nproc) cores)"
measure sqlite
measure mariadb
measure postgresql
