// Test plugin fail_at: tracks alpha and beta, whose steps fail before a chosen statement (MIGRATION_HOST_TEST_FAIL_AT).
// SPDX-License-Identifier: Apache-2.0
#include <migration_host/plugin.hpp>

#include <charconv>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace {

using migration_host::sdk::Host;

// MIGRATION_HOST_TEST_FAIL_AT="TRACK@VERSION DIRECTION N", e.g. "alpha@2 upgrade 2": that step runs its statements
// before the Nth, then fails on invalid SQL (N = one more than it has: after all of them). Unset: nothing fails.
// Only when connected: rendered offline (for its checksum) every step is whole, so the checksum never changes.
std::size_t failing_statement(Host& host, const std::string& step) {
    const char* text = std::getenv("MIGRATION_HOST_TEST_FAIL_AT");
    if (text == nullptr || host.odbc_connection() == nullptr) return 0;
    const std::string_view value(text);
    const auto space = value.rfind(' ');
    if (space == std::string_view::npos) {
        throw std::invalid_argument("MIGRATION_HOST_TEST_FAIL_AT must be 'TRACK@VERSION DIRECTION N', not '" +
                                    std::string(value) + "'");
    }
    if (value.substr(0, space) != step) return 0;
    const std::string_view number = value.substr(space + 1);
    std::size_t statement = 0;
    const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), statement);
    if (number.empty() || error != std::errc() || end != number.data() + number.size() || statement == 0) {
        throw std::invalid_argument("MIGRATION_HOST_TEST_FAIL_AT must end with a statement number from 1, not '" +
                                    std::string(number) + "'");
    }
    return statement;
}

// Runs `statements` in order, failing before the one MIGRATION_HOST_TEST_FAIL_AT names for `step`: on MySQL each
// statement before it has committed (DDL is not transactional there), elsewhere the step's transaction undoes them.
void run_failing(Host& host, const std::string& step, const std::vector<std::string>& statements) {
    const std::size_t fail_before = failing_statement(host, step);
    for (std::size_t number = 1; number <= statements.size(); ++number) {
        if (number == fail_before) host.exec("THIS IS NOT SQL");
        host.exec(statements[number - 1]);
    }
    if (fail_before == statements.size() + 1) host.exec("THIS IS NOT SQL");
}

bool on_mysql(Host& host) {
    return host.dialect() == "mysql";
}

template <const char* Track>
void upgrade_1(Host& host) {
    const std::string track = Track;
    run_failing(host, track + "@1 upgrade", {"CREATE TABLE " + track + "_one (id INTEGER NOT NULL PRIMARY KEY)"});
}

template <const char* Track>
void downgrade_1(Host& host) {
    const std::string track = Track;
    run_failing(host, track + "@1 downgrade", {"DROP TABLE " + track + "_one"});
}

template <const char* Track>
void upgrade_2(Host& host) {
    const std::string track = Track;
    run_failing(host, track + "@2 upgrade",
                {"CREATE TABLE " + track + "_two (id INTEGER NOT NULL PRIMARY KEY)",
                 "ALTER TABLE " + track + "_one ADD COLUMN note VARCHAR(40)",
                 "CREATE INDEX ix_" + track + "_one_note ON " + track + "_one (note)"});
}

template <const char* Track>
void downgrade_2(Host& host) {
    const std::string track = Track;
    const std::string index = "ix_" + track + "_one_note";
    run_failing(host, track + "@2 downgrade",
                {on_mysql(host) ? "DROP INDEX " + index + " ON " + track + "_one" : "DROP INDEX " + index,
                 "ALTER TABLE " + track + "_one DROP COLUMN note", "DROP TABLE " + track + "_two"});
}

constexpr char alpha[] = "alpha";
constexpr char beta[] = "beta";

constexpr mh_migration alpha_1 = migration_host::sdk::Migration("alpha", 1, "001_alpha_one")
                                     .upgrade(migration_host::sdk::step<&upgrade_1<alpha>>)
                                     .downgrade(migration_host::sdk::step<&downgrade_1<alpha>>)
                                     .build();
constexpr mh_migration alpha_2 = migration_host::sdk::Migration("alpha", 2, "002_alpha_two")
                                     .upgrade(migration_host::sdk::step<&upgrade_2<alpha>>)
                                     .downgrade(migration_host::sdk::step<&downgrade_2<alpha>>)
                                     .build();
constexpr mh_migration beta_1 = migration_host::sdk::Migration("beta", 1, "001_beta_one")
                                    .upgrade(migration_host::sdk::step<&upgrade_1<beta>>)
                                    .downgrade(migration_host::sdk::step<&downgrade_1<beta>>)
                                    .build();
constexpr mh_migration beta_2 = migration_host::sdk::Migration("beta", 2, "002_beta_two")
                                    .upgrade(migration_host::sdk::step<&upgrade_2<beta>>)
                                    .downgrade(migration_host::sdk::step<&downgrade_2<beta>>)
                                    .build();

const mh_migration* const migrations[] = {&alpha_1, &alpha_2, &beta_1, &beta_2};

constexpr mh_plugin_descriptor descriptor = migration_host::sdk::make_descriptor(
    "fail_at", "Steps failing at a chosen statement (test)", "1.0.0",
    "Tracks alpha and beta: @1 creates TRACK_one; @2 creates TRACK_two, adds TRACK_one.note and indexes it; any step "
    "fails before the statement MIGRATION_HOST_TEST_FAIL_AT names",
    migrations);

}  // namespace

MIGRATION_HOST_PLUGIN(descriptor)
