// --format json for upgrade, downgrade, stamp, repair and unlock: one document per run, failed runs included.
// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
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
const std::string error_prefix = "migration-host: error: ";

// The run's document, checked against run.schema.json; stdout holds nothing else (no text result line).
json run_document(const ProcessResult& result) {
    INFO(result.all());
    return parse_against_schema(result.out, "run");
}

// The steps of a run's document as the history writes them: "track@version direction outcome".
std::vector<std::string> step_rows(const json& document) {
    std::vector<std::string> rows;
    for (const auto& step : document.at("steps")) {
        rows.push_back(fmt::format("{}@{} {} {}", step.at("track").get<std::string>(),
                                   step.at("version").get<long long>(), step.at("direction").get<std::string>(),
                                   step.at("outcome") == "applied" ? "succeeded" : "failed"));
    }
    return rows;
}

// The one error line on stderr, without its prefix: what a failed run's document must say as its error.
std::string error_text(const ProcessResult& result) {
    const auto lines = error_lines(result.err);
    REQUIRE(lines.size() == 1);
    return lines.front().substr(error_prefix.size());
}

void check_upgrade_json(Backend backend) {
    const auto db = TestDatabase::create(backend);
    if (!db) return;
    const auto upgraded = run_with(*db, cinder, {"upgrade", "--format", "json"});
    INFO(upgraded.all());
    REQUIRE(upgraded.exit_code == 0);
    const json document = run_document(upgraded);
    CHECK(document.at("command") == "upgrade");
    CHECK(document.at("outcome") == "applied");
    CHECK(document.at("database").at("dialect") == dialect_name(backend));
    CHECK(document.at("exit_code") == 0);
    CHECK(document.at("error").is_null());
    // Every step the history recorded, in its order, and each taking its track one version further.
    const auto rows = step_rows(document);
    CHECK(rows == history_rows(*db));
    REQUIRE_FALSE(rows.empty());
    long long version = 0;
    for (const auto& step : document.at("steps")) {
        CHECK(step.at("from_version") == version);
        version = step.at("to_version").get<long long>();
        CHECK_FALSE(step.at("plugin_id").get<std::string>().empty());
        CHECK_FALSE(step.at("name").get<std::string>().empty());
    }
    CHECK(db->version_of("cinder") == version);
    // A fresh database: the host made its tables, and took its lock.
    const auto& created = document.at("tables_created");
    CHECK(std::find(created.begin(), created.end(), "migrate_version") != created.end());
    CHECK(std::find(created.begin(), created.end(), "migration_host_history") != created.end());
    REQUIRE(document.at("lock").is_object());
    CHECK_FALSE(document.at("lock").at("name").get<std::string>().empty());
    // The log stays on stderr.
    CHECK(contains(upgraded.err, "running cinder@1"));

    // Again: nothing to do, every track where it is.
    const auto again = run_with(*db, cinder, {"upgrade", "--format", "json"});
    INFO(again.all());
    REQUIRE(again.exit_code == 0);
    const json up_to_date = run_document(again);
    CHECK(up_to_date.at("outcome") == "up_to_date");
    CHECK(up_to_date.at("steps").empty());
    CHECK(up_to_date.at("tables_created").empty());
    CHECK(up_to_date.at("versions") == json::array({{{"track", "cinder"}, {"version", version}}}));
}

// A step that fails: the steps before it applied, it failed, and the run's exit code and error line are in the
// document as on stderr. The history agrees.
void check_failed_step_json(Backend backend) {
    const auto db = TestDatabase::create(backend);
    if (!db) return;
    const auto failed = run_with(*db, {CINDER_PLUGIN_DIR, failing_step}, {"upgrade", "cinder@2", "--format", "json"});
    INFO(failed.all());
    CHECK(failed.exit_code == 1);
    const json document = run_document(failed);
    CHECK(document.at("outcome") == "failed");
    CHECK(document.at("exit_code") == failed.exit_code);
    CHECK(document.at("error") == error_text(failed));
    CHECK(step_rows(document) == history_rows(*db));
    CHECK(step_rows(document) == std::vector<std::string>{"cinder@1 upgrade succeeded", "cinder@2 upgrade failed"});
    const json& last = document.at("steps").back();
    CHECK(last.at("plugin_id") == "failing_step");
    CHECK(contains(document.at("error").get<std::string>(), last.at("error").get<std::string>()));
}

}  // namespace

TEST_CASE("upgrade --format json: the run's document, then up to date (SQLite)", "[sqlite][run_json]") {
    check_upgrade_json(Backend::sqlite);
}

TEST_CASE("upgrade --format json: the run's document, then up to date (MariaDB)", "[mysql][run_json]") {
    check_upgrade_json(Backend::mysql);
}

TEST_CASE("upgrade --format json: the run's document, then up to date (PostgreSQL)", "[postgresql][run_json]") {
    check_upgrade_json(Backend::postgresql);
}

TEST_CASE("upgrade --format json: a failed step's document (SQLite)", "[sqlite][run_json]") {
    check_failed_step_json(Backend::sqlite);
}

TEST_CASE("upgrade --format json: a failed step's document (MariaDB)", "[mysql][run_json]") {
    check_failed_step_json(Backend::mysql);
}

TEST_CASE("upgrade --format json: a failed step's document (PostgreSQL)", "[postgresql][run_json]") {
    check_failed_step_json(Backend::postgresql);
}

TEST_CASE("run JSON: a run that fails before it connects still prints its document", "[sqlite][run_json]") {
    const auto db = TestDatabase::create(Backend::sqlite);
    const TempDir temp;
    const auto missing = temp.path + "/no-such-directory";
    const auto failed = run_with(*db, {missing}, {"upgrade", "--format", "json"});
    INFO(failed.all());
    CHECK(failed.exit_code == 4);
    const json document = run_document(failed);
    CHECK(document.at("outcome") == "failed");
    CHECK(document.at("database").is_null());
    CHECK(document.at("lock").is_null());
    CHECK(document.at("exit_code") == 4);
    CHECK(document.at("error") == error_text(failed));
}

TEST_CASE("downgrade --format json: the steps undone, then already at the version", "[sqlite][run_json]") {
    const auto db = TestDatabase::create(Backend::sqlite);
    require_ok(run_with(*db, cinder, {"upgrade"}));
    const long long top = db->version_of("cinder").value_or(-1);
    REQUIRE(top >= 2);
    const auto downgraded = run_with(*db, cinder, {"downgrade", "cinder@-2", "--format", "json"});
    INFO(downgraded.all());
    REQUIRE(downgraded.exit_code == 0);
    const json document = run_document(downgraded);
    CHECK(document.at("command") == "downgrade");
    CHECK(document.at("outcome") == "applied");
    const auto& steps = document.at("steps");
    REQUIRE(steps.size() == 2);
    CHECK(steps[0].at("direction") == "downgrade");
    CHECK(steps[0].at("from_version") == top);
    CHECK(steps[0].at("to_version") == top - 1);
    CHECK(steps[1].at("from_version") == top - 1);
    CHECK(steps[1].at("to_version") == top - 2);
    CHECK(db->version_of("cinder") == top - 2);
    CHECK(document.at("tables_created").empty());

    const auto again = run_with(*db, cinder, {"downgrade", fmt::format("cinder@{}", top - 2), "--format", "json"});
    INFO(again.all());
    REQUIRE(again.exit_code == 0);
    const json already = run_document(again);
    CHECK(already.at("outcome") == "already_at");
    CHECK(already.at("versions") == json::array({{{"track", "cinder"}, {"version", top - 2}}}));
}

TEST_CASE("stamp --format json: the version recorded, no step run", "[sqlite][run_json]") {
    const auto db = TestDatabase::create(Backend::sqlite);
    const auto stamped = run_with(*db, cinder, {"stamp", "cinder@3", "--format", "json"});
    INFO(stamped.all());
    REQUIRE(stamped.exit_code == 0);
    const json document = run_document(stamped);
    CHECK(document.at("command") == "stamp");
    CHECK(document.at("outcome") == "stamped");
    CHECK(document.at("steps").empty());
    CHECK(document.at("recorded") == json{{"track", "cinder"}, {"from_version", 0}, {"to_version", 3}});
    CHECK(db->version_of("cinder") == 3);
}

TEST_CASE("repair --format json: a dirty track's unfinished step settled (MariaDB)", "[mysql][run_json]") {
    const auto db = TestDatabase::create(Backend::mysql);
    if (!db) return;
    const std::vector<std::string> dirs{CINDER_PLUGIN_DIR, failing_step};
    REQUIRE(run_with(*db, dirs, {"upgrade", "cinder@2"}).exit_code == 1);
    db->execute("DROP TABLE failing_two");  // the operator puts the schema back as it was before cinder@2
    const auto repaired = run_with(*db, dirs, {"repair", "cinder@1", "--format", "json"});
    INFO(repaired.all());
    REQUIRE(repaired.exit_code == 0);
    const json document = run_document(repaired);
    CHECK(document.at("command") == "repair");
    CHECK(document.at("outcome") == "repaired");
    CHECK(document.at("recorded") ==
          json{{"track", "cinder"},
               {"from_version", 1},
               {"to_version", 1},
               {"settled", {{"track", "cinder"}, {"version", 2}, {"direction", "upgrade"}, {"done", false}}}});
    CHECK(document.at("database").at("dialect") == "mysql");
}

TEST_CASE("unlock --format json: nothing to release, and a failure's document", "[sqlite][run_json]") {
    const auto db = TestDatabase::create(Backend::sqlite);
    db->execute("CREATE TABLE placeholder (id INTEGER)");  // unlock's read-only connection needs the file
    const auto unlocked = run_with(*db, {}, {"unlock", "--format", "json"});
    INFO(unlocked.all());
    REQUIRE(unlocked.exit_code == 0);
    const json document = parse_against_schema(unlocked.out, "unlock");
    CHECK(document.at("outcome") == "not_locked");
    CHECK(document.at("forced") == false);
    CHECK(contains(document.at("message").get<std::string>(), "Not locked"));
    CHECK(contains(document.at("note").get<std::string>(), "use its own lock"));
    CHECK(document.at("database").at("dialect") == "sqlite");

    const TempDir temp;
    const auto failed = run_host(host_run_on(fmt::format("DRIVER=SQLite3;DATABASE={}/none/db.sqlite", temp.path), {},
                                             {"unlock", "--format", "json"}));
    INFO(failed.all());
    CHECK(failed.exit_code != 0);
    const json failure = parse_against_schema(failed.out, "unlock");
    CHECK(failure.at("outcome") == "failed");
    CHECK(failure.at("exit_code") == failed.exit_code);
    CHECK(failure.at("error") == error_text(failed));
    CHECK(failure.at("database").is_null());
}
