#!/usr/bin/env bash
# The main job on the embedded default: install, build, then upgrade and show the status of ./migration-host.sqlite.
# SPDX-License-Identifier: Apache-2.0
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DMIGRATION_HOST_BUILD_TESTS=OFF -DMIGRATION_HOST_BUILD_BENCH=OFF >/dev/null
# Only the host and its plugins, on every core (CMake's own CMAKE_BUILD_PARALLEL_LEVEL says otherwise).
cmake --build build --parallel "${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}" \
    --target migration-host cinder_initial cinder_grizzly
build/bin/migration-host upgrade
build/bin/migration-host status
