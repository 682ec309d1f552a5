// Broken test plugin missing_requirement: orphan@1 requires nothing@3, which no plugin offers, so the host must refuse it at catalog time.
// SPDX-License-Identifier: Apache-2.0
#include <migration_host/plugin.hpp>

namespace {

using migration_host::sdk::Host;

// The SQL does not matter: the host must refuse the requirement before any step runs.
void nothing(Host&) {}

const char* const orphan_requires[] = {"nothing@3"};

constexpr mh_migration orphan_migration = migration_host::sdk::Migration("orphan", 1, "001_orphan")
                                              .requires_versions(orphan_requires)
                                              .upgrade(migration_host::sdk::step<&nothing>)
                                              .downgrade(migration_host::sdk::step<&nothing>)
                                              .build();

const mh_migration* const migrations[] = {&orphan_migration};

constexpr mh_plugin_descriptor descriptor =
    migration_host::sdk::make_descriptor("orphan", "Unmet requirement (broken test plugin)", "1.0.0",
                                         "orphan@1 requires nothing@3, which no plugin offers", migrations);

}  // namespace

MIGRATION_HOST_PLUGIN(descriptor)
