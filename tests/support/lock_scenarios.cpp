// The run-lock scenarios every lock must pass (8 hosts at once, a holder killed mid-step), and the helpers they share.
// SPDX-License-Identifier: Apache-2.0
#include "lock_scenarios.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#ifndef CINDER_PLUGIN_DIR
#error "CINDER_PLUGIN_DIR must be defined by the build"
#endif
#ifndef TEST_PLUGIN_ROOT
#error "TEST_PLUGIN_ROOT must be defined by the build"
#endif

namespace test_support {
namespace {

using Clock = std::chrono::steady_clock;

std::size_t occurrences(const std::string& text, const std::string& part) {
    std::size_t count = 0;
    for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) ++count;
    return count;
}

// Every host of a scenario locks the same way.
std::map<std::string, std::string> with_setup(std::map<std::string, std::string> environment, const LockSetup& setup) {
    for (const auto& [name, value] : setup.environment) environment.emplace(name, value);
    return environment;
}

}  // namespace

LockSetup native_lock() { return {}; }

LockSetup portable_lock(int lease_seconds) {
    LockSetup setup;
    setup.environment = {{"MIGRATION_HOST_FORCE_PORTABLE_LOCK", "1"},
                         {"MIGRATION_HOST_LOCK_LEASE_SECONDS", std::to_string(lease_seconds)}};
    setup.lease_seconds = lease_seconds;
    setup.label = " (portable lock)";
    return setup;
}

const std::vector<std::string>& chained_plugins() {
    static const std::vector<std::string> dirs{CINDER_PLUGIN_DIR, TEST_PLUGIN_ROOT "/cinder_more",
                                               TEST_PLUGIN_ROOT "/manila"};
    return dirs;
}

const std::vector<std::string>& slow_plugin() {
    static const std::vector<std::string> dirs{TEST_PLUGIN_ROOT "/slow"};
    return dirs;
}

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

HostRun host_run(const TestDatabase& database, const std::vector<std::string>& plugin_dirs,
                 const std::vector<std::string>& command, const std::vector<std::string>& global,
                 std::map<std::string, std::string> environment) {
    std::vector<std::string> arguments = global;
    arguments.insert(arguments.end(), command.begin(), command.end());
    return host_run_on(database.connection_string(), plugin_dirs, arguments, std::move(environment));
}

std::vector<std::string> history_rows(const TestDatabase& database) {
    std::vector<std::string> rows;
    for (const auto& row :
         database.query("SELECT track, version, direction, outcome FROM migration_host_history ORDER BY id")) {
        rows.push_back(fmt::format("{}@{} {} {}", row.at(0).value_or("NULL"), row.at(1).value_or("NULL"),
                                   row.at(2).value_or("NULL"), row.at(3).value_or("NULL")));
    }
    return rows;
}

TempDir::~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
}

void touch(const std::string& path) {
    std::ofstream file(path);
    REQUIRE(file.good());
}

bool wait_for_ready_file(const std::string& path, BackgroundHost& host, std::chrono::seconds limit) {
    const auto deadline = Clock::now() + limit;
    while (Clock::now() < deadline) {
        if (std::filesystem::exists(path)) return true;
        if (!host.running()) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
}

BackgroundHost start_lock_holder(const TestDatabase& database, const std::string& ready, const std::string& release,
                                 const LockSetup& setup) {
    BackgroundHost holder(host_run(
        database, slow_plugin(), {"upgrade"}, {},
        with_setup({{sleep_variable, "120000"}, {ready_variable, ready}, {release_variable, release}}, setup)));
    if (!wait_for_ready_file(ready, holder, std::chrono::seconds(30))) {
        holder.kill(SIGKILL);
        const auto result = holder.wait();
        FAIL("the slow step never signalled it was running; host exit " << result.exit_code << ":\n" << result.all());
    }
    return holder;
}

namespace {

// The host's log lines start "YYYY-MM-DDTHH:MM:SS.mmmZ " (UTC); the same clock for
// every process on this machine, so they order events across processes.
std::optional<std::int64_t> log_line_time(const std::string& line) {
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, millisecond = 0;
    if (std::sscanf(line.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &year, &month, &day, &hour, &minute, &second,
                    &millisecond) != 7) {
        return std::nullopt;
    }
    // Days from the civil date (Howard Hinnant's algorithm): no time zone involved.
    const int y = year - (month <= 2 ? 1 : 0);
    const int era = (y >= 0 ? y : y - 399) / 400;
    const int year_of_era = y - era * 400;
    const int day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    const int day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    const std::int64_t days = static_cast<std::int64_t>(era) * 146097 + day_of_era - 719468;
    return ((days * 24 + hour) * 60 + minute) * 60'000 + second * 1'000 + millisecond;
}

struct LogTimes {
    std::optional<std::int64_t> connected, locked, last;
};

LogTimes log_times(const std::string& err) {
    LogTimes times;
    std::size_t start = 0;
    while (start < err.size()) {
        auto end = err.find('\n', start);
        if (end == std::string::npos) end = err.size();
        const std::string line = err.substr(start, end - start);
        start = end + 1;
        const auto time = log_line_time(line);
        if (!time) continue;
        if (!times.connected && contains(line, " debug connected to ")) times.connected = time;
        if (!times.locked && contains(line, " debug holding the run lock")) times.locked = time;
        times.last = time;
    }
    return times;
}

// Warnings or errors from a host that merely found the work done would mean
// the lock did not serialize it cleanly.
bool has_complaint(const ProcessResult& result) {
    return contains(result.err, " warning ") || contains(result.err, " error ") || contains(result.err, "error:");
}

void check_simultaneous_upgrades_once(Backend backend, const LockSetup& setup, int round) {
    constexpr std::size_t host_count = 8;
    const auto database = TestDatabase::create(backend);
    if (!database) return;
    INFO(dialect_name(backend) << setup.label << " round " << round << ", database " << database->name());

    // Debug logging gives each host's timestamps for connecting and taking the lock.
    const HostRun run =
        host_run(*database, chained_plugins(), {"upgrade"}, {"--log-level", "debug"}, with_setup({}, setup));
    std::vector<BackgroundHost> hosts(host_count);
    const auto start = Clock::now();
    // All are started before any is waited for, or they would not overlap.
    for (auto& host : hosts) host.start(run);
    std::vector<ProcessResult> results;
    for (auto& host : hosts) results.push_back(host.wait());
    const double wall = seconds_since(start);

    std::optional<std::size_t> winner;
    std::size_t applied = 0, nothing_to_do = 0;
    for (std::size_t i = 0; i < results.size(); ++i) {
        const ProcessResult& result = results[i];
        INFO("host " << i << " exit " << result.exit_code << "\nstdout:\n"
                     << result.out << "stderr (last 4000):\n"
                     << result.err.substr(result.err.size() > 4000 ? result.err.size() - 4000 : 0));
        CHECK(result.exit_code == 0);
        CHECK_FALSE(has_complaint(result));
        if (contains(result.out, "Applied 5 steps")) {
            ++applied;
            winner = i;
        }
        if (contains(result.out, "Nothing to do")) {
            ++nothing_to_do;
            CHECK_FALSE(contains(result.out, "Upgraded"));
            // Read under the lock, after the winner: not the empty database it first saw.
            CHECK(contains(result.out, "cinder at 3, manila at 2"));
        }
    }
    CHECK(applied == 1);
    CHECK(nothing_to_do == host_count - 1);

    std::string all_out;
    for (const auto& result : results) all_out += result.out;
    for (const char* step : {"Upgraded cinder 0 -> 1", "Upgraded cinder 1 -> 2", "Upgraded cinder 2 -> 3",
                             "Upgraded manila 0 -> 1", "Upgraded manila 1 -> 2"}) {
        INFO("all stdout:\n" << all_out);
        CHECK(occurrences(all_out, step) == 1);
        if (winner) CHECK(contains(results[*winner].out, step));
    }

    auto history = history_rows(*database);
    std::sort(history.begin(), history.end());
    CHECK(history == std::vector<std::string>{"cinder@1 upgrade succeeded", "cinder@2 upgrade succeeded",
                                              "cinder@3 upgrade succeeded", "manila@1 upgrade succeeded",
                                              "manila@2 upgrade succeeded"});
    CHECK(database->version_of("cinder") == 3);
    CHECK(database->version_of("manila") == 2);
    CHECK(database->scalar("SELECT COUNT(*) FROM migrate_version") == std::optional<std::string>("2"));
    if (setup.lease_seconds) {
        // One lock row, released by the last host out.
        CHECK(database->scalar("SELECT COUNT(*) FROM migration_host_lock") == std::optional<std::string>("1"));
        CHECK(database->scalar("SELECT COUNT(*) FROM migration_host_lock WHERE token IS NOT NULL") ==
              std::optional<std::string>("0"));
    }

    if (!winner) return;
    // The lock passes from host to host (the others too hold it briefly, to
    // find nothing to do). A host waited when the host that held the lock
    // before it had not finished by the time it had connected, the last thing
    // it logs before asking for the lock.
    std::vector<std::pair<LogTimes, std::size_t>> by_lock_order;
    for (std::size_t i = 0; i < results.size(); ++i) {
        const LogTimes times = log_times(results[i].err);
        if (times.connected && times.locked && times.last) by_lock_order.emplace_back(times, i);
    }
    std::stable_sort(by_lock_order.begin(), by_lock_order.end(),
                     [](const auto& a, const auto& b) { return *a.first.locked < *b.first.locked; });
    std::size_t waited = 0;
    std::string waits;
    for (std::size_t k = 0; k < by_lock_order.size(); ++k) {
        const LogTimes& times = by_lock_order[k].first;
        if (k > 0 && *by_lock_order[k - 1].first.last >= *times.connected) ++waited;
        waits += fmt::format("{}{}{}", waits.empty() ? "" : ", ", *times.locked - *times.connected,
                             by_lock_order[k].second == *winner ? " (winner)" : "");
    }
    CHECK(by_lock_order.size() == host_count);
    if (!by_lock_order.empty()) CHECK(by_lock_order.front().second == *winner);
    WARN(
        fmt::format("{}{} round {}: {} hosts in {:.2f} s; host {} applied the 5 steps, {} said 'Nothing to do'; {} "
                    "asked for the lock while another host held it; ms from connecting to holding the lock, in lock "
                    "order: {}",
                    dialect_name(backend), setup.label, round, host_count, wall, *winner, nothing_to_do, waited, waits));
}

}  // namespace

void check_simultaneous_upgrades(Backend backend, const LockSetup& setup) {
    // Races show only sometimes; three fresh databases give them three chances.
    for (int round = 1; round <= 3; ++round) check_simultaneous_upgrades_once(backend, setup, round);
}

void check_killed_mid_step(Backend backend, const LockSetup& setup) {
    const auto database = TestDatabase::create(backend);
    if (!database) return;
    const TempDir temp;
    const std::string ready = temp.path + "/ready";
    const auto test_start = Clock::now();

    BackgroundHost victim(host_run(*database, slow_plugin(), {"upgrade"}, {},
                                   with_setup({{sleep_variable, "60000"}, {ready_variable, ready}}, setup)));
    if (!wait_for_ready_file(ready, victim, std::chrono::seconds(30))) {
        victim.kill(SIGKILL);
        const auto result = victim.wait();
        FAIL("the slow step never signalled it was running; host exit " << result.exit_code << ":\n" << result.all());
    }
    victim.kill(SIGKILL);
    const ProcessResult killed = victim.wait();
    INFO("killed host:\n" << killed.all());
    CHECK(killed.exit_code == 128 + SIGKILL);
    CHECK(contains(killed.err, "001_slow: sleeping 60000 ms"));

    // The portable lock's row outlives the victim by its lease, which the next run must be able to wait out.
    const std::string lock_timeout = std::to_string(setup.lease_seconds ? *setup.lease_seconds + 30 : 5);
    const HostRun again = host_run(*database, slow_plugin(), {"upgrade"}, {"--lock-timeout", lock_timeout},
                                   with_setup({{sleep_variable, "0"}, {ready_variable, ""}}, setup));
    const auto second_start = Clock::now();
    const ProcessResult second = run_host(again);
    const double second_seconds = seconds_since(second_start);
    INFO("upgrade after the kill (" << second_seconds << " s), exit " << second.exit_code << ":\n" << second.all());
    if (setup.lease_seconds) {
        // The dead holder's row stays until its lease runs out: the next run waits for that, then takes it over
        // and names the holder it took it from.
        CHECK(contains(second.err, "waiting up to " + lock_timeout + " s for the lock portable lease lock"));
        CHECK(contains(second.err, "took over the lock portable lease lock"));
        CHECK(contains(second.err, fmt::format(" pid {}, since ", victim.pid())));
    } else {
        // The database or the kernel freed the dead holder's lock: the next run got
        // it within its lock timeout (how fast is a figure for the log, not an
        // assertion: a busy machine may take seconds to notice a dead session).
        CHECK_FALSE(contains(second.err, "waiting for the lock"));
    }

    if (backend == Backend::mysql) {
        // DDL commits implicitly: the killed step's CREATE TABLE stayed, with its history row "started" and the
        // journal's count at 0 (the CREATE TABLE completed, but the kill came before the count after it). The step
        // renders the same statements as then, so the upgrade resumes it: the CREATE TABLE, run again, is answered
        // "already exists", which says the killed attempt applied it, and the INSERT follows. No repair.
        CHECK(second.exit_code == 0);
        CHECK(contains(second.err, "resuming slow@1 after statement 0 of 2, recorded by the interrupted attempt"));
        CHECK(contains(second.err, "statement 1 was already applied by the interrupted attempt"));
        CHECK(contains(second.out, "Upgraded slow 0 -> 1"));
        CHECK(error_lines(second.err).empty());
        CHECK(database->version_of("slow") == 1);
        CHECK(history_rows(*database) ==
              std::vector<std::string>{"slow@1 upgrade started", "slow@1 upgrade succeeded"});
        CHECK(database->query("SELECT statements_done FROM migration_host_history ORDER BY id") ==
              std::vector<migration_host::odbc::Row>{{std::string("0")}, {std::string("2")}});
    } else {
        // DDL is transactional: the killed step rolled back with its history
        // row, and the next run simply applies it.
        CHECK(second.exit_code == 0);
        CHECK(contains(second.out, "Upgraded slow 0 -> 1"));
        CHECK(history_rows(*database) == std::vector<std::string>{"slow@1 upgrade succeeded"});
        CHECK_FALSE(contains(second.err, "resuming"));
        // No journal where a step commits whole or not at all.
        CHECK(database->query("SELECT statements_done FROM migration_host_history") ==
              std::vector<migration_host::odbc::Row>{{std::nullopt}});
    }
    const auto marker = database->query("SELECT id, note FROM slow_marker");
    REQUIRE(marker.size() == 1);
    CHECK(marker[0].at(0) == std::optional<std::string>("1"));
    CHECK(marker[0].at(1) == std::optional<std::string>("done"));
    CHECK(database->version_of("slow") == 1);

    const auto clean = run_host(host_run(*database, slow_plugin(), {"repair", "slow@1"}, {}, with_setup({}, setup)));
    INFO("repair on a clean track:\n" << clean.all());
    CHECK(clean.exit_code == 5);
    CHECK(contains(clean.err, "not dirty"));

    WARN(fmt::format("{}{}: killed mid-step; the next upgrade ended in {:.2f} s with exit {}; whole scenario {:.2f} s",
                     dialect_name(backend), setup.label, second_seconds, second.exit_code, seconds_since(test_start)));
}

}  // namespace test_support
