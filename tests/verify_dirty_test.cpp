// verify on dirty tracks (MySQL): the schema against each unfinished step done and not done, and the repair to run.
// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <regex>
#include <set>
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

// The fail_at plugin's tracks alpha and beta; `fail_at` (MIGRATION_HOST_TEST_FAIL_AT) makes a step fail before
// that statement: "alpha@2 upgrade 1" leaves none of its three changes, "... 2" the first, "... 4" all of them.
ProcessResult run(const TestDatabase& database, const std::vector<std::string>& arguments,
                  const std::string& fail_at = "") {
    std::map<std::string, std::string> environment;
    if (!fail_at.empty()) environment["MIGRATION_HOST_TEST_FAIL_AT"] = fail_at;
    return run_host(host_run_on(database.connection_string(), {TEST_PLUGIN_ROOT "/fail_at"}, arguments, environment));
}

void succeeds(const TestDatabase& database, const std::vector<std::string>& arguments) {
    const auto result = run(database, arguments);
    INFO(result.all());
    REQUIRE(result.exit_code == 0);
}

// A step that fails where `fail_at` says, leaving its track dirty.
void fails(const TestDatabase& database, const std::vector<std::string>& arguments, const std::string& fail_at) {
    const auto result = run(database, arguments, fail_at);
    INFO(result.all());
    REQUIRE(result.exit_code == 1);
}

// "table kind object" for each difference.
std::set<std::string> drift(const json& differences) {
    std::set<std::string> listed;
    for (const auto& difference : differences) {
        listed.insert(fmt::format("{} {} {}", difference.at("table").get<std::string>(),
                                  difference.at("kind").get<std::string>(),
                                  difference.at("object").get<std::string>()));
    }
    return listed;
}

std::string history_rows(const TestDatabase& database) {
    return database.scalar("SELECT COUNT(*) FROM migration_host_history").value_or("");
}

// verify in JSON on the dirty database: exit 5, one error line holding `verdict`, the database untouched.
json verify_json(const TestDatabase& database, const std::string& verdict) {
    const std::string rows = history_rows(database);
    const auto result = run(database, {"verify", "--format", "json"});
    INFO(result.all());
    CHECK(result.exit_code == 5);
    const auto errors = error_lines(result.err);
    REQUIRE(errors.size() == 1);
    CHECK(errors.front().find(verdict) != std::string::npos);
    CHECK(history_rows(database) == rows);
    const json document = parse_against_schema(result.out, "verify");
    CHECK(document.at("clean") == false);
    return document;
}

// verify in text on the dirty database: exit 5, every candidate's heading and differences, `verdict` on stderr.
ProcessResult verify_text(const TestDatabase& database, const std::string& verdict) {
    const auto result = run(database, {"verify"});
    INFO(result.all());
    CHECK(result.exit_code == 5);
    const auto errors = error_lines(result.err);
    REQUIRE(errors.size() == 1);
    CHECK(errors.front().find(verdict) != std::string::npos);
    return result;
}

// After the repair the verdict names, verify is clean at the versions it recorded.
void repair_and_verify_clean(const TestDatabase& database, const std::vector<std::string>& repairs,
                             const std::string& applied) {
    for (const auto& target : repairs) succeeds(database, {"repair", target});
    const auto result = run(database, {"verify"});
    INFO(result.all());
    CHECK(result.exit_code == 0);
    CHECK(result.out.find(fmt::format("Expected: what {} leave", applied)) != std::string::npos);
    CHECK(result.out.find("No drift: the database has exactly the") != std::string::npos);
    CHECK(error_lines(result.err).empty());
}

// The scratch databases verify's text names, in order, once each; each one checked to be gone now.
std::vector<std::string> scratches_removed(const TestDatabase& database, const std::string& verify_output) {
    std::vector<std::string> names;
    const std::regex scratch("scratch database (migration_host_verify_[0-9a-f_]+)");
    for (auto found = std::sregex_iterator(verify_output.begin(), verify_output.end(), scratch);
         found != std::sregex_iterator(); ++found) {
        const std::string name = (*found)[1].str();
        if (!names.empty() && names.back() == name) continue;
        names.push_back(name);
        CHECK(database.scalar("SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = ?", {name}) ==
              std::optional<std::string>("0"));
    }
    return names;
}

const std::set<std::string> alpha_2_changes = {"alpha_two table_missing ", "alpha_one column_missing note",
                                               "alpha_one index_missing ix_alpha_one_note"};

// beta clean at 2, alpha dirty after alpha@2 failed before its statement `fail_before`.
void alpha_fails_before(const TestDatabase& database, int fail_before) {
    succeeds(database, {"upgrade", "beta"});
    succeeds(database, {"upgrade", "alpha@1"});
    fails(database, {"upgrade", "alpha@2"}, fmt::format("alpha@2 upgrade {}", fail_before));
}

void check_candidate(const json& candidate, const json& done, const json& applied, const json& repair) {
    CHECK(candidate.at("done") == done);
    CHECK(candidate.at("applied") == applied);
    CHECK(candidate.at("repair") == repair);
}

}  // namespace

TEST_CASE("mysql: verify on a dirty track whose failed step left none of its changes names repair to its start",
          "[mysql][verify]") {
    const auto database = TestDatabase::create(Backend::mysql);
    alpha_fails_before(*database, 1);
    const std::string verdict =
        "track alpha is dirty, and the live schema is exactly what alpha@1, beta@2 leave (alpha@2 upgrade not done): "
        "run 'migration-host repair alpha@1'";

    const json document = verify_json(*database, verdict);
    CHECK(document.at("repair") == json::array({"alpha@1"}));
    CHECK(document.at("applied") == json({{"alpha", 1}, {"beta", 2}}));
    const json& dirty = document.at("dirty");
    REQUIRE(dirty.size() == 1);
    CHECK(dirty[0].at("track") == "alpha");
    CHECK(dirty[0].at("version") == 2);
    CHECK(dirty[0].at("direction") == "upgrade");
    CHECK(dirty[0].at("outcome") == "failed");
    CHECK(dirty[0].at("from_version") == 1);
    CHECK(dirty[0].at("to_version") == 2);
    CHECK(dirty[0].at("resumable") == false);  // a failed step would fail again
    const json& candidates = document.at("candidates");
    REQUIRE(candidates.size() == 2);
    check_candidate(candidates[0], {{"alpha", false}}, {{"alpha", 1}, {"beta", 2}}, json::array({"alpha@1"}));
    CHECK(candidates[0].at("matches") == true);
    CHECK(candidates[0].at("differences") == json::array());
    check_candidate(candidates[1], {{"alpha", true}}, {{"alpha", 2}, {"beta", 2}}, json::array({"alpha@2"}));
    CHECK(candidates[1].at("matches") == false);
    CHECK(drift(candidates[1].at("differences")) == alpha_2_changes);
    // The top level is the versions migrate_version records, as without a dirty track.
    CHECK(document.at("differences") == json::array());

    const auto text = verify_text(*database, verdict);
    CHECK(text.out.find("Dirty: alpha@2 upgrade failed at ") != std::string::npos);
    CHECK(text.out.find("Expected with alpha@2 upgrade not done: what alpha@1, beta@2 leave (scratch database "
                        "migration_host_verify_") != std::string::npos);
    CHECK(text.out.find("  Match: the database has exactly the 3 tables these steps create.\n") != std::string::npos);
    CHECK(text.out.find("Expected with alpha@2 upgrade done: what alpha@2, beta@2 leave (") != std::string::npos);
    for (const auto& difference : candidates[1].at("differences")) {
        CHECK(text.out.find("  " + difference.at("message").get<std::string>() + "\n") != std::string::npos);
    }
    // The step done is built on the scratch of the step not done: one scratch, removed at the end.
    CHECK(scratches_removed(*database, text.out).size() == 1);

    repair_and_verify_clean(*database, {"alpha@1"}, "alpha@1, beta@2");
}

TEST_CASE("mysql: verify on a dirty track whose failed step left all of its changes names repair to its target",
          "[mysql][verify]") {
    const auto database = TestDatabase::create(Backend::mysql);
    alpha_fails_before(*database, 4);  // after its last statement
    const std::string verdict =
        "track alpha is dirty, and the live schema is exactly what alpha@2, beta@2 leave (alpha@2 upgrade done): "
        "run 'migration-host repair alpha@2'";

    const json document = verify_json(*database, verdict);
    CHECK(document.at("repair") == json::array({"alpha@2"}));
    const json& candidates = document.at("candidates");
    REQUIRE(candidates.size() == 2);
    CHECK(candidates[0].at("matches") == false);
    // Against the recorded versions, each of the step's changes is extra, or (the column) not expected.
    CHECK(drift(candidates[0].at("differences")) == std::set<std::string>{"alpha_two table_extra ",
                                                                          "alpha_one column_extra note",
                                                                          "alpha_one index_extra ix_alpha_one_note"});
    CHECK(document.at("differences") == candidates[0].at("differences"));
    CHECK(candidates[1].at("matches") == true);
    CHECK(candidates[1].at("differences") == json::array());

    const auto text = verify_text(*database, verdict);
    CHECK(text.out.find("Expected with alpha@2 upgrade done: what alpha@2, beta@2 leave (") != std::string::npos);
    CHECK(text.out.find("  Match: the database has exactly the 4 tables these steps create.\n") != std::string::npos);

    repair_and_verify_clean(*database, {"alpha@2"}, "alpha@2, beta@2");
}

TEST_CASE("mysql: verify on a dirty track whose failed step left part of its changes lists both differences",
          "[mysql][verify]") {
    const auto database = TestDatabase::create(Backend::mysql);
    alpha_fails_before(*database, 2);  // alpha_two created, alpha_one not changed
    const auto verdict = [](const std::string& listed) {
        return fmt::format(
            "track alpha is dirty, and the live schema is neither what alpha@1, beta@2 leave (alpha@2 upgrade not "
            "done: 1 difference) nor what alpha@2, beta@2 leave (alpha@2 upgrade done: 2 differences), listed {}: "
            "complete or undo the step's changes by hand, then run 'migration-host repair alpha@2' (done) or "
            "'migration-host repair alpha@1' (not done)",
            listed);
    };

    const json document = verify_json(*database, verdict("in the JSON"));
    CHECK(document.at("repair") == nullptr);
    const json& candidates = document.at("candidates");
    REQUIRE(candidates.size() == 2);
    CHECK(candidates[0].at("matches") == false);
    CHECK(drift(candidates[0].at("differences")) == std::set<std::string>{"alpha_two table_extra "});
    CHECK(candidates[1].at("matches") == false);
    CHECK(drift(candidates[1].at("differences")) ==
          std::set<std::string>{"alpha_one column_missing note", "alpha_one index_missing ix_alpha_one_note"});

    const auto text = verify_text(*database, verdict("above"));
    CHECK(text.out.find("Match:") == std::string::npos);
    for (const auto& candidate : candidates) {
        for (const auto& difference : candidate.at("differences")) {
            CHECK(text.out.find("  " + difference.at("message").get<std::string>() + "\n") != std::string::npos);
        }
    }

    // Completed by hand, the step's changes are all in place: verify says so, and the repair it names is right.
    database->execute("ALTER TABLE alpha_one ADD COLUMN note VARCHAR(40)");
    database->execute("CREATE INDEX ix_alpha_one_note ON alpha_one (note)");
    verify_json(*database,
                "exactly what alpha@2, beta@2 leave (alpha@2 upgrade done): run 'migration-host repair "
                "alpha@2'");
    repair_and_verify_clean(*database, {"alpha@2"}, "alpha@2, beta@2");
}

TEST_CASE("mysql: verify on two dirty tracks finds the combination of their steps that the schema is",
          "[mysql][verify]") {
    const auto database = TestDatabase::create(Backend::mysql);
    succeeds(*database, {"upgrade", "alpha@1", "beta@1"});
    fails(*database, {"upgrade", "alpha@2"}, "alpha@2 upgrade 4");  // all of it
    fails(*database, {"upgrade", "beta@2"}, "beta@2 upgrade 1");    // none of it
    const std::string verdict =
        "tracks alpha and beta are dirty, and the live schema is exactly what alpha@2, beta@1 leave (alpha@2 upgrade "
        "done, beta@2 upgrade not done): run 'migration-host repair alpha@2' and 'migration-host repair beta@1'";

    const json document = verify_json(*database, verdict);
    CHECK(document.at("repair") == json::array({"alpha@2", "beta@1"}));
    CHECK(document.at("dirty").size() == 2);
    const json& candidates = document.at("candidates");
    REQUIRE(candidates.size() == 4);
    std::vector<json> matching;
    for (const auto& candidate : candidates) {
        if (candidate.at("matches") == true) matching.push_back(candidate);
    }
    REQUIRE(matching.size() == 1);
    check_candidate(matching[0], {{"alpha", true}, {"beta", false}}, {{"alpha", 2}, {"beta", 1}},
                    json::array({"alpha@2", "beta@1"}));
    // Four candidates on two scratches (beta's step done after alpha's is not: a new one), both removed.
    const auto text = verify_text(*database, verdict);
    CHECK(scratches_removed(*database, text.out).size() == 2);

    repair_and_verify_clean(*database, {"alpha@2", "beta@1"}, "alpha@2, beta@1");
}

TEST_CASE("mysql: verify on a track dirty after a failed downgrade names repair to the downgrade's target",
          "[mysql][verify]") {
    const auto database = TestDatabase::create(Backend::mysql);
    succeeds(*database, {"upgrade"});
    fails(*database, {"downgrade", "alpha@1"}, "alpha@2 downgrade 4");  // undone whole, then failed
    const std::string verdict =
        "track alpha is dirty, and the live schema is exactly what alpha@1, beta@2 leave (alpha@2 downgrade done): "
        "run 'migration-host repair alpha@1'";

    const json document = verify_json(*database, verdict);
    CHECK(document.at("repair") == json::array({"alpha@1"}));
    const json& candidates = document.at("candidates");
    REQUIRE(candidates.size() == 2);
    check_candidate(candidates[0], {{"alpha", false}}, {{"alpha", 2}, {"beta", 2}}, json::array({"alpha@2"}));
    check_candidate(candidates[1], {{"alpha", true}}, {{"alpha", 1}, {"beta", 2}}, json::array({"alpha@1"}));
    CHECK(candidates[1].at("matches") == true);

    // Down from the step not done to the step done is no upgrade: a second scratch, and both removed.
    const auto text = verify_text(*database, verdict);
    CHECK(text.out.find("Expected with alpha@2 downgrade done: what alpha@1, beta@2 leave (") != std::string::npos);
    CHECK(scratches_removed(*database, text.out).size() == 2);

    repair_and_verify_clean(*database, {"alpha@1"}, "alpha@1, beta@2");
}

TEST_CASE("mysql: verify on a track whose step was interrupted says that upgrade finishes it, and upgrade does",
          "[mysql][verify]") {
    const auto database = TestDatabase::create(Backend::mysql);
    alpha_fails_before(*database, 2);  // alpha_two created
    // What a host killed between the step's first and second statements leaves: its row 'started', its journal at
    // 1 (recorded before the second DDL statement runs).
    const std::string last = database->scalar("SELECT MAX(id) FROM migration_host_history").value_or("");
    database->execute(
        "UPDATE migration_host_history SET outcome = 'started', finished_at = NULL, duration_ms = NULL, "
        "error = NULL, statements_done = 1 WHERE id = " +
        last);

    const json document = verify_json(*database, "(alpha@2 upgrade done: 2 differences), listed in the JSON");
    CHECK(document.at("dirty").at(0).at("outcome") == "started");
    CHECK(document.at("dirty").at(0).at("resumable") == true);
    CHECK(document.at("repair") == nullptr);
    const auto text = verify_text(*database,
                                  "(not done); or run 'migration-host upgrade', which finishes the "
                                  "interrupted alpha@2 upgrade from where it stopped");
    CHECK(text.out.find("Dirty: alpha@2 upgrade started and never finished at ") != std::string::npos);

    succeeds(*database, {"upgrade"});
    const auto clean = run(*database, {"verify"});
    INFO(clean.all());
    CHECK(clean.exit_code == 0);
    CHECK(clean.out.find("Expected: what alpha@2, beta@2 leave") != std::string::npos);
}
