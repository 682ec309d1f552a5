// Concurrent hosts and crashed hosts against real databases: the run lock, dirty tracks, repair.
// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "host_process.hpp"
#include "test_database.hpp"

#ifndef CINDER_PLUGIN_DIR
#error "CINDER_PLUGIN_DIR must be defined by the build"
#endif
#ifndef TEST_PLUGIN_ROOT
#error "TEST_PLUGIN_ROOT must be defined by the build"
#endif

using namespace test_support;

namespace {

using Clock = std::chrono::steady_clock;

const char* const sleep_variable = "MIGRATION_HOST_TEST_SLEEP_MS";
const char* const ready_variable = "MIGRATION_HOST_TEST_READY_FILE";
const char* const release_variable = "MIGRATION_HOST_TEST_RELEASE_FILE";

const std::vector<std::string> chained_plugins{CINDER_PLUGIN_DIR, TEST_PLUGIN_ROOT "/cinder_more",
                                               TEST_PLUGIN_ROOT "/manila"};
const std::vector<std::string> slow_plugin{TEST_PLUGIN_ROOT "/slow"};

const char* backend_name(Backend backend) {
    switch (backend) {
        case Backend::mysql:
            return "mysql";
        case Backend::postgresql:
            return "postgresql";
        case Backend::sqlite:
            break;
    }
    return "sqlite";
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

std::size_t occurrences(const std::string& text, const std::string& part) {
    std::size_t count = 0;
    for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) ++count;
    return count;
}

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// `global` goes before the command, as the host's CLI expects global options.
HostRun host_run(const TestDatabase& database, const std::vector<std::string>& plugin_dirs,
                 const std::vector<std::string>& command, const std::vector<std::string>& global = {},
                 std::map<std::string, std::string> environment = {}) {
    std::vector<std::string> arguments = global;
    arguments.insert(arguments.end(), command.begin(), command.end());
    return host_run_on(database.connection_string(), plugin_dirs, arguments, std::move(environment));
}

// Every history row, oldest first, as "track@version direction outcome".
std::vector<std::string> history_rows(const TestDatabase& database) {
    std::vector<std::string> rows;
    for (const auto& row :
         database.query("SELECT track, version, direction, outcome FROM migration_host_history ORDER BY id")) {
        rows.push_back(fmt::format("{}@{} {} {}", row.at(0).value_or("NULL"), row.at(1).value_or("NULL"),
                                   row.at(2).value_or("NULL"), row.at(3).value_or("NULL")));
    }
    return rows;
}

struct TempDir {
    std::string path = make_temp_dir("mh-concurrency");
    TempDir() = default;
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
    }
};

void touch(const std::string& path) {
    std::ofstream file(path);
    REQUIRE(file.good());
}

// Polls rather than sleeping a fixed time: the kill or the contender must come
// while the step is in progress, however slowly the host started.
bool wait_for_ready_file(const std::string& path, BackgroundHost& host, std::chrono::seconds limit) {
    const auto deadline = Clock::now() + limit;
    while (Clock::now() < deadline) {
        if (std::filesystem::exists(path)) return true;
        if (!host.running()) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
}

// A host inside slow's step, so holding the run lock, until the file `release` exists (two minutes at most):
// however slowly a contender starts on a busy machine, the holder is still there when it gives up.
BackgroundHost start_lock_holder(const TestDatabase& database, const std::string& ready, const std::string& release) {
    BackgroundHost holder(host_run(database, slow_plugin, {"upgrade"}, {},
                                   {{sleep_variable, "120000"}, {ready_variable, ready}, {release_variable, release}}));
    if (!wait_for_ready_file(ready, holder, std::chrono::seconds(30))) {
        holder.kill(SIGKILL);
        const auto result = holder.wait();
        FAIL("the slow step never signalled it was running; host exit " << result.exit_code << ":\n" << result.all());
    }
    return holder;
}

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

void check_simultaneous_upgrades_once(Backend backend, int round) {
    constexpr std::size_t host_count = 8;
    const auto database = TestDatabase::create(backend);
    if (!database) return;
    INFO(backend_name(backend) << " round " << round << ", database " << database->name());

    // Debug logging gives each host's timestamps for connecting and taking the lock.
    const HostRun run = host_run(*database, chained_plugins, {"upgrade"}, {"--log-level", "debug"});
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
        fmt::format("{} round {}: {} hosts in {:.2f} s; host {} applied the 5 steps, {} said 'Nothing to do'; {} "
                    "asked for the lock while another host held it; ms from connecting to holding the lock, in lock "
                    "order: {}",
                    backend_name(backend), round, host_count, wall, *winner, nothing_to_do, waited, waits));
}

void check_simultaneous_upgrades(Backend backend) {
    // Races show only sometimes; three fresh databases give them three chances.
    for (int round = 1; round <= 3; ++round) check_simultaneous_upgrades_once(backend, round);
}

void check_killed_mid_step(Backend backend) {
    const auto database = TestDatabase::create(backend);
    if (!database) return;
    const TempDir temp;
    const std::string ready = temp.path + "/ready";
    const auto test_start = Clock::now();

    BackgroundHost victim(
        host_run(*database, slow_plugin, {"upgrade"}, {}, {{sleep_variable, "60000"}, {ready_variable, ready}}));
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

    const HostRun again = host_run(*database, slow_plugin, {"upgrade"}, {"--lock-timeout", "5"},
                                   {{sleep_variable, "0"}, {ready_variable, ""}});
    const auto second_start = Clock::now();
    const ProcessResult second = run_host(again);
    const double second_seconds = seconds_since(second_start);
    INFO("upgrade after the kill (" << second_seconds << " s), exit " << second.exit_code << ":\n" << second.all());
    // The database or the kernel freed the dead holder's lock: the next run got
    // it within its lock timeout (how fast is a figure for the log, not an
    // assertion: a busy machine may take seconds to notice a dead session).
    CHECK_FALSE(contains(second.err, "waiting for the lock"));

    if (backend == Backend::mysql) {
        // DDL commits implicitly: the killed step's CREATE TABLE stays, and
        // its history row stays "started", so the track is dirty.
        CHECK(second.exit_code == 5);
        CHECK(contains(second.err, "track slow is dirty"));
        CHECK(contains(second.err, "repair"));
        CHECK(line_count(second.err) == 1);
        CHECK(database->version_of("slow") == 0);

        const auto status = run_host(host_run(*database, slow_plugin, {"status"}));
        INFO("status:\n" << status.all());
        CHECK(status.exit_code == 0);
        CHECK(contains(status.out, "DIRTY"));

        const auto still = run_host(again);
        INFO("upgrade while dirty:\n" << still.all());
        CHECK(still.exit_code == 5);
        CHECK(contains(still.err, "track slow is dirty"));

        // The unfinished step went from 0 to 1: any other version is refused.
        const auto wrong = run_host(host_run(*database, slow_plugin, {"repair", "slow@5"}));
        INFO("repair slow@5:\n" << wrong.all());
        CHECK(wrong.exit_code == 5);
        CHECK(contains(wrong.err, "repair to 1 (its changes are in place) or 0 (they are not), not 5"));
        CHECK(history_rows(*database) == std::vector<std::string>{"slow@1 upgrade started"});

        // What an operator would do: undo the half-applied step, then record that it is not applied.
        database->execute("DROP TABLE slow_marker");
        const auto repair = run_host(host_run(*database, slow_plugin, {"repair", "slow@0"}));
        INFO("repair slow@0:\n" << repair.all());
        CHECK(repair.exit_code == 0);
        CHECK(contains(repair.out, "Repaired slow"));

        const auto fixed = run_host(again);
        INFO("upgrade after repair:\n" << fixed.all());
        CHECK(fixed.exit_code == 0);
        CHECK(contains(fixed.out, "Upgraded slow 0 -> 1"));
        CHECK(history_rows(*database) == std::vector<std::string>{"slow@1 upgrade started", "slow@0 repair succeeded",
                                                                  "slow@1 upgrade succeeded"});
    } else {
        // DDL is transactional: the killed step rolled back with its history
        // row, and the next run simply applies it.
        CHECK(second.exit_code == 0);
        CHECK(contains(second.out, "Upgraded slow 0 -> 1"));
        CHECK(history_rows(*database) == std::vector<std::string>{"slow@1 upgrade succeeded"});
    }
    const auto marker = database->query("SELECT id, note FROM slow_marker");
    REQUIRE(marker.size() == 1);
    CHECK(marker[0].at(0) == std::optional<std::string>("1"));
    CHECK(marker[0].at(1) == std::optional<std::string>("done"));
    CHECK(database->version_of("slow") == 1);

    const auto clean = run_host(host_run(*database, slow_plugin, {"repair", "slow@1"}));
    INFO("repair on a clean track:\n" << clean.all());
    CHECK(clean.exit_code == 5);
    CHECK(contains(clean.err, "not dirty"));

    WARN(fmt::format("{}: killed mid-step; the next upgrade ended in {:.2f} s with exit {}; whole scenario {:.2f} s",
                     backend_name(backend), second_seconds, second.exit_code, seconds_since(test_start)));
}

std::string expected_lock_name(const TestDatabase& database) {
    switch (database.backend()) {
        case Backend::mysql:
            return fmt::format("GET_LOCK('migration_host:{}')", database.name());
        case Backend::postgresql:
            return "pg_advisory_lock(";
        case Backend::sqlite:
            break;
    }
    return "file lock on " + database.name();
}

// The start of how a waiting host names the holder: the SQLite holder by its process, the servers' by a session the
// test cannot know the number of.
std::string expected_lock_holder(const TestDatabase& database, pid_t holder_pid) {
    switch (database.backend()) {
        case Backend::mysql:
            return "connection ";
        case Backend::postgresql:
            return "backend ";
        case Backend::sqlite:
            break;
    }
    return fmt::format("process {} (migration-host)", holder_pid);
}

void check_lock_timeout(Backend backend) {
    const auto database = TestDatabase::create(backend);
    if (!database) return;
    const TempDir temp;
    const std::string ready = temp.path + "/ready";
    const std::string release = temp.path + "/release";
    const auto test_start = Clock::now();

    BackgroundHost holder = start_lock_holder(*database, ready, release);

    // Long enough for one "still waiting" line (every 5 s).
    const HostRun contender = host_run(*database, slow_plugin, {"upgrade"}, {"--lock-timeout", "6"},
                                       {{sleep_variable, "0"}, {ready_variable, ""}});
    const auto contender_start = Clock::now();
    const ProcessResult timed_out = run_host(contender);
    const double contender_seconds = seconds_since(contender_start);
    // The holder was still in its step when the contender gave up: the
    // contender timed out on the lock, not on anything the holder did after.
    const bool holder_still_running = holder.running();
    {
        INFO("contender (" << contender_seconds << " s), exit " << timed_out.exit_code << ":\n" << timed_out.all());
        CHECK(timed_out.exit_code == 5);
        // The wait is never silent: who holds the lock at once, then a line every 5 s, then the error.
        const auto lines = error_lines(timed_out.err);
        REQUIRE(lines.size() == 1);
        CHECK(contains(lines.front(), "timed out after 6 s waiting for the lock "));
        CHECK(contains(lines.front(), expected_lock_name(*database)));
        const std::string held_by = ", held by " + expected_lock_holder(*database, holder.pid());
        CHECK(contains(lines.front(), held_by));
        const auto waiting = timed_out.err.find(" info waiting up to 6 s for the lock ");
        const auto still = timed_out.err.find(" info still waiting for the lock ");
        REQUIRE(waiting != std::string::npos);
        REQUIRE(still != std::string::npos);
        CHECK(waiting < still);
        const std::string waiting_line = timed_out.err.substr(waiting, timed_out.err.find('\n', waiting) - waiting);
        const std::string still_line = timed_out.err.substr(still, timed_out.err.find('\n', still) - still);
        for (const auto& line : {waiting_line, still_line}) {
            CHECK(contains(line, expected_lock_name(*database)));
            CHECK(contains(line, held_by));
        }
        CHECK(contains(still_line, " after 5 s of 6"));
        CHECK(timed_out.out.empty());
        CHECK(contender_seconds >= 6.0);
        CHECK(holder_still_running);
    }

    // While the step runs, a read-only status must not call it dirty (on MySQL
    // its history row says "started"): the lock shows the run is alive.
    const auto during = run_host(host_run(*database, slow_plugin, {"status"}));
    {
        INFO("status during the run:\n" << during.all());
        CHECK(during.exit_code == 0);
        CHECK_FALSE(contains(during.out, "DIRTY"));
        if (backend == Backend::mysql) CHECK(contains(during.out, "IN PROGRESS"));
    }
    // Nor must plan refuse it as dirty: it plans with a note that a run is going on.
    const auto plan_during = run_host(host_run(*database, slow_plugin, {"plan"}));
    {
        INFO("plan during the run:\n" << plan_during.all());
        CHECK(plan_during.exit_code == 0);
        CHECK(contains(plan_during.out, "slow 0 -> 1"));
        if (backend == Backend::mysql) CHECK(contains(plan_during.out, "note: another migration-host is running"));
    }

    touch(release);
    const auto holder_start = Clock::now();
    const ProcessResult held = holder.wait();
    const double holder_rest = seconds_since(holder_start);
    INFO("lock holder:\n" << held.all());
    CHECK(held.exit_code == 0);
    CHECK(contains(held.out, "Upgraded slow 0 -> 1"));
    // The contender gave up before writing anything.
    CHECK(history_rows(*database) == std::vector<std::string>{"slow@1 upgrade succeeded"});
    CHECK(database->version_of("slow") == 1);

    const auto status = run_host(host_run(*database, slow_plugin, {"status"}));
    INFO("status:\n" << status.all());
    CHECK(status.exit_code == 0);
    CHECK(contains(status.out, fmt::format("{:<24} {:>8} {:>8}  -\n", "slow", 1, 1)));
    const auto upgrade = run_host(host_run(*database, slow_plugin, {"upgrade"}, {}, {{sleep_variable, "0"}}));
    INFO("upgrade afterwards:\n" << upgrade.all());
    CHECK(upgrade.exit_code == 0);
    CHECK(contains(upgrade.out, "Nothing to do"));

    WARN(
        fmt::format("{}: contender gave up after {:.2f} s: {}; the holder finished {:.2f} s later; whole scenario "
                    "{:.2f} s",
                    backend_name(backend), contender_seconds, timed_out.err.substr(0, timed_out.err.find('\n')),
                    holder_rest, seconds_since(test_start)));
}

// Two names of one SQLite file are one database: a host reaching it through a
// hard link waits for the lock that a host using the other name holds.
void check_lock_follows_the_file_not_its_name() {
    const auto database = TestDatabase::create(Backend::sqlite);
    REQUIRE(database);
    const TempDir temp;
    const std::string ready = temp.path + "/ready";
    const std::string release = temp.path + "/release";
    // The host creates the file on connect; create it first so the link has a target.
    { std::ofstream create(database->name()); }
    const std::string linked = temp.path + "/same-file.sqlite";
    std::filesystem::create_hard_link(database->name(), linked);

    BackgroundHost holder = start_lock_holder(*database, ready, release);
    HostRun contender = host_run(*database, slow_plugin, {"upgrade"}, {"--lock-timeout", "1"},
                                 {{sleep_variable, "0"}, {ready_variable, ""}});
    contender.arguments.at(1) = "DRIVER=SQLite3;DATABASE=" + linked;
    const ProcessResult through_link = run_host(contender);
    const bool holder_still_running = holder.running();
    touch(release);
    const ProcessResult held = holder.wait();
    INFO("through the hard link, exit " << through_link.exit_code << ":\n"
                                        << through_link.all() << "\nholder:\n" << held.all());
    CHECK(holder_still_running);
    CHECK(through_link.exit_code == 5);
    CHECK(contains(through_link.err, "timed out after 1 s waiting for the lock file lock on " + linked));
    CHECK(held.exit_code == 0);
    CHECK(history_rows(*database) == std::vector<std::string>{"slow@1 upgrade succeeded"});
}

}  // namespace

TEST_CASE("sqlite: a host reaching the database through a hard link waits for the same lock",
          "[sqlite][concurrency]") {
    check_lock_follows_the_file_not_its_name();
}

TEST_CASE("sqlite: 8 hosts started at once on an empty database apply each step exactly once",
          "[sqlite][concurrency]") {
    check_simultaneous_upgrades(Backend::sqlite);
}

TEST_CASE("mysql: 8 hosts started at once on an empty database apply each step exactly once", "[mysql][concurrency]") {
    check_simultaneous_upgrades(Backend::mysql);
}

TEST_CASE("postgresql: 8 hosts started at once on an empty database apply each step exactly once",
          "[postgresql][concurrency]") {
    check_simultaneous_upgrades(Backend::postgresql);
}

TEST_CASE("sqlite: a host killed with SIGKILL in the middle of a step leaves no lock and no trace",
          "[sqlite][concurrency]") {
    check_killed_mid_step(Backend::sqlite);
}

TEST_CASE("mysql: a host killed with SIGKILL in the middle of a step leaves the track dirty until repair",
          "[mysql][concurrency]") {
    check_killed_mid_step(Backend::mysql);
}

TEST_CASE("postgresql: a host killed with SIGKILL in the middle of a step leaves no lock and no trace",
          "[postgresql][concurrency]") {
    check_killed_mid_step(Backend::postgresql);
}

TEST_CASE("sqlite: a held lock makes another host wait, then time out naming the lock", "[sqlite][concurrency]") {
    check_lock_timeout(Backend::sqlite);
}

TEST_CASE("mysql: a held lock makes another host wait, then time out naming the lock", "[mysql][concurrency]") {
    check_lock_timeout(Backend::mysql);
}

TEST_CASE("postgresql: a held lock makes another host wait, then time out naming the lock",
          "[postgresql][concurrency]") {
    check_lock_timeout(Backend::postgresql);
}
