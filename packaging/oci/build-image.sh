#!/usr/bin/env bash
# Builds migration-host's OCI image from Debian packages only, with no image registry: the root file system is
# SPDX-License-Identifier: Apache-2.0
# mmdebstrap's Debian (the release this machine runs, whose libraries the .deb files were built against) with the
# project's migration-host and migration-host-plugin-cinder packages and the SQLite, MariaDB and PostgreSQL ODBC
# drivers, and nothing else (no apt, no compilers); umoci turns it into an OCI image archive.
#
# The image runs as the unprivileged user migration-host (uid and gid 10001, given as numbers so that runtimes can
# verify runAsNonRoot), with ENTRYPOINT ["migration-host"] (CMD ["--help"]) in its working directory
# /var/lib/migration-host, which the user owns: the embedded default database ./migration-host.sqlite and a
# migration-host.ini land there, so mount a volume on it to keep them. The Cinder plugins are in the host's default
# plugin directory, /usr/lib/migration-host/plugins; mount further plugins (read-only) on /opt/migration-host/plugins,
# which MIGRATION_HOST_PLUGIN_PATH names. The host's plugin trust rule holds inside the image: the mounted files and
# directory must be owned by root or uid 10001 and not writable by group or others.
#
# Needs root (mmdebstrap's root mode, umoci keeping file owners), mmdebstrap, umoci and a reachable Debian mirror
# (mmdebstrap's default, deb.debian.org). Running the image needs a container runtime; where none can start
# containers (podman run failing with "crun: setrlimit RLIMIT_NPROC: Operation not permitted" on some build machines),
# tests/package/check-image.sh runs the unpacked image under unshare and chroot instead, as the image's user.
#
# Usage: build-image.sh DEB_DIR OUT_DIR
#   DEB_DIR  holds the project's packages (the output of `cpack -G DEB`): one migration-host_*.deb and one
#            migration-host-plugin-cinder_*.deb of the same version
#   OUT_DIR  receives migration-host_VERSION_ARCH.oci.tar, an OCI image archive tagged VERSION; podman takes it with
#            skopeo copy oci-archive:FILE containers-storage:localhost/migration-host:VERSION
set -euo pipefail

fail() { echo "build-image: $*" >&2; exit 1; }
(($# == 2)) || fail "usage: build-image.sh DEB_DIR OUT_DIR"
[[ -d $1 ]] || fail "$1 is not a directory"
debs=$(cd "$1" && pwd)
mkdir -p "$2"
out=$(cd "$2" && pwd)

[[ $(id -u) -eq 0 ]] || fail "needs root (mmdebstrap's root mode, and umoci keeping the files' owners)"
for tool in mmdebstrap umoci dpkg dpkg-deb; do
    command -v "$tool" >/dev/null || fail "$tool is missing (Debian packages mmdebstrap, umoci, dpkg)"
done
hooks=/usr/share/mmdebstrap/hooks
for hook in file-mirror-automount merged-usr; do
    [[ -d $hooks/$hook ]] || fail "$hooks/$hook is missing (mmdebstrap too old)"
done

# the_deb PACKAGE: the one .deb of PACKAGE in DEB_DIR.
the_deb() {
    local -a found
    mapfile -t found < <(find "$debs" -maxdepth 1 -name "$1_*.deb" | sort)
    ((${#found[@]} == 1)) || fail "expected one $1_*.deb in $debs, found ${#found[@]}"
    echo "${found[0]}"
}
host_deb=$(the_deb migration-host)
cinder_deb=$(the_deb migration-host-plugin-cinder)
version=$(dpkg-deb -f "$host_deb" Version)
[[ $(dpkg-deb -f "$cinder_deb" Version) == "$version" ]] || fail "$host_deb and $cinder_deb differ in version"
arch=$(dpkg --print-architecture)
[[ $(dpkg-deb -f "$host_deb" Architecture) == "$arch" ]] || fail "$host_deb is not built for $arch"
# shellcheck source=/dev/null
suite=$(. /etc/os-release && echo "${ID:-}:${VERSION_CODENAME:-}")
[[ $suite == debian:?* ]] || fail "the packages' libraries come from this machine's Debian release, and this is not Debian"
suite=${suite#debian:}

work=$(mktemp -d /tmp/mh-image.XXXXXX)
# mmdebstrap unmounts what it mounted in the root file system (/proc, /sys, the .deb files), also when it fails; were
# anything left, removing the tree could reach through it, so it is then left in place.
cleanup() {
    if grep -q " $work/" /proc/self/mounts; then
        echo "build-image: something is still mounted under $work, left in place" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

user_id=10001
home=/var/lib/migration-host
mounted_plugins=/opt/migration-host/plugins
# The image's own files: the user (no passwd package, so its lines are written directly), its home and working
# directory, and the empty plugin directory a volume is mounted on (root's, as the plugin trust rule wants).
customize="set -e
echo 'migration-host:x:$user_id:$user_id:migration-host:$home:/usr/sbin/nologin' >>\"\$1/etc/passwd\"
echo 'migration-host:x:$user_id:' >>\"\$1/etc/group\"
install -d -o $user_id -g $user_id -m 0750 \"\$1$home\"
install -d -o 0 -g 0 -m 0755 \"\$1$mounted_plugins\""

layout="$work/oci"
image="$layout:$version"
umoci init --layout "$layout"
umoci new --image "$image"
umoci unpack --image "$image" "$work/bundle" >/dev/null

echo "== mmdebstrap $suite (essential packages, the ODBC drivers, $(basename "$host_deb"), $(basename "$cinder_deb"))"
# The merged-usr hook makes /bin and friends links to /usr as Debian 12 has them, instead of installing usrmerge (and
# with it 50 MB of Perl). Documentation goes, except each package's copyright and changelog; so do manual pages and
# translations.
mmdebstrap --variant=essential --mode=root --quiet \
    --include=libsqliteodbc,odbc-mariadb,odbc-postgresql \
    --include="$host_deb" --include="$cinder_deb" \
    --hook-dir="$hooks/file-mirror-automount" --hook-dir="$hooks/merged-usr" \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-include=/usr/share/doc/*/changelog*' \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-include=/usr/share/locale/locale.alias' \
    --customize-hook="$customize" \
    "$suite" "$work/bundle/rootfs"

echo "== umoci: the OCI image"
umoci repack --image "$image" --history.created_by "packaging/oci/build-image.sh: mmdebstrap $suite" "$work/bundle"
umoci config --image "$image" --no-history \
    --config.entrypoint migration-host --config.cmd --help \
    --config.user "$user_id:$user_id" --config.workingdir "$home" \
    --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --config.env "HOME=$home" --config.env "MIGRATION_HOST_PLUGIN_PATH=$mounted_plugins" \
    --config.label org.opencontainers.image.title=migration-host \
    --config.label "org.opencontainers.image.version=$version" \
    --config.label org.opencontainers.image.licenses=Apache-2.0 \
    --config.label "org.opencontainers.image.description=Database-schema migration host over ODBC, with the Cinder plugins"
umoci gc --layout "$layout"

archive="$out/migration-host_${version}_${arch}.oci.tar"
tar -C "$layout" -cf "$archive" .
rootfs_bytes=$(du -sb "$work/bundle/rootfs" | cut -f1)
echo "build-image: $archive: $(du -b "$archive" | cut -f1) bytes (root file system $rootfs_bytes bytes unpacked)"
