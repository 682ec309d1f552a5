#!/usr/bin/env bash
# Builds the Debian packages with CPack, has lintian judge them (any error fails), installs them into this machine
# SPDX-License-Identifier: Apache-2.0
# with dpkg -i, runs the installed /usr/bin/migration-host with the installed Cinder plugins on a temporary SQLite
# database, checks its output against the installed JSON Schemas, opens its manual page and calls its bash completion,
# builds the installed examples against the installed SDK (CMake and pkg-config) and ships one as its own .deb as
# docs/plugin-authoring.md shows, then removes and purges everything and checks that no file of the packages is left.
# The machine is left as it was found, also on failure or interruption (and a run killed outright is cleaned up by
# the next one), and a lock keeps the suites of several builds on one machine from installing at the same time.
# Needs root, dpkg, dpkg-dev and lintian: without them it skips (exit 77), except under CI=true, where that is a
# failure.
# Usage: check-deb.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
lock=/tmp/migration-host-deb-test.lock
state=/tmp/migration-host-deb-test.installed  # the packages this test has installed and not yet purged

fail() { echo "check-deb: $*" >&2; exit 1; }
skip() {
    [[ ${CI:-} == true ]] && fail "cannot run under CI: $*"
    echo "check-deb: skipped: $*"
    exit 77
}
[[ $(id -u) -eq 0 ]] || skip "installing packages needs root"
for tool in dpkg dpkg-deb dpkg-query dpkg-shlibdeps file cpack flock pkg-config lintian; do
    command -v "$tool" >/dev/null ||
        skip "$tool is missing (packages dpkg, dpkg-dev, file, cmake, util-linux, pkgconf, lintian)"
done

exec 9>"$lock"
flock -w 600 9 || fail "another build's package test has held $lock for 10 minutes"

work=$(mktemp -d /tmp/mh-deb.XXXXXX)
unset MIGRATION_HOST_DSN MIGRATION_HOST_PLUGIN_PATH

# dpkg_run ARGS...: dpkg, waiting (up to 5 minutes) while another package manager holds dpkg's own lock.
dpkg_run() {
    local attempt
    for attempt in $(seq 60); do
        if dpkg "$@" >"$work/dpkg.log" 2>&1; then return 0; fi
        grep -q "locked by another process" "$work/dpkg.log" || break
        sleep 5
    done
    cat "$work/dpkg.log" >&2
    return 1
}

# purge_recorded: removes and purges every package named in $state, the later-installed first.
purge_recorded() {
    [[ -s $state ]] || return 0
    local -a recorded
    mapfile -t recorded < <(tac "$state")
    dpkg_run --purge "${recorded[@]}" || { echo "check-deb: could not purge ${recorded[*]}" >&2; return 1; }
    rm -f "$state"
}

cleanup() {
    local status=$?
    trap - EXIT INT TERM HUP
    purge_recorded || status=1
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

if [[ -s $state ]]; then
    echo "check-deb: purging $(tr '\n' ' ' <"$state")left by an earlier run that was killed"
    purge_recorded
fi

# paths_of DEB: every path the package holds, absolute, directories included.
paths_of() { dpkg-deb --fsys-tarfile "$1" | tar -t | sed -E 's|^\./|/|; s|(.)/$|\1|'; }

# install_debs DEB...: installs packages that are not on this machine yet and whose files do not exist either
# (dpkg would silently take over files that no package owns), recording them in $state first.
install_debs() {
    local deb package path
    for deb in "$@"; do
        package=$(dpkg-deb -f "$deb" Package)
        if dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null | grep -qv '^not-installed$'; then
            fail "$package is already on this machine; this test installs and purges its own build only"
        fi
        while IFS= read -r path; do
            if [[ -e $path || -L $path ]]; then
                if [[ ! -d $path || -L $path ]]; then fail "$path (from $package) already exists on this machine"; fi
            else
                echo "$path" >>"$work/new-paths"
            fi
        done < <(paths_of "$deb")
        echo "$package" >>"$state"
    done
    dpkg_run -i "$@" || fail "dpkg -i $* failed"
}

# listed_files PACKAGE...: what dpkg says it installed for them, for the check after purging.
listed_files() { dpkg -L "$@" >>"$work/installed-paths"; }

version=$(sed -nE 's/^set\(CPACK_PACKAGE_VERSION "([^"]+)"\)$/\1/p' "$build/CPackConfig.cmake")
[[ -n $version ]] || fail "no CPACK_PACKAGE_VERSION in $build/CPackConfig.cmake"
arch=$(dpkg --print-architecture)

echo "== building the packages"
cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/debs" >"$work/cpack.log" 2>&1 ||
    { cat "$work/cpack.log" >&2; fail "cpack failed"; }
host_deb="$work/debs/migration-host_${version}_${arch}.deb"
dev_deb="$work/debs/migration-host-dev_${version}_all.deb"
cinder_deb="$work/debs/migration-host-plugin-cinder_${version}_${arch}.deb"
for deb in "$host_deb" "$dev_deb" "$cinder_deb"; do
    [[ -f $deb ]] || fail "cpack did not make $(basename "$deb"): $(ls "$work/debs")"
    package=$(dpkg-deb -f "$deb" Package)
    paths_of "$deb" | grep -qx "/usr/share/doc/$package/copyright" || fail "$package has no copyright file"
    # Native packages (no Debian revision) carry their changelog as changelog.gz, whose latest entry is this version.
    changelog_head=$(dpkg-deb --fsys-tarfile "$deb" | tar -xOf - "./usr/share/doc/$package/changelog.gz" | gzip -dc |
        sed -n 1p) || fail "$package has no changelog.gz"
    [[ $changelog_head == "migration-host ($version) "* ]] ||
        fail "$package's changelog does not start with version $version: $changelog_head"
done

echo "== lintian"
# Errors fail the test; warnings are printed (without the note that lintian runs as root).
if ! lintian --fail-on error "$host_deb" "$dev_deb" "$cinder_deb" >"$work/lintian.log" 2>&1; then
    cat "$work/lintian.log" >&2
    fail "lintian finds errors in the packages"
fi
grep -v "^running with root privileges" "$work/lintian.log" || true

# in_list LIST NAME: NAME is one of the packages of a Depends or Recommends field.
in_list() { tr ',' '\n' <<<"$1" | sed -E 's/^ *//; s/ .*//' | grep -qxF "$2"; }
depends=$(dpkg-deb -f "$host_deb" Depends)
# The SQLite driver: the embedded default needs it, also where Recommends are not installed.
for needed in unixodbc libodbc2 libstdc++6 libsqliteodbc; do
    in_list "$depends" "$needed" || fail "migration-host does not depend on $needed: $depends"
done
recommends=$(dpkg-deb -f "$host_deb" Recommends)
for driver in odbc-mariadb odbc-postgresql; do
    in_list "$recommends" "$driver" || fail "migration-host does not recommend $driver: $recommends"
done
grep -q "^migration-host (>= $version)" <<<"$(dpkg-deb -f "$cinder_deb" Depends)" ||
    fail "migration-host-plugin-cinder does not depend on migration-host: $(dpkg-deb -f "$cinder_deb" Depends)"
paths_of "$cinder_deb" | grep -qx /usr/lib/migration-host/plugins/cinder_grizzly.so || fail "cinder_grizzly.so not packaged"
paths_of "$host_deb" | grep -qx /usr/share/doc/migration-host/NOTICE || fail "NOTICE not packaged"
# The manual page (help2man must have been there at build time) and the completion scripts.
for path in /usr/share/man/man1/migration-host.1.gz /usr/share/bash-completion/completions/migration-host \
    /usr/share/zsh/vendor-completions/_migration-host; do
    paths_of "$host_deb" | grep -qx "$path" || fail "$path not packaged (help2man is needed for the manual page)"
done
# The JSON Schemas of --format json, every one of docs/schemas.
schemas=/usr/share/migration-host/schemas
source_schemas="$(cd "$(dirname "$0")/../../docs/schemas" && pwd)"
schema_checker="$(cd "$(dirname "$0")/../support" && pwd)/check-json-schema"
schema_files=("$source_schemas"/*.schema.json)
[[ -e ${schema_files[0]} ]] || fail "no schemas in $source_schemas"
for schema in "${schema_files[@]}"; do
    paths_of "$host_deb" | grep -qx "$schemas/$(basename "$schema")" || fail "$schemas/$(basename "$schema") not packaged"
done

echo "== installing them with dpkg -i"
install_debs "$host_deb" "$dev_deb" "$cinder_deb"
listed_files migration-host migration-host-dev migration-host-plugin-cinder

echo "== the installed host with the installed plugins"
mkdir "$work/run" && cd "$work/run"
/usr/bin/migration-host --version | grep -q "$version" || fail "installed host is not version $version"
listing=$(/usr/bin/migration-host plugins)
grep -q "library: /usr/lib/migration-host/plugins/cinder_initial.so" <<<"$listing" &&
    grep -q "library: /usr/lib/migration-host/plugins/cinder_grizzly.so" <<<"$listing" ||
    fail "the installed host does not find the installed Cinder plugins: $listing"
dsn="DRIVER=SQLite3;DATABASE=$work/run/cinder.sqlite"
/usr/bin/migration-host --dsn "$dsn" upgrade cinder@9
status=$(/usr/bin/migration-host --dsn "$dsn" status)
echo "$status"
grep -Eq "^cinder +9 +9 +-$" <<<"$status" || fail "cinder is not at 9"

echo "== the installed JSON Schemas"
for schema in "${schema_files[@]}"; do
    cmp -s "$schema" "$schemas/$(basename "$schema")" || fail "$schemas/$(basename "$schema") is not docs/schemas' own"
done
# The installed host's document against the installed schema, with the test suite's checker (Debian's jsonschema).
if /usr/bin/python3 -c "import jsonschema" 2>/dev/null; then
    /usr/bin/migration-host --dsn "$dsn" status --format json >"$work/status.json"
    /usr/bin/python3 "$schema_checker" "$schemas/status.schema.json" "$work/status.json" ||
        fail "the installed host's status --format json does not match the installed status.schema.json"
fi

echo "== the installed manual page and bash completion"
if command -v man >/dev/null; then
    [[ $(man -w migration-host) == /usr/share/man/man1/migration-host.1.gz ]] ||
        fail "man does not find the installed page: $(man -w migration-host 2>&1)"
    MANWIDTH=120 man migration-host 2>/dev/null | grep -q "Apply pending migrations" ||
        fail "the manual page does not describe the commands"
fi
# complete_installed WORD...: what the installed script offers for the last word, in bash without start-up files.
complete_installed() {
    bash --norc --noprofile -c 'source /usr/share/bash-completion/completions/migration-host
        COMP_WORDS=(migration-host "$@"); COMP_CWORD=$#; COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}
        _migration_host && printf "%s\n" "${COMPREPLY[@]}"' complete-installed "$@" | sort | tr '\n' ' '
}
[[ $(complete_installed up) == "upgrade " ]] || fail "migration-host up<TAB> offers: $(complete_installed up)"
[[ $(complete_installed status --format "") == "json text " ]] ||
    fail "--format <TAB> offers: $(complete_installed status --format "")"
grep -q "cinder@9 " <<<"$(complete_installed upgrade cinder@)" ||
    fail "upgrade cinder@<TAB> does not offer the installed plugins' cinder@9: $(complete_installed upgrade cinder@)"
if command -v zsh >/dev/null; then
    zsh -n /usr/share/zsh/vendor-completions/_migration-host || fail "the zsh completion does not parse"
fi

echo "== the installed SDK: the examples with CMake and pkg-config, and one shipped as its own .deb"
examples=/usr/share/doc/migration-host/examples
# /usr first, ahead of anything a source install may have left in /usr/local.
export CMAKE_PREFIX_PATH=/usr PKG_CONFIG_PATH=/usr/share/pkgconfig
cmake -S "$examples/c-plugin" -B "$work/c-plugin" -G Ninja -DCMAKE_C_FLAGS=-Werror >/dev/null
cmake --build "$work/c-plugin" >/dev/null
/usr/bin/migration-host --no-default-plugins --plugin-path "$work/c-plugin" --dsn "$dsn" upgrade guestbook
mkdir "$work/pc"
cc -std=c99 -Wall -Wextra -Wmissing-prototypes -Werror -shared -fPIC -fvisibility=hidden \
    $(pkg-config --cflags migration-host-sdk) -o "$work/pc/guestbook.so" "$examples/c-plugin/guestbook.c"
/usr/bin/migration-host --no-default-plugins --plugin-path "$work/pc" --dsn "$dsn" downgrade guestbook@0
plugindir=$(pkg-config --variable=plugindir migration-host-sdk)
[[ $(realpath -m "$plugindir") == /usr/lib/migration-host/plugins ]] || fail "pkg-config plugindir is $plugindir"

# docs/plugin-authoring.md's "Shipping a plugin", with the C++ example as the third party's project.
cmake -S "$examples/cpp-plugin" -B "$work/cpp-plugin" -G Ninja -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_CXX_FLAGS=-Werror \
    >/dev/null
cmake --build "$work/cpp-plugin" >/dev/null
(cd "$work/cpp-plugin" && cpack -G DEB >"$work/cpack-bookshelf.log" 2>&1) ||
    { cat "$work/cpack-bookshelf.log" >&2; fail "cpack of the C++ example failed"; }
bookshelf_deb="$work/cpp-plugin/migration-host-plugin-bookshelf_1.0.0_${arch}.deb"
[[ -f $bookshelf_deb ]] || fail "no $(basename "$bookshelf_deb"): $(ls "$work/cpp-plugin")"
grep -q "^migration-host (>= $version)" <<<"$(dpkg-deb -f "$bookshelf_deb" Depends)" ||
    fail "the example's package does not depend on migration-host: $(dpkg-deb -f "$bookshelf_deb" Depends)"
install_debs "$bookshelf_deb"
listed_files migration-host-plugin-bookshelf
grep -q "library: /usr/lib/migration-host/plugins/bookshelf.so" <<<"$(/usr/bin/migration-host plugins)" ||
    fail "the installed host does not find the packaged example"
/usr/bin/migration-host --dsn "$dsn" upgrade bookshelf
/usr/bin/migration-host --dsn "$dsn" downgrade bookshelf@0

echo "== removing and purging them"
# dpkg's own lists, checked after purging, must cover everything the packages brought.
while IFS= read -r path; do
    grep -qxF -- "$path" "$work/installed-paths" || fail "dpkg -L does not list $path"
done <"$work/new-paths"
cd /
dpkg_run -r migration-host-plugin-bookshelf migration-host-plugin-cinder migration-host-dev migration-host ||
    fail "dpkg -r failed"
dpkg_run --purge migration-host-plugin-bookshelf migration-host-plugin-cinder migration-host-dev migration-host ||
    fail "dpkg --purge failed"
rm -f "$state"
for package in migration-host migration-host-dev migration-host-plugin-cinder migration-host-plugin-bookshelf; do
    package_status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || echo not-installed)
    [[ $package_status == not-installed ]] || fail "$package is still $package_status"
done
# Every path dpkg -L listed must be gone, unless it was there before the packages came (/usr, /usr/share/doc, ...),
# in which case it must still be there.
left=()
while IFS= read -r path; do
    if grep -qxF -- "$path" "$work/new-paths"; then
        if [[ -e $path || -L $path ]]; then left+=("$path"); fi
    elif [[ ! -d $path ]]; then
        left+=("$path (a directory that was there before is gone)")
    fi
done < <(sort -u "$work/installed-paths" | grep '^/' | grep -vxF '/.')
((${#left[@]} == 0)) || fail "left behind after purging: ${left[*]}"
echo "check-deb passed: migration-host $version packages built, installed, run (cinder@9, examples) and purged"
