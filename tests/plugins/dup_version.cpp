// Broken test plugin dup_version: offers cinder@1 again, so loaded beside cinder_initial the host must refuse the duplicate version at catalog time.
// SPDX-License-Identifier: Apache-2.0
#include <migration_host/plugin.hpp>

namespace {

using migration_host::sdk::Host;

// The SQL does not matter: the plugin is there to collide, not to run.
void nothing(Host&) {}

constexpr mh_migration duplicate_migration = migration_host::sdk::Migration("cinder", 1, "001_duplicate")
                                                 .upgrade(migration_host::sdk::step<&nothing>)
                                                 .downgrade(migration_host::sdk::step<&nothing>)
                                                 .build();

const mh_migration* const migrations[] = {&duplicate_migration};

constexpr mh_plugin_descriptor descriptor = migration_host::sdk::make_descriptor(
    "dup_cinder", "Duplicate cinder@1 (broken test plugin)", "1.0.0",
    "Offers cinder@1, which cinder_initial already provides", migrations);

}  // namespace

MIGRATION_HOST_PLUGIN(descriptor)
