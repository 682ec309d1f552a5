// Test plugin half_fail: a step that fails after two statements succeeded, to show what a failed step leaves behind (rolled back with transactional DDL, kept on MySQL).
// SPDX-License-Identifier: Apache-2.0
#include <migration_host/plugin.hpp>
#include <migration_host/schema.hpp>

#include <stdexcept>
#include <string>

namespace {

using migration_host::sdk::Host;
namespace schema = migration_host::schema;

schema::Table half_table(const char* name) {
    return schema::Table(name, {schema::Column("id", schema::Integer()).primary_key()},
                         schema::TableOptions{"InnoDB", "utf8"});
}

void upgrade_001(Host& host) {
    const schema::Dialect dialect = schema::require_dialect(host.dialect());
    host.exec(half_table("half_one").create_sql(dialect));
    host.exec(half_table("half_two").create_sql(dialect));
    // Every database rejects this, so the step fails with two tables created.
    host.exec("THIS IS NOT SQL");
}

// The host never gets to run this (the upgrade always fails, so the version is
// never recorded); it exists so that the plugin is reversible like the others,
// undoing exactly what the upgrade creates.
void downgrade_001(Host& host) {
    const schema::Dialect dialect = schema::require_dialect(host.dialect());
    host.exec(half_table("half_two").drop_sql(dialect));
    host.exec(half_table("half_one").drop_sql(dialect));
}

constexpr mh_migration half_fail_migration = migration_host::sdk::Migration("halffail", 1, "001_half_fail")
                                                 .upgrade(migration_host::sdk::step<&upgrade_001>)
                                                 .downgrade(migration_host::sdk::step<&downgrade_001>)
                                                 .build();

const mh_migration* const migrations[] = {&half_fail_migration};

constexpr mh_plugin_descriptor descriptor =
    migration_host::sdk::make_descriptor("half_fail", "Step failing halfway (test)", "1.0.0",
                                         "Track halffail: 001 creates half_one and half_two, then runs invalid SQL",
                                         migrations);

}  // namespace

MIGRATION_HOST_PLUGIN(descriptor)
