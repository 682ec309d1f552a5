// Broken test plugin cycle: ping@1 and pong@1 require each other, so no order can apply them and the host must refuse the cycle at catalog time.
// SPDX-License-Identifier: Apache-2.0
#include <migration_host/plugin.hpp>

namespace {

using migration_host::sdk::Host;

// The SQL does not matter: the host must refuse the cycle before any step runs.
void nothing(Host&) {}

const char* const ping_requires[] = {"pong@1"};
const char* const pong_requires[] = {"ping@1"};

constexpr mh_migration ping_migration = migration_host::sdk::Migration("ping", 1, "001_ping")
                                            .requires_versions(ping_requires)
                                            .upgrade(migration_host::sdk::step<&nothing>)
                                            .downgrade(migration_host::sdk::step<&nothing>)
                                            .build();

constexpr mh_migration pong_migration = migration_host::sdk::Migration("pong", 1, "001_pong")
                                            .requires_versions(pong_requires)
                                            .upgrade(migration_host::sdk::step<&nothing>)
                                            .downgrade(migration_host::sdk::step<&nothing>)
                                            .build();

const mh_migration* const migrations[] = {&ping_migration, &pong_migration};

constexpr mh_plugin_descriptor descriptor =
    migration_host::sdk::make_descriptor("cycle", "Requirement cycle (broken test plugin)", "1.0.0",
                                         "ping@1 requires pong@1 and pong@1 requires ping@1", migrations);

}  // namespace

MIGRATION_HOST_PLUGIN(descriptor)
