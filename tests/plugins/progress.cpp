// Test plugin progress: a data step that inserts rows through the SDK and then reports a fixed count until the test releases it, so a test sees the host show progress without depending on time.
// SPDX-License-Identifier: Apache-2.0
#include <migration_host/operations.hpp>
#include <migration_host/plugin.hpp>
#include <migration_host/schema.hpp>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using migration_host::sdk::Host;
using migration_host::sdk::Op;
using migration_host::sdk::Values;
namespace schema = migration_host::schema;

constexpr std::uint64_t inserted_rows = 200;
// What the step reports while it waits: the numbers a test expects in the host's output.
constexpr std::uint64_t waiting_done = 12000;
constexpr std::uint64_t waiting_total = 50000;

schema::Table progress_rows() {
    return schema::Table("progress_rows",
                         {
                             schema::Column("id", schema::Integer()).primary_key(),
                             schema::Column("note", schema::String(64)),
                         },
                         schema::TableOptions{"InnoDB", "utf8"});
}

// Reports waiting_done of waiting_total rows until MIGRATION_HOST_TEST_RELEASE_FILE exists (polled every 10 ms), at
// most 10 minutes: a test waits for what the host shows of it, then releases the step. Without the variable the
// step does not wait.
void report_until_released(const Host& host, const char* unit) {
    const char* path = std::getenv("MIGRATION_HOST_TEST_RELEASE_FILE");
    if (path == nullptr || *path == '\0') return;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(10);
    while (std::chrono::steady_clock::now() < deadline && !std::ifstream(path)) {
        host.progress(waiting_done, unit == nullptr ? 0 : waiting_total, unit);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

// The CPU time this thread has used: what the reports cost the step, whatever else the machine runs.
std::chrono::nanoseconds thread_cpu_time() {
    timespec now{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec);
}

// With MIGRATION_HOST_TEST_PROGRESS_CALLS=N the step reports N times in a tight loop and logs the CPU time that took:
// what one report costs the step when the host shows nothing of it (docs/performance.md).
void measure_reports(const Host& host) {
    const char* text = std::getenv("MIGRATION_HOST_TEST_PROGRESS_CALLS");
    if (text == nullptr) return;
    const std::uint64_t calls = std::strtoull(text, nullptr, 10);
    const auto started = thread_cpu_time();
    for (std::uint64_t i = 0; i < calls; ++i) host.progress(i, calls, "rows");
    const auto elapsed = std::chrono::duration<double, std::nano>(thread_cpu_time() - started);
    host.info(std::to_string(calls) + " progress reports in " + std::to_string(elapsed.count() / 1e6) +
              " ms of CPU time (" + std::to_string(calls == 0 ? 0.0 : elapsed.count() / static_cast<double>(calls)) +
              " ns each)");
}

void upgrade_001(Host& host) {
    const Op op(host);
    op.create_table(progress_rows());
    std::vector<Values> rows;
    for (std::uint64_t id = 1; id <= inserted_rows; ++id) rows.push_back({std::to_string(id), "row"});
    op.insert("progress_rows", {"id", "note"}, rows);
    if (!op.online()) return;
    measure_reports(host);
    // MIGRATION_HOST_TEST_PROGRESS_UNIT: "-" reports no unit (NULL) and no total; anything else is the unit.
    const char* unit = std::getenv("MIGRATION_HOST_TEST_PROGRESS_UNIT");
    report_until_released(host, unit == nullptr ? "rows" : std::string_view(unit) == "-" ? nullptr : unit);
}

void downgrade_001(Host& host) {
    Op(host).drop_table("progress_rows");
}

constexpr mh_migration progress_migration = migration_host::sdk::Migration("progress", 1, "001_progress_rows")
                                                .upgrade(migration_host::sdk::step<&upgrade_001>)
                                                .downgrade(migration_host::sdk::step<&downgrade_001>)
                                                .build();

const mh_migration* const migrations[] = {&progress_migration};

constexpr mh_plugin_descriptor descriptor = migration_host::sdk::make_descriptor(
    "progress", "Progress reports (test)", "1.0.0",
    "Track progress: 001_progress_rows inserts 200 rows, then reports 12000 of 50000 rows until "
    "MIGRATION_HOST_TEST_RELEASE_FILE exists",
    migrations);

}  // namespace

MIGRATION_HOST_PLUGIN(descriptor)
