// status --check's exit codes (7 dirty, 8 ahead, 12 unversioned, 9 unknown track, 6 pending, in that precedence) and plan predicting every refusal of upgrade, on each backend.
// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "host_process.hpp"
#include "json_schema.hpp"
#include "test_database.hpp"

#ifndef TEST_PLUGIN_ROOT
#error "TEST_PLUGIN_ROOT must be defined by the build"
#endif

using namespace test_support;
using nlohmann::json;

namespace {

const std::string cinder_more = TEST_PLUGIN_ROOT "/cinder_more";
const std::string failing_step = TEST_PLUGIN_ROOT "/failing_step";

// The state of one track in `status --format json`.
std::string track_state(const json& status, const std::string& track) {
    for (const auto& entry : status.at("tracks")) {
        if (entry.at("track") == track) return entry.at("state").get<std::string>();
    }
    return "(not listed)";
}

// status --check in text and in JSON: both exit `expected`, the JSON says the same, and plain status exits 0.
json check_status(const TestDatabase& db, const std::vector<std::string>& plugin_dirs, int expected,
                  const std::string& overall) {
    const auto text = run_with(db, plugin_dirs, {"status", "--check"});
    INFO("status --check:\n" << text.all());
    CHECK(text.exit_code == expected);
    CHECK(contains(text.out, "TRACK"));
    CHECK(error_lines(text.err).empty());
    const auto plain = run_with(db, plugin_dirs, {"status"});
    CHECK(plain.exit_code == 0);
    CHECK(plain.out == text.out);

    const auto as_json = run_with(db, plugin_dirs, {"status", "--check", "--format", "json"});
    INFO("status --check --format json:\n" << as_json.all());
    CHECK(as_json.exit_code == expected);
    const json document = parse_against_schema(as_json.out, "status");
    CHECK(document.at("state") == overall);
    CHECK(document.at("needs_attention") == (expected != 0));
    CHECK(document.at("check_exit_code") == expected);
    return document;
}

void insert_version(const TestDatabase& db, const std::string& track, int version) {
    db.execute("INSERT INTO migrate_version (repository_id, repository_path, version) VALUES ('" + track +
               "', 'by hand', " + std::to_string(version) + ")");
}

void check_exit_codes(Backend backend) {
    const auto db = TestDatabase::create(backend);
    if (!db) return;
    const std::vector<std::string> cinder{CINDER_PLUGIN_DIR};
    const std::vector<std::string> cinder_and_more{CINDER_PLUGIN_DIR, cinder_more};

    // Fresh: cinder@1 is pending.
    auto status = check_status(*db, cinder, 6, "pending");
    CHECK(track_state(status, "cinder") == "pending");

    REQUIRE(run_with(*db, cinder, {"upgrade"}).exit_code == 0);
    status = check_status(*db, cinder, 0, "up_to_date");
    CHECK(track_state(status, "cinder") == "up_to_date");

    // A track no plugin provides outranks a pending step.
    insert_version(*db, "othertool", 3);
    status = check_status(*db, cinder, 9, "unknown_track");
    CHECK(track_state(status, "othertool") == "unknown_track");
    status = check_status(*db, cinder_and_more, 9, "unknown_track");
    CHECK(track_state(status, "cinder") == "pending");

    // The database ahead of the loaded plugins outranks an unknown track.
    REQUIRE(run_with(*db, cinder_and_more, {"upgrade"}).exit_code == 0);
    status = check_status(*db, cinder, 8, "ahead");
    CHECK(track_state(status, "cinder") == "ahead");
    CHECK(track_state(status, "othertool") == "unknown_track");
    db->execute("DELETE FROM migrate_version WHERE repository_id = 'othertool'");
    check_status(*db, cinder, 8, "ahead");
    check_status(*db, cinder_and_more, 0, "up_to_date");
}

// A step that fails halfway: dirty (7) on MySQL, where DDL commits; elsewhere it rolled back and is still pending.
void check_failed_step(Backend backend) {
    const auto db = TestDatabase::create(backend);
    if (!db) return;
    const std::vector<std::string> cinder{CINDER_PLUGIN_DIR};
    const std::vector<std::string> failing{CINDER_PLUGIN_DIR, failing_step};
    REQUIRE(run_with(*db, cinder, {"upgrade"}).exit_code == 0);
    REQUIRE(run_with(*db, failing, {"upgrade"}).exit_code == 1);
    if (backend != Backend::mysql) {
        const auto status = check_status(*db, failing, 6, "pending");
        CHECK(track_state(status, "cinder") == "pending");
        return;
    }
    auto status = check_status(*db, failing, 7, "dirty");
    CHECK(track_state(status, "cinder") == "dirty");
    for (const auto& track : status.at("tracks")) {
        if (track.at("track") != "cinder") continue;
        CHECK(track.at("unfinished_step").at("outcome") == "failed");
        CHECK(track.at("unfinished_step").at("to_version") == 2);
    }
    // Dirty outranks everything else.
    insert_version(*db, "othertool", 1);
    check_status(*db, failing, 7, "dirty");
}

// plan refuses what upgrade refuses, with the same exit code and the same first error line, and prints no plan.
void check_plan_predicts(const TestDatabase& db, const std::vector<std::string>& plugin_dirs,
                         const std::vector<std::string>& targets, int expected, const std::string& cause) {
    std::vector<std::string> plan{"plan"}, plan_json{"plan", "--format", "json"}, upgrade{"upgrade"};
    for (const auto& target : targets) {
        plan.push_back(target);
        plan_json.push_back(target);
        upgrade.push_back(target);
    }
    const auto planned = run_with(db, plugin_dirs, plan);
    const auto planned_json = run_with(db, plugin_dirs, plan_json);
    const auto upgraded = run_with(db, plugin_dirs, upgrade);
    INFO("plan:\n" << planned.all() << "\nupgrade:\n" << upgraded.all());
    CHECK(upgraded.exit_code == expected);
    CHECK(planned.exit_code == expected);
    CHECK(planned_json.exit_code == expected);
    const auto plan_errors = error_lines(planned.err);
    const auto upgrade_errors = error_lines(upgraded.err);
    REQUIRE(!plan_errors.empty());
    REQUIRE(!upgrade_errors.empty());
    CHECK(plan_errors.front() == upgrade_errors.front());
    CHECK(error_lines(planned_json.err).front() == upgrade_errors.front());
    CHECK(contains(upgrade_errors.front(), cause));
    CHECK(planned.out.empty());
    CHECK(planned_json.out.empty());
}

void check_plan_predictions(Backend backend) {
    const auto db = TestDatabase::create(backend);
    if (!db) return;
    const std::vector<std::string> cinder{CINDER_PLUGIN_DIR};
    const std::vector<std::string> cinder_and_more{CINDER_PLUGIN_DIR, cinder_more};

    check_plan_predicts(*db, cinder, {"nosuch"}, 4, "unknown track 'nosuch'");

    REQUIRE(run_with(*db, cinder, {"upgrade"}).exit_code == 0);

    // No history id left for the next step's row.
    if (backend == Backend::mysql) db->execute("ALTER TABLE migration_host_history MODIFY id BIGINT NOT NULL");
    if (backend == Backend::postgresql) db->execute("ALTER TABLE migration_host_history ALTER COLUMN id TYPE BIGINT");
    db->execute("UPDATE migration_host_history SET id = 9223372036854775807");
    check_plan_predicts(*db, cinder_and_more, {}, 5, "no id is left for another row");
    db->execute("UPDATE migration_host_history SET id = 1");

    // Tables the first step creates, but no version: stamp first.
    db->execute("DELETE FROM migrate_version");
    check_plan_predicts(*db, cinder, {}, 5, "'migration-host stamp cinder@N'");
    check_plan_predicts(*db, cinder, {"cinder"}, 5, "'migration-host stamp cinder@N'");

    // The database ahead of the plugins; a target below the database's version.
    REQUIRE(run_with(*db, cinder_and_more, {"stamp", "cinder@1"}).exit_code == 0);
    REQUIRE(run_with(*db, cinder_and_more, {"upgrade"}).exit_code == 0);
    check_plan_predicts(*db, cinder, {}, 5, "but the loaded plugins only know up to 1");
    check_plan_predicts(*db, cinder_and_more, {"cinder@2"}, 5, "above the upgrade target cinder@2");
    const auto nothing = run_with(*db, cinder_and_more, {"plan"});
    CHECK(nothing.exit_code == 0);
    CHECK(contains(nothing.out, "Nothing to do"));
}

// Tables a track's first step creates, but no version for the track: one verdict, from one check. status shows a
// state of its own and --check exits 12; plan and upgrade refuse (5) with what status says.
void check_unversioned(Backend backend) {
    const auto db = TestDatabase::create(backend);
    if (!db) return;
    const std::vector<std::string> cinder{CINDER_PLUGIN_DIR};
    db->execute("CREATE TABLE volumes (id INTEGER NOT NULL, PRIMARY KEY (id))");
    const std::string verdict =
        "the database already has tables that cinder@1 (001_cinder_init) creates (volumes) but no version for track "
        "cinder";
    // Without migrate_version, then with it but without the track.
    for (const bool with_version_table : {false, true}) {
        INFO("migrate_version exists: " << with_version_table);
        if (with_version_table) {
            db->execute(
                "CREATE TABLE migrate_version (repository_id VARCHAR(250) NOT NULL, repository_path TEXT, "
                "version INTEGER, PRIMARY KEY (repository_id))");
        }
        const auto status = check_status(*db, cinder, 12, "unversioned");
        CHECK(track_state(status, "cinder") == "unversioned");
        CHECK(status.at("tracks").at(0).at("unversioned_tables") == json::array({"volumes"}));
        const auto text = run_with(*db, cinder, {"status"});
        CHECK(contains(text.out, "  UNVERSIONED: " + verdict + "\n"));
        CHECK(contains(text.out, "'migration-host stamp cinder@N'"));
        check_plan_predicts(*db, cinder, {}, 5, verdict);
        check_plan_predicts(*db, cinder, {"cinder@1"}, 5, verdict);
    }
    // It outranks a track no plugin provides, as it does a pending step.
    insert_version(*db, "othertool", 1);
    check_status(*db, cinder, 12, "unversioned");
    // Stamped, the track has a version like any other.
    REQUIRE(run_with(*db, cinder, {"stamp", "cinder@1"}).exit_code == 0);
    const auto stamped = check_status(*db, cinder, 9, "unknown_track");
    CHECK(track_state(stamped, "cinder") == "up_to_date");
}

// MySQL: a dirty track is refused by plan as by upgrade, even when nothing is left to do for the loaded plugins.
void check_plan_predicts_dirty() {
    const auto db = TestDatabase::create(Backend::mysql);
    if (!db) return;
    const std::vector<std::string> cinder{CINDER_PLUGIN_DIR};
    const std::vector<std::string> failing{CINDER_PLUGIN_DIR, failing_step};
    REQUIRE(run_with(*db, cinder, {"upgrade"}).exit_code == 0);
    REQUIRE(run_with(*db, failing, {"upgrade"}).exit_code == 1);
    check_plan_predicts(*db, failing, {}, 5, "track cinder is dirty");
    check_plan_predicts(*db, cinder, {}, 5, "track cinder is dirty");
    check_plan_predicts(*db, cinder, {"cinder@1"}, 5, "track cinder is dirty");
}

}  // namespace

TEST_CASE("mysql: plan refuses a dirty track as upgrade does", "[mysql][status_check]") { check_plan_predicts_dirty(); }

#define STATUS_CHECK_CASES(backend_tag, backend)                                                                     \
    TEST_CASE(backend_tag ": status --check exits 0, 6, 8 or 9, the most severe first",                              \
              "[" backend_tag "][status_check]") {                                                                   \
        check_exit_codes(backend);                                                                                   \
    }                                                                                                                \
    TEST_CASE(backend_tag ": status --check after a failed step: dirty (7) where DDL commits, else pending",        \
              "[" backend_tag "][status_check]") {                                                                   \
        check_failed_step(backend);                                                                                  \
    }                                                                                                                \
    TEST_CASE(backend_tag ": plan predicts upgrade's refusals with its exit code and message",                      \
              "[" backend_tag "][status_check]") {                                                                   \
        check_plan_predictions(backend);                                                                             \
    }                                                                                                                \
    TEST_CASE(backend_tag ": tables without a version: status, status --check (12), plan and upgrade agree",         \
              "[" backend_tag "][status_check]") {                                                                   \
        check_unversioned(backend);                                                                                  \
    }

STATUS_CHECK_CASES("sqlite", Backend::sqlite)
STATUS_CHECK_CASES("mysql", Backend::mysql)
STATUS_CHECK_CASES("postgresql", Backend::postgresql)
