// Bad plugin migration_size_zero: its migration declares struct_size 0.
// SPDX-License-Identifier: Apache-2.0
#include "bad_plugin.hpp"

namespace {
constexpr mh_migration make_migration() {
    mh_migration migration = bad::migration(bad::create_marker);
    migration.struct_size = 0;
    return migration;
}
constexpr mh_migration first = make_migration();
const mh_migration* const migrations[] = {&first};
constexpr mh_plugin_descriptor descriptor = bad::descriptor("bad_migration_size_zero", migrations);
}  // namespace

BAD_PLUGIN_ENTRY(&descriptor)
