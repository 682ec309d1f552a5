// The migration-host executable: its top level (top_level.hpp) and nothing else.
// SPDX-License-Identifier: Apache-2.0
#include "top_level.hpp"

int main(int argc, char* argv[]) {
    return migration_host::run_host(argc, argv);
}
