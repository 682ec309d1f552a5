#!/usr/bin/env bash
# Installs migration-host into a temporary prefix, builds an outside plugin against the installed package,
# and runs the installed host with it and with the installed cinder_initial plugin.
# Usage: check-package.sh BUILD_DIR
set -euo pipefail
build=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/mh-package.XXXXXX)
trap 'rm -rf "$work"' EXIT

cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$here" -B "$work/widgets" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/widgets" >/dev/null
[[ $(nm -D --defined-only "$work/widgets/widgets.so" | awk '$2 != "A" {print $3}') == migration_host_plugin_entry ]] ||
    { echo "widgets.so exports more than the entry function" >&2; exit 1; }

host="$work/prefix/bin/migration-host"
cd "$work"
# The installed host finds the installed cinder_initial on its own (../lib/migration-host/plugins).
listing=$("$host" plugins)
grep -q "cinder_initial" <<<"$listing" || { echo "installed host does not find cinder_initial" >&2; exit 1; }
"$host" --plugin-path "$work/widgets" upgrade
status=$("$host" --plugin-path "$work/widgets" status)
grep -Eq "^widgets +1 +1 +-$" <<<"$status" || { echo "widgets not at 1 after upgrade: $status" >&2; exit 1; }
"$host" --plugin-path "$work/widgets" downgrade widgets@0
echo "package check passed: installed host, installed cinder_initial, outside plugin widgets"
