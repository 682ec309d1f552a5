// Test plugin reversible: track crabs, two steps each undone by its downgrade, on no other track.
// SPDX-License-Identifier: Apache-2.0
#include <migration_host/plugin.hpp>
#include <migration_host/schema.hpp>

namespace {

using migration_host::sdk::Host;
namespace schema = migration_host::schema;

schema::Table crabs() {
    return schema::Table("crabs",
                         {
                             schema::Column("id", schema::Integer()).primary_key(),
                             schema::Column("name", schema::String(64)),
                         },
                         schema::TableOptions{"InnoDB", "utf8mb4"});
}

schema::Table crab_pots() {
    return schema::Table("crab_pots",
                         {
                             schema::Column("id", schema::Integer()).primary_key(),
                             schema::Column("depth", schema::Integer()),
                         },
                         schema::TableOptions{"InnoDB", "utf8mb4"});
}

void upgrade_001(Host& host) {
    host.exec(crabs().create_sql(schema::require_dialect(host.dialect())));
}
void downgrade_001(Host& host) {
    host.exec(crabs().drop_sql(schema::require_dialect(host.dialect())));
}
void upgrade_002(Host& host) {
    host.exec(crab_pots().create_sql(schema::require_dialect(host.dialect())));
}
void downgrade_002(Host& host) {
    host.exec(crab_pots().drop_sql(schema::require_dialect(host.dialect())));
}

constexpr mh_migration crabs_migration = migration_host::sdk::Migration("crabs", 1, "001_crabs")
                                             .upgrade(migration_host::sdk::step<&upgrade_001>)
                                             .downgrade(migration_host::sdk::step<&downgrade_001>)
                                             .build();

constexpr mh_migration crab_pots_migration = migration_host::sdk::Migration("crabs", 2, "002_crab_pots")
                                                 .upgrade(migration_host::sdk::step<&upgrade_002>)
                                                 .downgrade(migration_host::sdk::step<&downgrade_002>)
                                                 .build();

const mh_migration* const migrations[] = {&crabs_migration, &crab_pots_migration};

constexpr mh_plugin_descriptor descriptor =
    migration_host::sdk::make_descriptor("reversible", "Reversible track (test)", "1.0.0",
                                         "Track crabs: crabs, then crab_pots; both steps reversible", migrations);

}  // namespace

MIGRATION_HOST_PLUGIN(descriptor)
