// Relative targets (TRACK@+N, TRACK@-N): counted from the database's version when planned, and exit 2 past either end.
// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "cinder_scenarios.hpp"
#include "host_process.hpp"
#include "test_database.hpp"

using namespace test_support;

namespace {

// "A -> B" for every cinder step `text` names (plan's lines, sql's step headings), in order.
std::vector<std::string> cinder_moves(const std::string& text) {
    const std::regex move(R"(cinder (\d+) -> (\d+):)");
    std::vector<std::string> moves;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), move); it != std::sregex_iterator(); ++it) {
        moves.push_back((*it)[1].str() + " -> " + (*it)[2].str());
    }
    return moves;
}

std::optional<std::string> history_rows(const TestDatabase& db) {
    return db.scalar("SELECT COUNT(*) FROM migration_host_history");
}

void check_relative_moves(Backend backend) {
    const auto db = TestDatabase::create(backend);
    if (!db) return;
    require_ok(run_cinder_chain(*db, {"upgrade", "cinder@+2"}));
    CHECK(db->version_of("cinder") == 2);

    // plan and sql count from the version the database has, as upgrade and downgrade do.
    const auto plan = run_cinder_chain(*db, {"plan", "cinder@+3"});
    require_ok(plan);
    CHECK(cinder_moves(plan.out) == std::vector<std::string>{"2 -> 3", "3 -> 4", "4 -> 5"});
    require_ok(run_cinder_chain(*db, {"upgrade", "cinder@+3"}));
    CHECK(db->version_of("cinder") == 5);
    const auto forward_script = run_cinder_chain(*db, {"sql", "upgrade", "cinder@+2"});
    INFO(forward_script.all());
    CHECK(contains(forward_script.out, "-- From: cinder at 5 (read from the database)"));
    CHECK(cinder_moves(forward_script.out) == std::vector<std::string>{"5 -> 6", "6 -> 7"});
    const auto back_script = run_cinder_chain(*db, {"sql", "downgrade", "cinder@-2"});
    INFO(back_script.all());
    CHECK(cinder_moves(back_script.out) == std::vector<std::string>{"5 -> 4", "4 -> 3"});

    const auto back = run_cinder_chain(*db, {"downgrade", "cinder@-2"});
    require_ok(back);
    CHECK(cinder_moves(back.out) == std::vector<std::string>{"5 -> 4", "4 -> 3"});
    CHECK(db->version_of("cinder") == 3);
    require_ok(run_cinder_chain(*db, {"downgrade", "cinder@-1"}));
    CHECK(db->version_of("cinder") == 2);
    // Several targets, each counted from its own track's version; the furthest wins for one track.
    require_ok(run_cinder_chain(*db, {"upgrade", "cinder@+1", "cinder@+2"}));
    CHECK(db->version_of("cinder") == 4);
}

// Past either end: one line naming the version the track is at and how far it can go; nothing is changed.
void check_relative_limits(Backend backend) {
    const auto db = TestDatabase::create(backend);
    if (!db) return;
    require_ok(run_cinder_chain(*db, {"upgrade", "cinder@4"}));
    const auto rows = history_rows(*db);

    const std::string back_cause =
        "cannot downgrade cinder@-5: cinder is at version 4, so it can go at most 4 steps back (cinder@-4, or "
        "cinder@0)";
    const auto too_far_back = run_cinder_chain(*db, {"downgrade", "cinder@-5"});
    CHECK(too_far_back.exit_code == 2);
    check_one_line_error(too_far_back, back_cause);
    const auto script_back = run_cinder_chain(*db, {"sql", "downgrade", "cinder@-5"});
    CHECK(script_back.exit_code == 2);
    CHECK(script_back.out.empty());
    check_one_line_error(script_back, back_cause);

    const std::string forward_cause =
        "cannot upgrade cinder@+6: cinder is at version 4 and the loaded plugins go up to 9, so it can go at most 5 "
        "steps forward (cinder@+5, or cinder@9)";
    for (const std::string command : {"upgrade", "plan"}) {
        INFO(command);
        const auto too_far = run_cinder_chain(*db, {command, "cinder@+6"});
        CHECK(too_far.exit_code == 2);
        check_one_line_error(too_far, forward_cause);
    }
    CHECK(db->version_of("cinder") == 4);
    CHECK(history_rows(*db) == rows);

    require_ok(run_cinder_chain(*db, {"upgrade"}));
    const auto at_latest = run_cinder_chain(*db, {"upgrade", "cinder@+1"});
    CHECK(at_latest.exit_code == 2);
    check_one_line_error(at_latest,
                         "cinder is at version 9, the latest the loaded plugins provide, so there is no step forward");
    CHECK(db->version_of("cinder") == 9);
}

}  // namespace

#define RELATIVE_TARGET_CASES(backend_tag, backend)                                                         \
    TEST_CASE(backend_tag                                                                                   \
              ": upgrade TRACK@+N and downgrade TRACK@-N count from the database's version, as plan and "   \
              "sql do",                                                                                     \
              "[" backend_tag "][relative_target]") {                                                       \
        check_relative_moves(backend);                                                                      \
    }                                                                                                       \
    TEST_CASE(backend_tag ": a relative target past either end is exit 2 naming the version and the limit", \
              "[" backend_tag "][relative_target]") {                                                       \
        check_relative_limits(backend);                                                                     \
    }

RELATIVE_TARGET_CASES("sqlite", Backend::sqlite)
RELATIVE_TARGET_CASES("mysql", Backend::mysql)
RELATIVE_TARGET_CASES("postgresql", Backend::postgresql)

TEST_CASE("relative targets: the wrong sign, zero steps, and sql --dialect (no version to count from) are exit 2",
          "[sqlite][relative_target]") {
    const auto db = TestDatabase::create(Backend::sqlite);
    require_ok(run_cinder_chain(*db, {"upgrade", "cinder@3"}));
    const auto refused = [&](const std::vector<std::string>& arguments, const std::string& cause) {
        const auto result = run_cinder_chain(*db, arguments);
        INFO(result.all());
        CHECK(result.exit_code == 2);
        CHECK(result.out.empty());
        check_one_line_error(result, cause);
    };
    refused({"upgrade", "cinder@-1"},
            "invalid upgrade target 'cinder@-1': upgrade goes forward (TRACK@+N); 'downgrade cinder@-1' goes back");
    refused({"plan", "cinder@-1"}, "invalid upgrade target 'cinder@-1': upgrade goes forward");
    refused({"downgrade", "cinder@+1"},
            "invalid downgrade target 'cinder@+1': downgrade goes back (TRACK@-N); 'upgrade cinder@+1' goes forward");
    refused({"upgrade", "cinder@+0"},
            "invalid upgrade target 'cinder@+0': a relative target moves at least one step "
            "(cinder@+1)");
    refused({"downgrade", "cinder@-0"},
            "invalid downgrade target 'cinder@-0': a relative target moves at least one "
            "step (cinder@-1)");
    refused({"downgrade", "cinder@-"}, "invalid downgrade target 'cinder@-': expected TRACK@VERSION or TRACK@-N");
    refused({"stamp", "cinder@-1"},
            "invalid stamp target 'cinder@-1': expected TRACK@VERSION (only upgrade and "
            "downgrade count steps from the current version)");
    CHECK(db->version_of("cinder") == 3);

    // Offline, the state the script assumes is not a database's: counting steps from it is refused.
    for (const std::vector<std::string>& arguments :
         {std::vector<std::string>{"sql", "downgrade", "cinder@-1", "--dialect", "sqlite"},
          std::vector<std::string>{"sql", "upgrade", "cinder@+1", "--dialect", "mysql"}}) {
        const auto result =
            run_host({"--no-default-plugins", "--plugin-path", CINDER_PLUGIN_DIR, "--plugin-path", GRIZZLY_PLUGIN_DIR,
                      arguments[0], arguments[1], arguments[2], arguments[3], arguments[4]});
        INFO(result.all());
        CHECK(result.exit_code == 2);
        CHECK(result.out.empty());
        check_one_line_error(result, arguments[2] +
                                         " counts from the version the database has, and --dialect renders "
                                         "without one");
    }
}

TEST_CASE("relative targets: --help says what TRACK@+N and TRACK@-N mean", "[cli][relative_target]") {
    const auto upgrade = run_host({"upgrade", "--help"});
    CHECK(contains(upgrade.out, "TRACK@+N"));
    const auto downgrade = run_host({"downgrade", "--help"});
    CHECK(contains(downgrade.out, "TRACK@-N"));
    const auto plan = run_host({"plan", "--help"});
    CHECK(contains(plan.out, "TRACK@+N"));
}
