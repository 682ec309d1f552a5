// Test plugin slow: a step that announces it is running and then waits, so a test can interrupt or kill the host in the middle of a step.
// SPDX-License-Identifier: Apache-2.0
#include <migration_host/plugin.hpp>
#include <migration_host/schema.hpp>

#include <chrono>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>

namespace {

using migration_host::sdk::Host;
namespace schema = migration_host::schema;

schema::Table slow_marker() {
    return schema::Table("slow_marker",
                         {
                             schema::Column("id", schema::Integer()).primary_key(),
                             schema::Column("note", schema::String(64)),
                         },
                         schema::TableOptions{"InnoDB", "utf8"});
}

// A mistyped value must fail the step rather than silently not wait, or the
// test that relies on the wait would race instead of failing clearly.
std::chrono::milliseconds sleep_duration() {
    const char* text = std::getenv("MIGRATION_HOST_TEST_SLEEP_MS");
    if (text == nullptr) return std::chrono::milliseconds(0);
    const std::string_view value(text);
    std::uint32_t milliseconds = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), milliseconds);
    if (value.empty() || error != std::errc() || end != value.data() + value.size()) {
        throw std::invalid_argument("MIGRATION_HOST_TEST_SLEEP_MS must be a whole number of milliseconds, not '" +
                                    std::string(value) + "'");
    }
    return std::chrono::milliseconds(milliseconds);
}

void signal_ready() {
    const char* path = std::getenv("MIGRATION_HOST_TEST_READY_FILE");
    if (path == nullptr) return;
    std::ofstream file(path);
    if (!file) throw std::runtime_error(std::string("cannot create MIGRATION_HOST_TEST_READY_FILE ") + path);
}

// With MIGRATION_HOST_TEST_RELEASE_FILE set, the sleep ends as soon as that
// file exists: a test that must act while the step runs releases it when done,
// and never depends on how long its own actions took.
void wait_for_release(std::chrono::milliseconds longest) {
    const char* path = std::getenv("MIGRATION_HOST_TEST_RELEASE_FILE");
    if (path == nullptr || *path == '\0') {
        std::this_thread::sleep_for(longest);
        return;
    }
    const auto deadline = std::chrono::steady_clock::now() + longest;
    while (std::chrono::steady_clock::now() < deadline && !std::ifstream(path)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

void upgrade_001(Host& host) {
    host.exec(slow_marker().create_sql(schema::require_dialect(host.dialect())));
    // Offline (the host rendering SQL, e.g. to derive a checksum) nothing is in
    // progress to interrupt: a ready file then would send the test's kill too early.
    if (host.odbc_connection() != nullptr) {
        const std::chrono::milliseconds duration = sleep_duration();
        // Logged before the ready file appears, so a test that kills the host on
        // seeing the file can expect this line in the host's output.
        host.info("001_slow: sleeping " + std::to_string(duration.count()) + " ms between its two statements");
        signal_ready();
        wait_for_release(duration);
    }
    host.exec("INSERT INTO slow_marker (id, note) VALUES (1, 'done')");
    if (host.odbc_connection() != nullptr) {
        // Reads back through query_run with a named callback (an lvalue), the
        // form plugin authors write most; offline there is nothing to read.
        std::string note;
        const auto read_note = [&note](const migration_host::sdk::RowView& row) {
            note = std::string(row.at(0).value_or("NULL"));
        };
        host.query("SELECT note FROM slow_marker WHERE id = 1", read_note);
        if (note != "done") throw std::runtime_error("slow_marker reads back '" + note + "', expected 'done'");
    }
}

void downgrade_001(Host& host) { host.exec(slow_marker().drop_sql(schema::require_dialect(host.dialect()))); }

constexpr mh_migration slow_migration = migration_host::sdk::Migration("slow", 1, "001_slow")
                                            .upgrade(migration_host::sdk::step<&upgrade_001>)
                                            .downgrade(migration_host::sdk::step<&downgrade_001>)
                                            .build();

const mh_migration* const migrations[] = {&slow_migration};

constexpr mh_plugin_descriptor descriptor = migration_host::sdk::make_descriptor(
    "slow", "Slow step (test)", "1.0.0",
    "Track slow: 001_slow signals MIGRATION_HOST_TEST_READY_FILE, then sleeps MIGRATION_HOST_TEST_SLEEP_MS mid-step "
    "(or until MIGRATION_HOST_TEST_RELEASE_FILE exists)",
    migrations);

}  // namespace

MIGRATION_HOST_PLUGIN(descriptor)
