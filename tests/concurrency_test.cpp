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
#include "lock_scenarios.hpp"
#include "test_database.hpp"

using namespace test_support;

namespace {

using Clock = std::chrono::steady_clock;

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
    const HostRun contender = host_run(*database, slow_plugin(), {"upgrade"}, {"--lock-timeout", "6"},
                                       {{sleep_variable, "0"}, {ready_variable, ""}});
    const auto contender_start = Clock::now();
    const ProcessResult timed_out = run_host(contender);
    const double contender_seconds = seconds_since(contender_start);
    // The holder was still in its step when the contender gave up: the
    // contender timed out on the lock, not on anything the holder did after.
    const bool holder_still_running = holder.running();
    {
        INFO("contender (" << contender_seconds << " s), exit " << timed_out.exit_code << ":\n" << timed_out.all());
        CHECK(timed_out.exit_code == 11);
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
        // Only the database it would have changed: nothing was.
        CHECK(line_count(timed_out.out) == 1);
        CHECK(timed_out.out.rfind("Database: ", 0) == 0);
        CHECK(contender_seconds >= 6.0);
        CHECK(holder_still_running);
    }

    // While the step runs, a read-only status must not call it dirty (on MySQL
    // its history row says "started"): the lock shows the run is alive.
    const auto during = run_host(host_run(*database, slow_plugin(), {"status"}));
    {
        INFO("status during the run:\n" << during.all());
        CHECK(during.exit_code == 0);
        CHECK_FALSE(contains(during.out, "DIRTY"));
        if (backend == Backend::mysql) CHECK(contains(during.out, "IN PROGRESS"));
    }
    // Nor must plan refuse it as dirty: it plans with a note that a run is going on.
    const auto plan_during = run_host(host_run(*database, slow_plugin(), {"plan"}));
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

    const auto status = run_host(host_run(*database, slow_plugin(), {"status"}));
    INFO("status:\n" << status.all());
    CHECK(status.exit_code == 0);
    CHECK(contains(status.out, fmt::format("{:<24} {:>8} {:>8}  -\n", "slow", 1, 1)));
    const auto upgrade = run_host(host_run(*database, slow_plugin(), {"upgrade"}, {}, {{sleep_variable, "0"}}));
    INFO("upgrade afterwards:\n" << upgrade.all());
    CHECK(upgrade.exit_code == 0);
    CHECK(contains(upgrade.out, "Nothing to do"));

    WARN(
        fmt::format("{}: contender gave up after {:.2f} s: {}; the holder finished {:.2f} s later; whole scenario "
                    "{:.2f} s",
                    dialect_name(backend), contender_seconds, timed_out.err.substr(0, timed_out.err.find('\n')),
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
    HostRun contender = host_run(*database, slow_plugin(), {"upgrade"}, {"--lock-timeout", "1"},
                                 {{sleep_variable, "0"}, {ready_variable, ""}});
    contender.arguments.at(1) = "DRIVER=SQLite3;DATABASE=" + linked;
    const ProcessResult through_link = run_host(contender);
    const bool holder_still_running = holder.running();
    touch(release);
    const ProcessResult held = holder.wait();
    INFO("through the hard link, exit " << through_link.exit_code << ":\n"
                                        << through_link.all() << "\nholder:\n" << held.all());
    CHECK(holder_still_running);
    CHECK(through_link.exit_code == 11);
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
    check_simultaneous_upgrades(Backend::sqlite, native_lock());
}

TEST_CASE("mysql: 8 hosts started at once on an empty database apply each step exactly once", "[mysql][concurrency]") {
    check_simultaneous_upgrades(Backend::mysql, native_lock());
}

TEST_CASE("postgresql: 8 hosts started at once on an empty database apply each step exactly once",
          "[postgresql][concurrency]") {
    check_simultaneous_upgrades(Backend::postgresql, native_lock());
}

TEST_CASE("sqlite: a host killed with SIGKILL in the middle of a step leaves no lock and no trace",
          "[sqlite][concurrency]") {
    check_killed_mid_step(Backend::sqlite, native_lock());
}

TEST_CASE("mysql: a host killed with SIGKILL in the middle of a step leaves the track dirty, which the next upgrade "
          "resumes",
          "[mysql][concurrency]") {
    check_killed_mid_step(Backend::mysql, native_lock());
}

TEST_CASE("postgresql: a host killed with SIGKILL in the middle of a step leaves no lock and no trace",
          "[postgresql][concurrency]") {
    check_killed_mid_step(Backend::postgresql, native_lock());
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
