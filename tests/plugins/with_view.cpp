// Test plugin with_view: track "reports" whose one step creates a table and a view over it, for verify to expect.
// SPDX-License-Identifier: Apache-2.0
#include <migration_host/plugin.hpp>

namespace {

using migration_host::sdk::Host;

// The same SQL on every dialect, one statement per call (MariaDB's driver refuses several in one).
void upgrade_001(Host& host) {
    host.exec("CREATE TABLE report_items (id INTEGER NOT NULL PRIMARY KEY, label VARCHAR(40), price DECIMAL(10,2))");
    host.exec("CREATE VIEW report_labels AS SELECT id, label FROM report_items");
}

void downgrade_001(Host& host) {
    host.exec("DROP VIEW report_labels");
    host.exec("DROP TABLE report_items");
}

constexpr mh_migration reports_migration = migration_host::sdk::Migration("reports", 1, "001_reports")
                                               .upgrade(migration_host::sdk::step<&upgrade_001>)
                                               .downgrade(migration_host::sdk::step<&downgrade_001>)
                                               .build();

const mh_migration* const migrations[] = {&reports_migration};

constexpr mh_plugin_descriptor descriptor =
    migration_host::sdk::make_descriptor("with_view", "A table and a view over it (test)", "1.0.0",
                                         "Track reports: report_items and the view report_labels", migrations);

}  // namespace

MIGRATION_HOST_PLUGIN(descriptor)
