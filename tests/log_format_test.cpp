// --log-format json: each stderr line one JSON object, with the step, the exit code and the fleet target.
// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "host_process.hpp"
#include "json_schema.hpp"
#include "lock_scenarios.hpp"
#include "test_database.hpp"

#ifndef TEST_PLUGIN_ROOT
#error "TEST_PLUGIN_ROOT must be defined by the build"
#endif

using namespace test_support;
using nlohmann::json;

namespace {

const std::string failing_step = TEST_PLUGIN_ROOT "/failing_step";

// The Cinder plugins of the build (cinder to version 9).
const std::vector<std::string> cinder{CINDER_PLUGIN_DIR, GRIZZLY_PLUGIN_DIR};

// The first line whose message starts with `start`; a null JSON when none does.
json line_starting(const std::vector<json>& lines, const std::string& start) {
    for (const auto& line : lines) {
        if (line.at("message").get<std::string>().rfind(start, 0) == 0) return line;
    }
    return nullptr;
}

// The first line whose message holds `part`; a null JSON when none does.
json line_containing(const std::vector<json>& lines, const std::string& part) {
    for (const auto& line : lines) {
        if (contains(line.at("message").get<std::string>(), part)) return line;
    }
    return nullptr;
}

std::string write_file(const std::string& directory, const std::string& name, const std::string& text) {
    const auto path = directory + "/" + name;
    std::ofstream(path) << text;
    return path;
}

// A fleet of two SQLite databases, named by configured targets, run with --log-format json: every line on stderr is
// a JSON log line (the children's, relayed as they are, and the parent's report as each database ends), and each
// carries the target it is about. `plugin_dir`: the plugins (thread_at_load's thread makes the children exec the host).
void check_fleet_child_lines(const std::string& plugin_dir, const std::string& track) {
    const auto first = TestDatabase::create(Backend::sqlite);
    const auto second = TestDatabase::create(Backend::sqlite);
    const TempDir temp;
    const auto config = write_file(temp.path, "mh.ini",
                                   fmt::format("[target.cell1]\ndsn = {}\n[target.cell2]\ndsn = {}\n",
                                               first->connection_string(), second->connection_string()));
    const auto targets = write_file(temp.path, "targets", "cell1\ncell2\n");
    const auto result = run_host(HostRun{{"--no-default-plugins", "--plugin-path", plugin_dir, "--config", config,
                                          "--log-format", "json", "upgrade", "--targets", targets},
                                         {},
                                         std::nullopt});
    INFO(result.all());
    REQUIRE(result.exit_code == 0);
    const auto lines = parse_lines_against_schema(result.err, "log-line");
    REQUIRE(lines.size() == line_count(result.err));
    for (const std::string name : {"cell1", "cell2"}) {
        const json ended = line_containing(lines, "] " + name + ": exit 0 (ok)");
        REQUIRE(ended.is_object());
        CHECK(ended.at("target") == name);
        CHECK(ended.at("level") == "info");
    }
    std::vector<std::string> seen;
    for (const auto& line : lines) {
        INFO(line.dump());
        REQUIRE(line.contains("target"));
        seen.push_back(line.at("target").get<std::string>());
        // Each child's step line is its own.
        if (line.at("message").get<std::string>().rfind("running " + track + "@1", 0) == 0) {
            CHECK(line.at("track") == track);
            CHECK(line.at("version") == 1);
        }
    }
    CHECK(std::count(seen.begin(), seen.end(), "cell1") >= 1);
    CHECK(std::count(seen.begin(), seen.end(), "cell2") >= 1);
    CHECK(std::count(seen.begin(), seen.end(), "cell1") + std::count(seen.begin(), seen.end(), "cell2") ==
          static_cast<long>(seen.size()));
}

}  // namespace

TEST_CASE("log-format json: each line an object, and a step's lines carry its track and version",
          "[sqlite][log_format]") {
    const auto db = TestDatabase::create(Backend::sqlite);
    const auto result = run_with(*db, cinder, {"--log-format", "json", "upgrade", "cinder@2"});
    INFO(result.all());
    REQUIRE(result.exit_code == 0);
    const auto lines = parse_lines_against_schema(result.err, "log-line");
    REQUIRE(lines.size() == line_count(result.err));
    const json created = line_starting(lines, "created migrate_version");
    REQUIRE(created.is_object());
    CHECK(created.at("level") == "info");
    CHECK_FALSE(created.contains("track"));
    for (const int version : {1, 2}) {
        const json running = line_starting(lines, fmt::format("running cinder@{}", version));
        INFO("cinder@" << version);
        REQUIRE(running.is_object());
        CHECK(running.at("track") == "cinder");
        CHECK(running.at("version") == version);
        CHECK_FALSE(running.contains("target"));
    }
    // The text result stays on stdout.
    CHECK(contains(result.out, "Applied 2 steps"));
}

TEST_CASE(
    "log-format json: a plugin's own line in a step carries the step, escaped, and the error line is JSON with "
    "the exit code",
    "[sqlite][log_format]") {
    const auto db = TestDatabase::create(Backend::sqlite);
    const auto result =
        run_with(*db, {CINDER_PLUGIN_DIR, failing_step}, {"--log-format", "json", "upgrade", "cinder@2"},
                 {{"MIGRATION_HOST_TEST_FAILURE", "escape"}});
    INFO(result.all());
    CHECK(result.exit_code == 1);
    CHECK(error_lines(result.err).empty());  // no text error line among the JSON ones
    CHECK(result.err.find('\x1b') == std::string::npos);
    const auto lines = parse_lines_against_schema(result.err, "log-line");
    REQUIRE(lines.size() == line_count(result.err));
    const json logged = line_containing(lines, "logged escape follows: \x1b[2J");
    REQUIRE(logged.is_object());
    CHECK(logged.at("level") == "warning");
    CHECK(logged.at("track") == "cinder");
    CHECK(logged.at("version") == 2);
    const json& last = lines.back();
    CHECK(last.at("level") == "error");
    CHECK(last.at("exit_code") == result.exit_code);
    CHECK(contains(last.at("message").get<std::string>(), "cinder@2 (002_failing) failed"));
    CHECK_FALSE(last.contains("track"));  // the run is over; the line is about the run
}

TEST_CASE("log-format from the environment and the configuration file, and a bad value is a usage error",
          "[sqlite][log_format]") {
    const auto db = TestDatabase::create(Backend::sqlite);
    const auto from_environment =
        run_with(*db, cinder, {"upgrade", "cinder@1"}, {{"MIGRATION_HOST_LOG_FORMAT", "json"}});
    INFO(from_environment.all());
    REQUIRE(from_environment.exit_code == 0);
    CHECK(
        line_starting(parse_lines_against_schema(from_environment.err, "log-line"), "running cinder@1").at("version") ==
        1);

    const TempDir temp;
    const auto config = write_file(temp.path, "mh.ini", "log-format = json\n");
    const auto from_file = run_with(*db, cinder, {"--config", config, "upgrade", "cinder@2"});
    INFO(from_file.all());
    REQUIRE(from_file.exit_code == 0);
    CHECK(line_starting(parse_lines_against_schema(from_file.err, "log-line"), "running cinder@2").at("version") == 2);

    const auto bad = run_with(*db, cinder, {"--log-format", "xml", "status"});
    check_one_line_error(bad, "invalid --log-format 'xml': expected text or json");
    CHECK(bad.exit_code == 2);
}

TEST_CASE("log-format json in a fleet: each forked child's lines carry its target", "[sqlite][fleet][log_format]") {
    check_fleet_child_lines(CINDER_PLUGIN_DIR, "cinder");
}

TEST_CASE("log-format json in a fleet: each child executed anew carries its target", "[sqlite][fleet][log_format]") {
    check_fleet_child_lines(TEST_PLUGIN_ROOT "/thread_at_load", "threaded");
}
