// Test plugin ends_transaction: a step that breaks the plugin contract by ending the host's transaction (COMMIT or ROLLBACK, as MIGRATION_HOST_TEST_END says) between two CREATE TABLEs, then succeeds or fails (MIGRATION_HOST_TEST_THEN).
// SPDX-License-Identifier: Apache-2.0
#include <migration_host/plugin.hpp>

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace {

using migration_host::sdk::Host;

std::string setting(const char* name, const std::string& fallback, const std::string& other) {
    const char* text = std::getenv(name);
    const std::string value = text == nullptr ? fallback : text;
    if (value != fallback && value != other) {
        throw std::invalid_argument(std::string(name) + " must be '" + fallback + "' or '" + other + "'");
    }
    return value;
}

void upgrade_001(Host& host) {
    const std::string end = setting("MIGRATION_HOST_TEST_END", "commit", "rollback");
    const std::string then = setting("MIGRATION_HOST_TEST_THEN", "succeed", "fail");
    host.exec("CREATE TABLE endtx_before (id INTEGER PRIMARY KEY)");
    host.exec(end == "commit" ? "COMMIT" : "ROLLBACK");
    host.exec("CREATE TABLE endtx_after (id INTEGER PRIMARY KEY)");
    if (then == "fail") throw std::runtime_error("failing after ending the host's transaction");
}

void downgrade_001(Host& host) {
    host.exec("DROP TABLE endtx_after");
    host.exec("DROP TABLE endtx_before");
}

constexpr mh_migration ends_transaction_migration = migration_host::sdk::Migration("endtx", 1, "001_ends_transaction")
                                                        .upgrade(migration_host::sdk::step<&upgrade_001>)
                                                        .downgrade(migration_host::sdk::step<&downgrade_001>)
                                                        .build();

const mh_migration* const migrations[] = {&ends_transaction_migration};

constexpr mh_plugin_descriptor descriptor = migration_host::sdk::make_descriptor(
    "ends_transaction", "A step that ends the host's transaction (test)", "1.0.0",
    "Track endtx: 001 creates endtx_before, issues COMMIT or ROLLBACK, creates endtx_after", migrations);

}  // namespace

MIGRATION_HOST_PLUGIN(descriptor)
