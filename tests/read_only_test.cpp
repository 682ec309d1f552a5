// Read-only commands create no database, and history of a track nobody knows is an unknown track as for plan.
// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "host_process.hpp"
#include "test_database.hpp"

#ifndef TEST_PLUGIN_ROOT
#error "TEST_PLUGIN_ROOT must be defined by the build"
#endif

using namespace test_support;
namespace fs = std::filesystem;

namespace {

const std::string manila = TEST_PLUGIN_ROOT "/manila";
const std::string cinder_more = TEST_PLUGIN_ROOT "/cinder_more";

const std::vector<std::vector<std::string>> read_only_commands{
    {"status"}, {"status", "--check"}, {"plan"}, {"history"}, {"history", "cinder"}, {"validate"},
    {"status", "--format", "json"}};

// Each read-only command, run as `run` says, exits 3 with one line naming `file`, and `file` is still not there.
template <typename Run>
void check_refused_without_creating(const fs::path& file, Run run) {
    for (const auto& command : read_only_commands) {
        const ProcessResult result = run(command);
        INFO(command.front() << ":\n" << result.all());
        CHECK(result.exit_code == 3);
        CHECK(error_lines(result.err) ==
              std::vector<std::string>{"migration-host: error: database file " + file.string() +
                                       " does not exist (a read-only command creates no database)"});
        CHECK(result.out.empty());
        CHECK_FALSE(fs::exists(file));
    }
}

void check_history_of_unknown_tracks(Backend backend) {
    const auto db = TestDatabase::create(backend);
    if (!db) return;
    const std::vector<std::string> cinder{CINDER_PLUGIN_DIR};

    // Nobody knows the track: unknown, exactly as plan says it.
    const auto history = run_with(*db, cinder, {"history", "nosuch"});
    const auto plan = run_with(*db, cinder, {"plan", "nosuch"});
    INFO("history:\n" << history.all() << "\nplan:\n" << plan.all());
    CHECK(history.exit_code == 4);
    CHECK(plan.exit_code == 4);
    CHECK(history.out.empty());
    REQUIRE(error_lines(history.err).size() == 1);
    CHECK(error_lines(history.err) == error_lines(plan.err));
    CHECK(run_with(*db, cinder, {"history", "nosuch", "--format", "json"}).exit_code == 4);

    // A provided track with no history yet is not unknown.
    const auto provided = run_with(*db, cinder, {"history", "cinder"});
    CHECK(provided.exit_code == 0);
    CHECK(contains(provided.out, "No history recorded."));

    // A track the history knows lists even when no loaded plugin provides it any more.
    REQUIRE(run_with(*db, {CINDER_PLUGIN_DIR, cinder_more, manila}, {"upgrade"}).exit_code == 0);
    const auto unprovided = run_with(*db, cinder, {"history", "manila"});
    INFO(unprovided.all());
    CHECK(unprovided.exit_code == 0);
    CHECK(contains(unprovided.out, "manila@1"));
    CHECK_FALSE(contains(unprovided.out, "cinder@1"));

    // So does a track with only a version row (recorded by another tool), with nothing to list.
    db->execute("INSERT INTO migrate_version (repository_id, repository_path, version) VALUES ('othertool', 'x', 2)");
    const auto version_only = run_with(*db, cinder, {"history", "othertool"});
    CHECK(version_only.exit_code == 0);
    CHECK(contains(version_only.out, "No history recorded."));
}

}  // namespace

TEST_CASE("read-only commands refuse a SQLite database file that does not exist, and create none",
          "[sqlite][read_only]") {
    const fs::path dir = make_temp_dir("mh-read-only");
    const fs::path file = dir / "missing.sqlite";

    SECTION("named in the connection string") {
        check_refused_without_creating(file, [&](const std::vector<std::string>& command) {
            return run_host(host_run_on("DRIVER={SQLite3};DATABASE=" + file.string(), {CINDER_PLUGIN_DIR}, command));
        });
    }
    SECTION("even when the connection string asks the driver to create it") {
        check_refused_without_creating(file, [&](const std::vector<std::string>& command) {
            return run_host(
                host_run_on("DRIVER=SQLite3;DATABASE=" + file.string() + ";NoCreat=0", {CINDER_PLUGIN_DIR}, command));
        });
    }
    SECTION("named by a DSN in a private odbc.ini") {
        const fs::path ini = dir / "odbc.ini";
        std::ofstream(ini) << "[mh_missing]\nDriver=SQLite3\nDatabase=" << file.string() << "\n";
        check_refused_without_creating(file, [&](const std::vector<std::string>& command) {
            return run_host(host_run_on("mh_missing", {CINDER_PLUGIN_DIR}, command, {{"ODBCINI", ini.string()}}));
        });
        // A command that writes creates it, through the same DSN.
        const auto upgrade =
            run_host(host_run_on("mh_missing", {CINDER_PLUGIN_DIR}, {"upgrade"}, {{"ODBCINI", ini.string()}}));
        INFO(upgrade.all());
        CHECK(upgrade.exit_code == 0);
        CHECK(fs::exists(file));
        const auto status =
            run_host(host_run_on("mh_missing", {CINDER_PLUGIN_DIR}, {"status"}, {{"ODBCINI", ini.string()}}));
        CHECK(status.exit_code == 0);
    }
    SECTION("the default database in the current directory") {
        const fs::path default_file = dir / "migration-host.sqlite";
        check_refused_without_creating(default_file, [&](const std::vector<std::string>& command) {
            return run_host(HostRun{command, {}, dir.string()});
        });
    }
    fs::remove_all(dir);
}

TEST_CASE("history of a track no plugin provides and the database never saw is an unknown track, as for plan",
          "[sqlite][read_only]") {
    check_history_of_unknown_tracks(Backend::sqlite);
}

TEST_CASE("mysql: history of a track no plugin provides and the database never saw is an unknown track",
          "[mysql][read_only]") {
    check_history_of_unknown_tracks(Backend::mysql);
}

TEST_CASE("postgresql: history of a track no plugin provides and the database never saw is an unknown track",
          "[postgresql][read_only]") {
    check_history_of_unknown_tracks(Backend::postgresql);
}
