#!/usr/bin/env bash
# Installs migration-host into a temporary prefix and uses nothing else: builds an outside plugin (widgets) and the
# SPDX-License-Identifier: Apache-2.0
# installed examples (with CMake, and the C one also with cc and pkg-config), installs the examples beside the host,
# and runs the installed host with them and the installed Cinder plugins on SQLite and, given the test servers' state
# directory, on MariaDB and PostgreSQL. Then the whole prefix moves, and the package must follow it.
# Usage: check-package.sh BUILD_DIR [TEST_SERVERS_STATE_DIR]
set -euo pipefail
build=$1
servers=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/mh-package.XXXXXX)
databases=()  # "admin connection string|database" to drop at exit
cleanup() {
    local entry
    for entry in ${databases[@]+"${databases[@]}"}; do
        echo "DROP DATABASE ${entry#*|}" | isql -b -k "${entry%|*}" >/dev/null 2>&1 || true
    done
    rm -rf "$work"
}
trap cleanup EXIT
unset MIGRATION_HOST_DSN MIGRATION_HOST_PLUGIN_PATH
fail() { echo "check-package: $*" >&2; exit 1; }

# exports_only_entry LIBRARY: the one symbol a plugin exports.
exports_only_entry() {
    [[ $(nm -D --defined-only "$1" | awk '$2 != "A" {print $3}') == migration_host_plugin_entry ]] ||
        fail "$1 exports more than the entry function"
}

# sql CONNECTION STATEMENT...: runs statements through unixODBC's isql.
sql() {
    local connection=$1
    shift
    printf '%s\n' "$@" | isql -b -k "$connection" >/dev/null || fail "isql could not run: $*"
}

# query CONNECTION STATEMENT: the rows, tab-separated, no header.
query() { printf '%s\n' "$2" | isql -b -d$'\t' -x0x09 -k "$1"; }

prefix="$work/prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null
host="$prefix/bin/migration-host"
examples="$prefix/share/doc/migration-host/examples"
header_abi=$(awk '/^#define MH_ABI_VERSION_MAJOR/ {major = $3} /^#define MH_ABI_VERSION_MINOR/ {minor = $3}
                  END {sub("u", "", major); sub("u", "", minor); print major "." minor}' \
    "$prefix/include/migration_host/plugin.h")

# check_package_config PREFIX: what find_package(MigrationHost) and pkg-config say about PREFIX's installation.
check_package_config() {
    local at=$1 out="$work/widgets-$RANDOM"
    cmake -S "$here" -B "$out" -G Ninja -DCMAKE_PREFIX_PATH="$at" -DEXPECTED_PREFIX="$at" \
        -DEXPECTED_ABI_VERSION="$header_abi" >"$out.log" 2>&1 || { cat "$out.log" >&2; fail "widgets: configure"; }
    cmake --build "$out" >/dev/null
    exports_only_entry "$out/widgets.so"
    local pc
    pc=$(PKG_CONFIG_PATH="$at/share/pkgconfig" pkg-config --variable=plugindir migration-host-sdk)
    [[ $(realpath -m "$pc") == "$at/lib/migration-host/plugins" ]] || fail "pkg-config plugindir is $pc, not under $at"
    read -r pc _ <<<"$(PKG_CONFIG_PATH="$at/share/pkgconfig" pkg-config --cflags migration-host-sdk)"
    [[ $(realpath -m "${pc#-I}") == "$at/include" ]] || fail "pkg-config cflags are $pc, not -I$at/include"
    pc=$(PKG_CONFIG_PATH="$at/share/pkgconfig" pkg-config --variable=abi_version migration-host-sdk)
    [[ $pc == "$header_abi" ]] || fail "pkg-config abi_version is $pc, the header says $header_abi"
    widgets="$out"
}
check_package_config "$prefix"

cd "$work"
# The installed host finds the installed Cinder plugins on its own (../lib/migration-host/plugins).
listing=$("$host" plugins)
grep -q "^cinder_initial " <<<"$listing" || fail "installed host does not find cinder_initial"
grep -q "^cinder_grizzly " <<<"$listing" || fail "installed host does not find cinder_grizzly"
"$host" --no-default-plugins --plugin-path "$widgets" upgrade
status=$("$host" --no-default-plugins --plugin-path "$widgets" status)
grep -Eq "^widgets +1 +1 +-$" <<<"$status" || fail "widgets not at 1 after upgrade: $status"
"$host" --no-default-plugins --plugin-path "$widgets" downgrade widgets@0

# The examples, from their installed copies, built as their READMEs' readers would (warnings are errors here), and
# installed into the prefix, where the host looks.
for example in c-plugin cpp-plugin; do
    cmake -S "$examples/$example" -B "$work/$example" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" \
        -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_C_FLAGS=-Werror -DCMAKE_CXX_FLAGS=-Werror \
        >"$work/$example.log" 2>&1 || { cat "$work/$example.log" >&2; fail "$example: configure"; }
    cmake --build "$work/$example" >"$work/$example.log" 2>&1 || { cat "$work/$example.log" >&2; fail "$example: build"; }
    cmake --install "$work/$example" >/dev/null
done
for library in guestbook bookshelf; do
    [[ -f $prefix/lib/migration-host/plugins/$library.so ]] || fail "cmake --install did not put $library.so beside cinder"
    exports_only_entry "$prefix/lib/migration-host/plugins/$library.so"
done

# The C example again, without CMake.
mkdir "$work/pc"
cc -std=c99 -Wall -Wextra -pedantic -Wmissing-prototypes -Werror -shared -fPIC -fvisibility=hidden \
    $(PKG_CONFIG_PATH="$prefix/share/pkgconfig" pkg-config --cflags migration-host-sdk) \
    -o "$work/pc/guestbook.so" "$examples/c-plugin/guestbook.c"
exports_only_entry "$work/pc/guestbook.so"
# Only this directory: the prefix's own plugin directory holds the CMake-built guestbook.so too.
pc_only=(--no-default-plugins --plugin-path "$work/pc" --dsn "DRIVER=SQLite3;DATABASE=$work/pc.sqlite")
"$host" "${pc_only[@]}" upgrade
grep -Eq "^guestbook +2 +2 +-$" <<<"$("$host" "${pc_only[@]}" status)" ||
    fail "the pkg-config build of guestbook did not reach guestbook@2"

# run_examples CONNECTION: both examples up, through bookshelf's data migration, and down; Cinder to 9.
run_examples() {
    local connection=$1 out
    local -a h=("$host" --dsn "$connection")
    listing=$("${h[@]}" plugins)
    for id in guestbook bookshelf cinder_initial cinder_grizzly; do
        grep -q "^$id " <<<"$listing" || fail "installed host does not list $id"
    done
    "${h[@]}" upgrade guestbook bookshelf@3 >/dev/null
    sql "$connection" "INSERT INTO authors (id, name) VALUES (1, 'Tove Jansson')" \
        "INSERT INTO authors (id, name) VALUES (2, 'Flann O''Brien')" "INSERT INTO authors (id, name) VALUES (3, 'Homer')" \
        "INSERT INTO books (id, author_id, title, isbn) VALUES (1, 2, 'The Third Policeman', '978-1-56478-214-1')"
    "${h[@]}" upgrade >/dev/null
    out=$(query "$connection" "SELECT id, sort_name FROM authors ORDER BY id")
    [[ $out == $'1\tJansson, Tove\n2\tO\'Brien, Flann\n3\tHomer' ]] || fail "bookshelf@4 sort names: $out"
    out=$(query "$connection" "SELECT name, value FROM guestbook_settings ORDER BY name")
    [[ $out == $'moderator\t\ntitle\tGuestbook' ]] || fail "guestbook@2 settings: $out"
    out=$("${h[@]}" status)
    grep -Eq "^bookshelf +4 +4 +-$" <<<"$out" && grep -Eq "^guestbook +2 +2 +-$" <<<"$out" &&
        grep -Eq "^cinder +9 +9 +-$" <<<"$out" || fail "not everything at its latest: $out"
    "${h[@]}" validate >/dev/null
    "${h[@]}" downgrade bookshelf@0 >/dev/null
    "${h[@]}" downgrade guestbook@0 >/dev/null
    out=$("${h[@]}" status)
    grep -Eq "^bookshelf +0 +4 " <<<"$out" && grep -Eq "^guestbook +0 +2 " <<<"$out" ||
        fail "examples not back at 0: $out"
}
run_examples "DRIVER=SQLite3;DATABASE=$work/examples.sqlite"
backends=sqlite

if [[ -n $servers ]]; then
    database="mh_package_$$_$RANDOM"
    for kind in mariadb postgresql; do
        [[ -s $servers/$kind.conn ]] || fail "no $kind server described in $servers"
        admin=$(<"$servers/$kind.conn")
        [[ $kind == postgresql ]] && admin="$admin;DATABASE=postgres"
        sql "$admin" "CREATE DATABASE $database"
        databases+=("$admin|$database")
        run_examples "$(<"$servers/$kind.conn");DATABASE=$database"
        backends+=", $kind"
    done
fi

# Another prefix: the package, the pkg-config file and the host all follow the installation.
mv "$prefix" "$work/moved"
prefix="$work/moved"
host="$prefix/bin/migration-host"
check_package_config "$prefix"
grep -q "^bookshelf " <<<"$("$host" plugins)" || fail "the moved host does not find the moved plugins"

echo "package check passed: installed host, Cinder plugins, widgets and both examples (CMake, pkg-config) on $backends; relocated"
