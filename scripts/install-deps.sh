#!/usr/bin/env bash
# Installs the Debian 12 packages that building, running (and with --with-servers, testing) migration-host needs;
# SPDX-License-Identifier: Apache-2.0
# --with-bench adds what bench/run needs (hyperfine, GNU time, Alembic and Sqitch, the native SQL clients).
# --with-fuzzers adds clang and its libFuzzer and sanitizer runtimes for the fuzz/ targets.
set -euo pipefail

packages=(
    g++ cmake ninja-build binutils
    libboost-dev libboost-program-options-dev
    unixodbc unixodbc-dev libsqliteodbc odbc-mariadb odbc-postgresql
    libspdlog-dev libfmt-dev nlohmann-json3-dev catch2
    pkgconf dpkg-dev file
    # The manual page is made from --help at build time (without help2man the build leaves it out).
    help2man
)
for option in "$@"; do
    case "$option" in
    --with-servers)
        # The test suite starts its own private servers from these binaries, and runs Cinder's original migrations
        # with sqlalchemy-migrate (the takeover tests); galera-4 and rsync (its state transfer) for the 3-node cluster.
        packages+=(mariadb-server mariadb-client postgresql postgresql-client sqlite3
            python3-migrate python3-sqlalchemy python3-pymysql python3-psycopg2 galera-4 rsync)
        # The Rust and Go examples and the authoring guide's Rust and Go sections are built and run by the tests.
        packages+=(rustc cargo golang-go)
        # Every test that reads the host's JSON checks it against its schema under docs/schemas/.
        packages+=(python3-jsonschema)
        # scripts/test.sh compiles through ccache when it is there.
        packages+=(ccache)
        # The package tests: lintian judges the .deb files; mmdebstrap and umoci build the OCI image from them
        # (packaging/oci/build-image.sh), whose test reads the image's configuration with python3.
        packages+=(lintian mmdebstrap umoci python3)
        ;;
    --with-bench)
        # bench/run: hyperfine times the commands, GNU time their peak RSS, Alembic and Sqitch (with its SQLite
        # driver) are the peers measured against, the native clients replay the host's offline SQL (the servers
        # themselves come with --with-servers).
        packages+=(hyperfine time python3 python3-alembic sqitch libdbd-sqlite3-perl sqlite3 mariadb-client postgresql-client)
        ;;
    --with-fuzzers)
        # libclang_rt.fuzzer (libFuzzer) and the ASan/UBSan runtimes for clang live in libclang-rt-14-dev.
        packages+=(clang clang-14 libclang-rt-14-dev)
        ;;
    *)
        echo "install-deps: unknown option '$option' (expected --with-servers, --with-fuzzers, --with-bench)" >&2
        exit 2
        ;;
    esac
done

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
