// Bad plugin long_checksum: its migration declares a checksum longer than the history can store (101 bytes).
// SPDX-License-Identifier: Apache-2.0
#include "bad_plugin.hpp"

namespace {
constexpr mh_migration make_migration() {
    mh_migration migration = bad::migration(bad::create_marker);
    migration.checksum =
        "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    return migration;
}
constexpr mh_migration first = make_migration();
const mh_migration* const migrations[] = {&first};
constexpr mh_plugin_descriptor descriptor = bad::descriptor("bad_long_checksum", migrations);
}  // namespace

BAD_PLUGIN_ENTRY(&descriptor)
