// Test plugin long_statement: a step whose query runs for many minutes, for --statement-timeout to stop.
// SPDX-License-Identifier: Apache-2.0
#include <migration_host/plugin.hpp>
#include <migration_host/schema.hpp>

#include <stdexcept>
#include <string>

namespace {

using migration_host::sdk::Host;
namespace schema = migration_host::schema;

schema::Table long_statement_marker() {
    return schema::Table("long_statement_marker", {schema::Column("id", schema::Integer()).primary_key()},
                         schema::TableOptions{"InnoDB", "utf8"});
}

// Each runs for minutes at least: a timeout that does not work shows as a test that hangs until ctest's limit, never
// as one that passes.
std::string long_query(const std::string& dialect) {
    if (dialect == "postgresql") return "SELECT pg_sleep(600)";
    if (dialect == "mysql") return "SELECT SLEEP(600)";
    if (dialect == "sqlite") {
        // No sleep function in SQLite: count to 10^12 through a recursive CTE.
        return "WITH RECURSIVE counter(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM counter WHERE n < 1000000000000) "
               "SELECT count(*) FROM counter";
    }
    throw std::runtime_error("long_statement has no long query for dialect " + dialect);
}

void upgrade_001(Host& host) {
    const std::string dialect(host.dialect());
    host.exec(long_statement_marker().create_sql(schema::require_dialect(dialect)));
    // Offline (a checksum render) nothing runs: only the statement text is recorded.
    if (host.odbc_connection() == nullptr) {
        host.exec(long_query(dialect));
        return;
    }
    // Read through query(): a driver may compute the result only when the first row is fetched.
    std::string count;
    host.query(long_query(dialect),
               [&count](const migration_host::sdk::RowView& row) { count = std::string(row.at(0).value_or("NULL")); });
    throw std::runtime_error("the long query ended by itself (" + count + "): nothing stopped it");
}

void downgrade_001(Host& host) {
    host.exec(long_statement_marker().drop_sql(schema::require_dialect(host.dialect())));
}

constexpr mh_migration long_statement_migration =
    migration_host::sdk::Migration("long_statement", 1, "001_long_statement")
        .upgrade(migration_host::sdk::step<&upgrade_001>)
        .downgrade(migration_host::sdk::step<&downgrade_001>)
        .build();

const mh_migration* const migrations[] = {&long_statement_migration};

constexpr mh_plugin_descriptor descriptor = migration_host::sdk::make_descriptor(
    "long_statement", "Long statement (test)", "1.0.0",
    "Track long_statement: 001_long_statement creates a marker table, then runs a query that takes many minutes",
    migrations);

}  // namespace

MIGRATION_HOST_PLUGIN(descriptor)
