// Test plugin schema_qualified: a step that writes through a schema-qualified name (public.audit on PostgreSQL).
// SPDX-License-Identifier: Apache-2.0
#include <migration_host/plugin.hpp>

#include <string>

namespace {

using migration_host::sdk::Host;

// On PostgreSQL the name carries its schema, which no search_path changes: a scratch that is a schema of the live
// database would get this row written into the live table.
std::string audit_table(const Host& host) {
    return host.dialect() == "postgresql" ? "public.audit" : "audit";
}

void upgrade_001(Host& host) {
    host.exec("CREATE TABLE audit (note VARCHAR(64))");
    host.exec("INSERT INTO " + audit_table(host) + " (note) VALUES ('audit@1 applied')");
}

void downgrade_001(Host& host) {
    host.exec("DROP TABLE " + audit_table(host));
}

constexpr mh_migration audit_migration = migration_host::sdk::Migration("audit", 1, "001_audit")
                                             .upgrade(migration_host::sdk::step<&upgrade_001>)
                                             .downgrade(migration_host::sdk::step<&downgrade_001>)
                                             .build();

const mh_migration* const migrations[] = {&audit_migration};

constexpr mh_plugin_descriptor descriptor = migration_host::sdk::make_descriptor(
    "schema_qualified", "Schema-qualified write (test)", "1.0.0",
    "Track audit: creates audit and writes a row to it, naming public.audit on PostgreSQL", migrations);

}  // namespace

MIGRATION_HOST_PLUGIN(descriptor)
