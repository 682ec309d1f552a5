#!/usr/bin/env bash
# Builds the OCI image as an operator would (the .deb files with CPack, then packaging/oci/build-image.sh), unpacks it
# SPDX-License-Identifier: Apache-2.0
# with umoci as a container runtime would, and runs its root file system under unshare and chroot the way the image's
# configuration says (entrypoint, user, working directory, environment), with a plugin mounted read-only on the
# plugin directory meant for it: upgrade and status on the embedded SQLite default and on the test MariaDB and
# PostgreSQL servers, and a fleet over both servers split in two shards. Containers cannot be started on every build
# machine (podman run fails there with "crun: setrlimit RLIMIT_NPROC: Operation not permitted"), and unshare and
# chroot need nothing but root.
# Building the image downloads Debian's packages from its mirror (mmdebstrap); the one root file system serves every
# run. Needs root, cpack, dpkg, mmdebstrap, umoci, python3 and isql: without them it skips (exit 77), except under
# CI=true, where that is a failure.
# Usage: check-image.sh BUILD_DIR TEST_SERVERS_STATE_DIR MOUNTED_PLUGIN_LIBRARY
set -euo pipefail
build=$(cd "$1" && pwd)
servers=$2
mounted_plugin=$3
here=$(cd "$(dirname "$0")" && pwd)
source_dir=$(cd "$here/../.." && pwd)

fail() { echo "check-image: $*" >&2; exit 1; }
skip() {
    [[ ${CI:-} == true ]] && fail "cannot run under CI: $*"
    echo "check-image: skipped: $*"
    exit 77
}
[[ $(id -u) -eq 0 ]] || skip "building the image and chrooting into it need root"
for tool in cpack dpkg dpkg-deb mmdebstrap umoci unshare chroot python3 isql; do
    command -v "$tool" >/dev/null ||
        skip "$tool is missing (packages cmake, dpkg, mmdebstrap, umoci, util-linux, coreutils, python3, unixodbc)"
done
[[ -f $mounted_plugin ]] || fail "no plugin library $mounted_plugin"

work=$(mktemp -d /tmp/mh-image-test.XXXXXX)
databases=()  # "admin connection string|database" to drop at exit
cleanup() {
    local entry
    for entry in ${databases[@]+"${databases[@]}"}; do
        echo "DROP DATABASE ${entry#*|}" | isql -b -k "${entry%|*}" >/dev/null 2>&1 || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

seconds() { echo "$((SECONDS - $1)) s"; }
started=$SECONDS
echo "== the packages (cpack) and the image (packaging/oci/build-image.sh)"
cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/debs" >"$work/cpack.log" 2>&1 ||
    { cat "$work/cpack.log" >&2; fail "cpack failed"; }
"$source_dir/packaging/oci/build-image.sh" "$work/debs" "$work/image" >"$work/build-image.log" 2>&1 ||
    { cat "$work/build-image.log" >&2; fail "build-image.sh failed"; }
tail -n 1 "$work/build-image.log"
version=$(dpkg-deb -f "$work/debs"/migration-host_*.deb Version)
archive="$work/image/migration-host_${version}_$(dpkg --print-architecture).oci.tar"
[[ -f $archive ]] || fail "build-image.sh made no $(basename "$archive"): $(ls "$work/image")"
echo "built in $(seconds "$started")"

# Unpacked as a runtime would: the layers into rootfs/, the image configuration into an OCI runtime config.json.
mkdir "$work/layout"
tar -C "$work/layout" -xf "$archive"
umoci unpack --image "$work/layout:$version" "$work/bundle" >/dev/null
root="$work/bundle/rootfs"
# The process the runtime would start: uid, gid, working directory, then the environment and the arguments
# (entrypoint and command), each list NUL-separated.
python3 - "$work/bundle/config.json" >"$work/process" <<'EOF'
import json, sys
process = json.load(open(sys.argv[1]))["process"]
sys.stdout.write("%d\0%d\0%s\0" % (process["user"]["uid"], process["user"]["gid"], process["cwd"]))
sys.stdout.write("\0".join(process["env"]) + "\0\0" + "\0".join(process["args"]) + "\0")
EOF
{
    IFS= read -r -d '' uid
    IFS= read -r -d '' gid
    IFS= read -r -d '' cwd
    image_env=()
    while IFS= read -r -d '' entry && [[ -n $entry ]]; do image_env+=("$entry"); done
    image_args=()
    while IFS= read -r -d '' entry; do image_args+=("$entry"); done
} <"$work/process"

echo "== the image's configuration and contents"
((uid != 0 && gid != 0)) || fail "the image runs as uid $uid, gid $gid"
user=$(awk -F: -v uid="$uid" '$3 == uid {print $1}' "$root/etc/passwd")
[[ $user == migration-host ]] || fail "uid $uid is '$user' in the image's /etc/passwd, not migration-host"
# ENTRYPOINT ["migration-host"], CMD ["--help"]: arguments given to the container replace the --help.
[[ ${image_args[*]} == "migration-host --help" ]] || fail "the entrypoint and command are ${image_args[*]}"
[[ $(stat -c %u "$root$cwd") == "$uid" ]] || fail "the working directory $cwd is not the image user's"
plugin_path=$(printf '%s\n' "${image_env[@]}" | sed -n 's/^MIGRATION_HOST_PLUGIN_PATH=//p')
[[ -n $plugin_path && -d $root$plugin_path && $(stat -c %u "$root$plugin_path") == 0 ]] ||
    fail "MIGRATION_HOST_PLUGIN_PATH is '$plugin_path', not a root-owned directory of the image"
for driver in SQLite3 "MariaDB Unicode" "PostgreSQL Unicode"; do
    grep -qxF "[$driver]" "$root/etc/odbcinst.ini" || fail "the ODBC driver '$driver' is not registered in the image"
done
# No compilers: no package that provides one (gcc-12-base, the runtime libraries' base, is not one) and no
# compiler driver or assembler on the PATH.
compilers=$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Package}\n' |
    grep -E '^((gcc|g\+\+|cpp|clang|tcc)(-[0-9.]+)?|binutils.*|libgcc-[0-9]+-dev)$' || true)
[[ -z $compilers ]] || fail "the image holds compiler packages: $compilers"
for compiler in cc c++ gcc g++ cpp clang ld as; do
    [[ ! -e $root/usr/bin/$compiler ]] || fail "the image has /usr/bin/$compiler"
done
[[ ! -e $root/usr/bin/apt-get ]] || fail "the image has apt"

# The plugin an operator mounts: a root-owned copy, read-only, as the host's plugin trust rule wants.
install -d -m 0755 "$work/mounted"
install -m 0644 "$mounted_plugin" "$work/mounted/"
mounted_name=$(basename "$mounted_plugin" .so)

# in_image [NAME=VALUE...] -- ARG...: the image's process with ARGs for its command, in its own mount and PID
# namespaces (/proc mounted for it, the plugin volume bound read-only), as its user, in its working directory, with
# only its environment plus the NAME=VALUEs (as `podman run -e`). With no ARG, the image's own command (--help).
in_image() {
    local -a extra_env=() args
    while [[ $1 != -- ]]; do extra_env+=("$1"); shift; done
    shift
    if (($# == 0)); then args=("${image_args[@]}"); else args=("${image_args[0]}" "$@"); fi
    unshare --mount --pid --fork --mount-proc="$root/proc" \
        sh -c 'mount --bind -o ro "$1" "$2" && shift 2 && exec "$@"' sh "$work/mounted" "$root$plugin_path" \
        chroot --userspec="$uid:$gid" "$root" \
        /usr/bin/env -i -C "$cwd" "${image_env[@]}" ${extra_env[@]+"${extra_env[@]}"} "${args[@]}"
}

help=$(in_image --) || fail "the image's default command failed"
grep -q "^Usage: migration-host" <<<"$help" || fail "the image's default command does not print the usage: $help"
[[ $(in_image -- --version) == "migration-host $version "* ]] || fail "the image's host is not version $version"
listing=$(in_image -- plugins)
for library in /usr/lib/migration-host/plugins/cinder_initial.so /usr/lib/migration-host/plugins/cinder_grizzly.so \
    "$plugin_path/$mounted_name.so"; do
    grep -q "library: $library$" <<<"$listing" || fail "the image's host does not load $library: $listing"
done

# check_upgraded BACKEND [NAME=VALUE...]: upgrade, then status shows cinder and the mounted plugin's track at their
# latest versions.
check_upgraded() {
    local backend=$1 status
    shift
    in_image "$@" -- upgrade >"$work/upgrade.log" 2>&1 || { cat "$work/upgrade.log" >&2; fail "$backend: upgrade"; }
    status=$(in_image "$@" -- status) || fail "$backend: status"
    echo "$status"
    grep -Eq "^cinder +9 +9 +-$" <<<"$status" && grep -Eq "^$mounted_name +([0-9]+) +\1 +-$" <<<"$status" ||
        fail "$backend: not everything at its latest: $status"
}

echo "== the embedded default (SQLite, ./migration-host.sqlite in $cwd)"
check_upgraded sqlite
[[ $(stat -c %u "$root$cwd/migration-host.sqlite") == "$uid" ]] ||
    fail "the embedded default database is not in the working directory, owned by the image's user"
backends=sqlite

database="mh_image_$$_$RANDOM"
for kind in mariadb postgresql; do
    echo "== $kind (the test server, MIGRATION_HOST_DSN)"
    [[ -s $servers/$kind.conn ]] || fail "no $kind server described in $servers"
    admin=$(<"$servers/$kind.conn")
    [[ $kind == postgresql ]] && admin="$admin;DATABASE=postgres"
    echo "CREATE DATABASE $database" | isql -b -k "$admin" >/dev/null || fail "$kind: CREATE DATABASE $database"
    databases+=("$admin|$database")
    check_upgraded "$kind" "MIGRATION_HOST_DSN=$(<"$servers/$kind.conn");DATABASE=$database"
    backends+=", $kind"
done

# A sharded fleet, as the Kubernetes Indexed Job of docs/kubernetes runs it: two processes of the image, --shard 0/2
# and 1/2, over one targets file of four databases (two on each server), then one status --check over them all.
echo "== a sharded fleet: 2 shards over 2 MariaDB and 2 PostgreSQL databases"
targets_in_image="$cwd/fleet.targets"
: >"$root$targets_in_image"
for kind in mariadb postgresql; do
    admin=$(<"$servers/$kind.conn")
    [[ $kind == postgresql ]] && admin="$admin;DATABASE=postgres"
    for n in 1 2; do
        echo "CREATE DATABASE ${database}_fleet_$n" | isql -b -k "$admin" >/dev/null ||
            fail "$kind: CREATE DATABASE ${database}_fleet_$n"
        databases+=("$admin|${database}_fleet_$n")
        echo "$(<"$servers/$kind.conn");DATABASE=${database}_fleet_$n" >>"$root$targets_in_image"
    done
done
chown "$uid:$gid" "$root$targets_in_image"
chmod 0600 "$root$targets_in_image"
for shard in 0/2 1/2; do
    in_image -- upgrade --targets "$targets_in_image" --shard "$shard" >"$work/shard.log" 2>&1 ||
        { cat "$work/shard.log" >&2; fail "fleet shard $shard"; }
    grep -q "(shard $shard: " "$work/shard.log" || grep -q "shard $shard owns none" "$work/shard.log" ||
        { cat "$work/shard.log" >&2; fail "fleet shard $shard: the summary does not name the shard"; }
done
in_image -- status --check --targets "$targets_in_image" >"$work/fleet-status.log" 2>&1 ||
    { cat "$work/fleet-status.log" >&2; fail "status --check over the sharded fleet's databases"; }

echo "check-image passed: $(basename "$archive") ($(du -b "$archive" | cut -f1) bytes), as uid $uid with" \
    "$mounted_name mounted on $plugin_path: upgrade and status on $backends, a fleet in 2 shards; $(seconds "$started")" \
    "in all"
