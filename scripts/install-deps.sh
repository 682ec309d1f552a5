#!/usr/bin/env bash
# Installs the Debian 12 packages that building, running (and with --with-servers, testing) migration-host needs.
set -euo pipefail

packages=(
    g++ cmake ninja-build binutils
    libboost-dev libboost-program-options-dev
    unixodbc unixodbc-dev libsqliteodbc odbc-mariadb odbc-postgresql
    libspdlog-dev libfmt-dev catch2
    pkgconf dpkg-dev file
)
if [[ "${1:-}" == "--with-servers" ]]; then
    # The test suite starts its own private servers from these binaries.
    packages+=(mariadb-server mariadb-client postgresql postgresql-client)
fi

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]} == 0)); then
    echo "install-deps: all ${#packages[@]} packages already installed"
    exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: missing packages (${missing[*]}); run as root" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
