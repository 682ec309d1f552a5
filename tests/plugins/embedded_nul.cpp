// Test plugin embedded_nul: nul@2 hands the SDK a statement or a bound value with a NUL byte inside, as MIGRATION_HOST_TEST_NUL says, to show that the SDK refuses it rather than letting the C API cut it short.
// SPDX-License-Identifier: Apache-2.0
#include <migration_host/operations.hpp>
#include <migration_host/plugin.hpp>

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace {

using migration_host::sdk::Host;
using migration_host::sdk::Op;
using namespace std::string_literals;  // "..."s keeps the bytes after a NUL

void upgrade_001(Host& host) {
    host.exec("CREATE TABLE nul_values (id INTEGER NOT NULL PRIMARY KEY, payload VARCHAR(40))");
    host.info("a log line with a NUL\0 inside, kept whole"s);  // written with the NUL as "\0", not cut
}

void downgrade_001(Host& host) {
    host.exec("DROP TABLE nul_values");
}

// Each way a NUL can reach the SDK. Cut at the NUL, "statement" would insert a row and skip the DELETE after it;
// the others would run and then insert a row saying so. Refused, nothing is stored.
void upgrade_002(Host& host) {
    const Op op(host);
    const char* setting = std::getenv("MIGRATION_HOST_TEST_NUL");
    const std::string mode = setting == nullptr ? "" : setting;
    if (mode == "statement") {
        host.exec("INSERT INTO nul_values (id, payload) VALUES (1, 'ab')\0; DELETE FROM nul_values"s);
    } else if (mode == "value") {
        op.insert("nul_values", {"id", "payload"}, {{"2", "ab\0hidden"s}});
    } else if (mode == "query") {
        host.query("SELECT COUNT(*) FROM nul_values\0 WHERE 1 = 0"s, [](const auto&) {});
        op.insert("nul_values", {"id", "payload"}, {{"4", "queried"}});
    } else if (mode == "query_value") {
        op.rows("SELECT COUNT(*) FROM nul_values WHERE payload = ? OR payload = ?", {"plain", "ab\0hidden"s});
        op.insert("nul_values", {"id", "payload"}, {{"5", "queried"}});
    } else {
        throw std::invalid_argument("MIGRATION_HOST_TEST_NUL must be statement, value, query or query_value");
    }
}

void downgrade_002(Host& host) {
    host.exec("DELETE FROM nul_values");
}

// Checksums of their own: the queries cannot be rendered offline.
constexpr mh_migration create_table = migration_host::sdk::Migration("nul", 1, "001_nul_table")
                                          .upgrade(migration_host::sdk::step<&upgrade_001>)
                                          .downgrade(migration_host::sdk::step<&downgrade_001>)
                                          .checksum("embedded-nul-1")
                                          .build();
constexpr mh_migration pass_nul = migration_host::sdk::Migration("nul", 2, "002_nul")
                                      .upgrade(migration_host::sdk::step<&upgrade_002>)
                                      .downgrade(migration_host::sdk::step<&downgrade_002>)
                                      .checksum("embedded-nul-2")
                                      .build();

const mh_migration* const migrations[] = {&create_table, &pass_nul};

constexpr mh_plugin_descriptor descriptor = migration_host::sdk::make_descriptor(
    "embedded_nul", "Statements and values with a NUL byte (test)", "1.0.0",
    "Track nul: 001 creates nul_values, 002 passes a NUL byte as MIGRATION_HOST_TEST_NUL says", migrations);

}  // namespace

MIGRATION_HOST_PLUGIN(descriptor)
