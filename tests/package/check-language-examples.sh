#!/usr/bin/env bash
# Builds the Rust and Go examples from their installed copies with nothing but the installed plugin.h and the
# SPDX-License-Identifier: Apache-2.0
# languages' own tools (cargo and rustc, go and cgo), with two test plugins built on the examples' wrappers, and runs
# them all in one host on SQLite and, given the test servers' state directory, on MariaDB and PostgreSQL: upgrade,
# downgrade to 0, upgrade again, validate and verify, and the offline SQL of each dialect. Two Go runtimes share the
# process there. Then, on SQLite, what a panic, a crash or an exit in a Rust or Go step does to the run (as
# docs/plugin-authoring.md describes it), and the Go example built with -tags churn, alone and in a fleet run.
# Without rustc, cargo or go it skips (exit 77), except under CI=true, where that is a failure.
# Usage: check-language-examples.sh BUILD_DIR [TEST_SERVERS_STATE_DIR]
set -euo pipefail
build=$(cd "$1" && pwd)
servers=${2:-}
here=$(cd "$(dirname "$0")" && pwd)

fail() { echo "check-language-examples: $*" >&2; exit 1; }
for tool in rustc cargo go; do
    if ! command -v "$tool" >/dev/null; then
        [[ ${CI:-} == true ]] && fail "$tool is missing (packages rustc, cargo, golang-go: scripts/install-deps.sh)"
        echo "check-language-examples: skipped: $tool is missing (packages rustc, cargo, golang-go)"
        exit 77
    fi
done

work=$(mktemp -d /tmp/mh-languages.XXXXXX)
databases=()  # "admin connection string|database" to drop at exit
cleanup() {
    local entry
    for entry in ${databases[@]+"${databases[@]}"}; do
        echo "DROP DATABASE ${entry#*|}" | isql -b -k "${entry%|*}" >/dev/null 2>&1 || true
    done
    rm -rf "$work"
}
trap cleanup EXIT
unset MIGRATION_HOST_DSN MIGRATION_HOST_PLUGIN_PATH MIGRATION_HOST_TEST_MISBEHAVIOUR

# exports_only_entry LIBRARY: the one symbol a plugin exports.
exports_only_entry() {
    [[ $(nm -D --defined-only "$1" | awk '$2 != "A" {print $3}') == migration_host_plugin_entry ]] ||
        fail "$1 exports more than the entry function"
}

# query CONNECTION STATEMENT: the rows, tab-separated, no header.
query() { printf '%s\n' "$2" | isql -b -d$'\t' -x0x09 -k "$1"; }

prefix="$work/prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null
host="$prefix/bin/migration-host"
examples="$prefix/share/doc/migration-host/examples"
export PKG_CONFIG_PATH="$prefix/share/pkgconfig"
# Go's build cache is kept with the build (the first build compiles the runtime for c-shared: about a minute);
# Cargo's home and both tools' downloads stay out of the machine's: the examples need no module and no crate.
export GOCACHE="$build/go-build-cache" GOPATH="$work/go" GOPROXY=off GOTOOLCHAIN=local
export CARGO_HOME="$work/cargo-home" RUSTFLAGS="-D warnings"
echo "check-language-examples: $(rustc --version), $(cargo --version), $(go version)"

plugins="$work/plugins"
mkdir "$plugins"

# The Rust example as its README builds it, with Cargo (the lock file is installed with it: nothing to resolve).
cargo build --release --offline --locked --quiet --manifest-path "$examples/rust-plugin/Cargo.toml" \
    --target-dir "$work/cargo-target"
cp "$work/cargo-target/release/libpantry.so" "$plugins/pantry.so"
# ... and with rustc alone.
mkdir "$work/rustc"
rustc --edition 2021 --crate-type cdylib -O -C strip=symbols -o "$work/rustc/pantry.so" \
    "$examples/rust-plugin/src/lib.rs"

# go_build OUTPUT SOURCE_DIR [GO BUILD ARGUMENTS...]: a c-shared library exporting only the entry function.
go_build() {
    local output=$1 source=$2
    shift 2
    (cd "$source" && go vet "$@" . && go build -buildmode=c-shared "$@" \
        -ldflags="-s -w -extldflags=-Wl,--version-script=$examples/go-plugin/exports.map" -o "$output" .)
}
go_build "$plugins/kanban.so" "$examples/go-plugin"
mkdir "$work/churn"
go_build "$work/churn/kanban.so" "$examples/go-plugin" -tags churn

# The test plugins: their own step, built on the examples' wrappers (misbehaving/), a second Go runtime beside
# kanban's in every run.
mkdir -p "$work/rust-misbehaving" "$work/go-misbehaving"
cp "$here/misbehaving/misbehaving.rs" "$work/rust-misbehaving/lib.rs"
cp "$examples/rust-plugin/src/abi.rs" "$examples/rust-plugin/src/host.rs" "$work/rust-misbehaving/"
rustc --edition 2021 --crate-type cdylib -O -C strip=symbols -o "$plugins/rust_misbehaving.so" \
    "$work/rust-misbehaving/lib.rs"
cp "$here/misbehaving/misbehaving.go" "$examples/go-plugin/go.mod" "$examples/go-plugin/host.go" \
    "$examples/go-plugin/exports.go" "$examples/go-plugin/bridge.c" "$work/go-misbehaving/"
go_build "$plugins/go_misbehaving.so" "$work/go-misbehaving"

for library in "$plugins"/*.so "$work/rustc/pantry.so" "$work/churn/kanban.so"; do
    exports_only_entry "$library"
done
echo "check-language-examples: library sizes (bytes):" \
    "$(cd "$plugins" && stat -c '%n %s' pantry.so kanban.so | paste -sd' ')"

# expect_status HOST_ARGS... -- LINE_PATTERN...: `status` shows every pattern (extended regular expressions).
expect_status() {
    local -a args=()
    while [[ $1 != -- ]]; do args+=("$1"); shift; done
    shift
    local out pattern
    out=$("$host" "${args[@]}" status)
    for pattern in "$@"; do
        grep -Eq "^$pattern$" <<<"$out" || fail "status does not show '$pattern': $out"
    done
}

# run_examples CONNECTION: everything up, checked, down to 0, up again, on one database.
run_examples() {
    local connection=$1 out track
    local -a h=(--no-default-plugins --plugin-path "$plugins" --dsn "$connection")
    out=$("$host" "${h[@]}" plugins)
    for track in pantry kanban rust_misbehaving go_misbehaving; do
        grep -q "^$track " <<<"$out" || fail "the host does not list $track: $out"
    done
    for round in first second; do
        "$host" "${h[@]}" upgrade >/dev/null 2>"$work/upgrade.log" ||
            { cat "$work/upgrade.log" >&2; fail "upgrade ($round round) failed"; }
        expect_status "${h[@]}" -- "pantry +3 +3 +-" "kanban +3 +3 +-" "rust_misbehaving +1 +1 +-" \
            "go_misbehaving +1 +1 +-"
        out=$(query "$connection" "SELECT id, name, quantity FROM pantry_items ORDER BY id")
        [[ $out == $'1\tflour\t2\n2\tbaker\'s yeast\t12\n3\tsalt\t1' ]] || fail "pantry@3 rows: $out"
        out=$(query "$connection" "SELECT id, title, lane, note FROM kanban_cards ORDER BY id")
        [[ $out == "$(printf '%s\t%s\t%s\t%s\n' 1 "Write the plugin" "done" "in Go" 2 "Review the plugin's SQL" doing "" \
            3 "Ship it" todo "with its .so in the host's plugin directory")" ]] || fail "kanban@3 rows: $out"
        "$host" "${h[@]}" validate >/dev/null
        "$host" "${h[@]}" verify >"$work/verify.log" 2>&1 ||
            { cat "$work/verify.log" >&2; fail "verify ($round round)"; }
        if [[ $round == second ]]; then break; fi
        : >"$work/downgrade.log"
        for track in pantry kanban rust_misbehaving go_misbehaving; do
            "$host" "${h[@]}" downgrade "$track@0" >>"$work/downgrade.log" 2>&1 ||
                { cat "$work/downgrade.log" >&2; fail "downgrade $track@0 failed"; }
        done
        grep -q "removing card 2 \"Review the plugin's SQL\" (in doing)" "$work/downgrade.log" ||
            { cat "$work/downgrade.log" >&2; fail "kanban@3's downgrade did not log what it removed"; }
        expect_status "${h[@]}" -- "pantry +0 +3 .*" "kanban +0 +3 .*" "rust_misbehaving +0 +1 .*" \
            "go_misbehaving +0 +1 .*"
        # At 0 nothing of theirs is left.
        out=$("$host" --dsn "$connection" inspect)
        [[ $out == "No tables (other than the host's own)." ]] || fail "tables left at version 0: $out"
    done
}
run_examples "DRIVER=SQLite3;DATABASE=$work/examples.sqlite"
backends=sqlite

if [[ -n $servers ]]; then
    database="mh_languages_$$_$RANDOM"
    for kind in mariadb postgresql; do
        [[ -s $servers/$kind.conn ]] || fail "no $kind server described in $servers"
        admin=$(<"$servers/$kind.conn")
        [[ $kind == postgresql ]] && admin="$admin;DATABASE=postgres"
        echo "CREATE DATABASE $database" | isql -b -k "$admin" >/dev/null || fail "cannot create a $kind database"
        databases+=("$admin|$database")
        run_examples "$(<"$servers/$kind.conn");DATABASE=$database"
        backends+=", $kind"
    done
fi

# Offline, for each dialect, from no database: the steps render, bound values as quoted literals.
for dialect in sqlite mysql postgresql; do
    out=$("$host" --no-default-plugins --plugin-path "$plugins" sql upgrade --dialect "$dialect")
    for statement in "CREATE TABLE pantry_items (id INTEGER NOT NULL, name VARCHAR(80) NOT NULL, PRIMARY KEY (id));" \
        "ALTER TABLE pantry_items ADD COLUMN quantity INTEGER DEFAULT 0 NOT NULL;" \
        "INSERT INTO pantry_items (id, name, quantity) VALUES ('2', 'baker''s yeast', '12');" \
        "INSERT INTO kanban_cards (id, title, lane, note) VALUES ('2', 'Review the plugin''s SQL', 'doing', NULL);" \
        "ALTER TABLE kanban_cards ADD COLUMN lane VARCHAR(16) DEFAULT 'todo' NOT NULL;"; do
        grep -qxF -- "$statement" <<<"$out" || fail "sql upgrade --dialect $dialect lacks: $statement"
    done
done

# misbehave RUST_OR_GO HOW EXPECTED_EXITS EXPECTED_TEXT...: the misbehaving plugin's step, in a host that also
# loaded the examples; the step leaves nothing behind (SQLite rolls it back or it dies with the process).
# EXPECTED_EXITS is an extended regular expression.
misbehave() {
    local language=$1 how=$2 expected_exit=$3 exit_code=0 text
    shift 3
    local -a h=(--no-default-plugins --plugin-path "$plugins" --dsn "DRIVER=SQLite3;DATABASE=$work/misbehaving.sqlite")
    # (The group takes the shell's own "Aborted" or "Segmentation fault" line: the host's are in the log.)
    { MIGRATION_HOST_TEST_MISBEHAVIOUR=$how "$host" "${h[@]}" upgrade "${language}_misbehaving" \
        >"$work/misbehave.log" 2>&1; } 2>/dev/null || exit_code=$?
    [[ $exit_code =~ ^($expected_exit)$ ]] ||
        { cat "$work/misbehave.log" >&2; fail "$language $how: exit $exit_code, expected $expected_exit"; }
    for text in "$@"; do
        grep -qF -- "$text" "$work/misbehave.log" ||
            { cat "$work/misbehave.log" >&2; fail "$language $how: the host did not print: $text"; }
    done
    expect_status "${h[@]}" -- "${language}_misbehaving +0 +1 .*"
}
step_failed="_misbehaving@1 (001_misbehaving) failed: the step panicked:"
# A panic in a step or in a row callback is caught at the boundary: the step fails with its message and the place
# the example's quiet panic hook kept (with RUST_BACKTRACE=1 too: that hook captures no backtrace).
export RUST_BACKTRACE=1
misbehave rust panic 1 "rust$step_failed deliberate panic in a Rust step (at " "rust-misbehaving/lib.rs:"
misbehave rust row_panic 1 "rust$step_failed deliberate panic in a Rust row callback (at " "rust-misbehaving/lib.rs:"
! grep -q "stack backtrace" "$work/misbehave.log" || fail "rust row_panic: a backtrace went to stderr"
unset RUST_BACKTRACE
misbehave go panic 1 "go$step_failed deliberate panic in a Go step; rolled back"
# Go's signal handler turns a nil dereference in Go code into a panic, which the wrapper recovers.
misbehave go nil_pointer 1 "go$step_failed runtime error: invalid memory address or nil pointer dereference"
# A panic in another goroutine cannot be recovered by the step: the Go runtime prints it and aborts the process.
misbehave go goroutine_panic 134 "panic: deliberate panic in a goroutine the step started" \
    "go_misbehaving.so crashed (SIGABRT)"
# A crash in C code: the Go runtime hands the signal to the host's crash report. (In a host built with
# AddressSanitizer the host then hands it to ASan, which reports it and aborts, or exits 1.)
crashed_by_sigsegv=139
[[ $(ldd "$host") == *libasan* ]] && crashed_by_sigsegv="134|1"
misbehave go c_crash "$crashed_by_sigsegv" "go_misbehaving.so crashed (SIGSEGV)"
# os.Exit ends the process directly: the host cannot say a word, and the exit code is the plugin's.
misbehave go exit 3
! grep -q "migration-host: error" "$work/misbehave.log" || fail "go exit: the host was expected to stay silent"

# The Go example built with -tags churn: goroutines allocating and a garbage collection in every step.
churn=(--no-default-plugins --plugin-path "$work/churn" --dsn "DRIVER=SQLite3;DATABASE=$work/churn.sqlite")
"$host" "${churn[@]}" upgrade >/dev/null 2>"$work/churn.log" || { cat "$work/churn.log" >&2; fail "churn upgrade"; }
[[ $(grep -c "churn: 16 goroutines allocated 256 MiB" "$work/churn.log") == 3 ]] ||
    { cat "$work/churn.log" >&2; fail "the churn build did not churn in each of kanban's 3 steps"; }
"$host" "${churn[@]}" downgrade kanban@0 >/dev/null 2>&1
expect_status "${churn[@]}" -- "kanban +0 +3 .*"

# The churn build in a fleet: 16 databases at --jobs 4. The Go runtime's threads exist once the plugin loaded, so
# each database's run executes the host anew (a forked child would wait forever on a lock of a thread it lacks).
: >"$work/churn.targets"
for i in $(seq 1 16); do echo "DRIVER=SQLite3;DATABASE=$work/churn-fleet-$i.sqlite" >>"$work/churn.targets"; done
"$host" --no-default-plugins --plugin-path "$work/churn" --log-level debug upgrade --targets "$work/churn.targets" \
    --jobs 4 >"$work/churn-fleet.log" 2>&1 || { cat "$work/churn-fleet.log" >&2; fail "churn fleet upgrade"; }
grep -q "each database's run executes the host anew" "$work/churn-fleet.log" ||
    { cat "$work/churn-fleet.log" >&2; fail "the churn fleet did not execute the host for each database"; }
for i in $(seq 1 16); do
    expect_status --no-default-plugins --plugin-path "$work/churn" \
        --dsn "DRIVER=SQLite3;DATABASE=$work/churn-fleet-$i.sqlite" -- "kanban +3 +3 +-"
done

echo "language examples passed: Rust (cargo, rustc) and Go (cgo, c-shared; two runtimes in one host) on $backends;" \
    "offline SQL for 3 dialects; panics, crashes and exits as documented; the churn build, alone and in a" \
    "16-database fleet"
