// Broken test plugin gap: offers cinder@5 while cinder_initial stops at cinder@1, so the host must refuse the missing versions 2-4 at catalog time.
// SPDX-License-Identifier: Apache-2.0
#include <migration_host/plugin.hpp>

namespace {

using migration_host::sdk::Host;

// The SQL does not matter: the host must refuse the track before any step runs.
void nothing(Host&) {}

constexpr mh_migration gap_migration = migration_host::sdk::Migration("cinder", 5, "005_gap")
                                           .upgrade(migration_host::sdk::step<&nothing>)
                                           .downgrade(migration_host::sdk::step<&nothing>)
                                           .build();

const mh_migration* const migrations[] = {&gap_migration};

constexpr mh_plugin_descriptor descriptor =
    migration_host::sdk::make_descriptor("gap_cinder", "Cinder version gap (broken test plugin)", "1.0.0",
                                         "Offers cinder@5 with nothing between it and cinder@1", migrations);

}  // namespace

MIGRATION_HOST_PLUGIN(descriptor)
