// Test plugin contended_row: track counters, a table with one row, then a step that updates that row, for a test to
// hold the row locked from another session while the step waits.
// SPDX-License-Identifier: Apache-2.0
#include <migration_host/plugin.hpp>
#include <migration_host/schema.hpp>

namespace {

using migration_host::sdk::Host;
namespace schema = migration_host::schema;

schema::Table counters() {
    return schema::Table("counters",
                         {
                             schema::Column("id", schema::Integer()).primary_key(),
                             schema::Column("n", schema::Integer()),
                         },
                         schema::TableOptions{"InnoDB", "utf8mb4"});
}

void upgrade_001(Host& host) {
    host.exec(counters().create_sql(schema::require_dialect(host.dialect())));
    host.exec("INSERT INTO counters (id, n) VALUES (1, 0)");
}
void downgrade_001(Host& host) {
    host.exec(counters().drop_sql(schema::require_dialect(host.dialect())));
}
void upgrade_002(Host& host) {
    host.exec("UPDATE counters SET n = n + 1 WHERE id = 1");
}
void downgrade_002(Host& host) {
    host.exec("UPDATE counters SET n = n - 1 WHERE id = 1");
}

constexpr mh_migration counters_migration = migration_host::sdk::Migration("counters", 1, "001_counters")
                                                .upgrade(migration_host::sdk::step<&upgrade_001>)
                                                .downgrade(migration_host::sdk::step<&downgrade_001>)
                                                .build();

constexpr mh_migration increment_migration = migration_host::sdk::Migration("counters", 2, "002_increment")
                                                 .upgrade(migration_host::sdk::step<&upgrade_002>)
                                                 .downgrade(migration_host::sdk::step<&downgrade_002>)
                                                 .build();

const mh_migration* const migrations[] = {&counters_migration, &increment_migration};

constexpr mh_plugin_descriptor descriptor =
    migration_host::sdk::make_descriptor("contended_row", "Contended row (test)", "1.0.0",
                                         "Track counters: a one-row table, then an UPDATE of that row", migrations);

}  // namespace

MIGRATION_HOST_PLUGIN(descriptor)
