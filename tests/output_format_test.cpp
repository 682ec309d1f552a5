// --format json for plugins, status, plan, history and validate: parseable, and agreeing with the text output and the database.
// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>
#include <fmt/format.h>
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
const std::string variant = TEST_PLUGIN_ROOT "/variant";
const std::string not_a_plugin = TEST_PLUGIN_ROOT "/not_a_plugin";

// The command's text and JSON output, both exiting `expected`; the JSON checked against the command's schema and
// parsed.
struct BothFormats {
    ProcessResult text;
    json document;
};

BothFormats run_both(const TestDatabase& db, const std::vector<std::string>& plugin_dirs,
                     const std::vector<std::string>& arguments, int expected = 0,
                     std::map<std::string, std::string> environment = {}) {
    BothFormats both;
    both.text = run_with(db, plugin_dirs, arguments, environment);
    std::vector<std::string> json_arguments = arguments;
    json_arguments.insert(json_arguments.end(), {"--format", "json"});
    const ProcessResult as_json = run_with(db, plugin_dirs, json_arguments, environment);
    INFO("text:\n" << both.text.all() << "\njson:\n" << as_json.all());
    CHECK(both.text.exit_code == expected);
    CHECK(as_json.exit_code == expected);
    // The same errors on stderr in both formats.
    CHECK(error_lines(as_json.err) == error_lines(both.text.err));
    both.document = parse_against_schema(as_json.out, arguments.front());
    return both;
}

void check_status_plan_history(Backend backend) {
    const auto db = TestDatabase::create(backend);
    if (!db) return;
    const std::vector<std::string> plugins{CINDER_PLUGIN_DIR, cinder_more};

    // Before anything: three steps pending, in the plan and in the status.
    auto status = run_both(*db, plugins, {"status"});
    const json& database = status.document.at("database");
    CHECK(database.at("dialect") == (backend == Backend::sqlite  ? "sqlite"
                                     : backend == Backend::mysql ? "mysql"
                                                                 : "postgresql"));
    // The text line says the same: DBMS, the server's own version, where it answered, and the dialect.
    CHECK(contains(status.text.out, fmt::format("Database: {} {} at {}", database.at("dbms").get<std::string>(),
                                                database.at("version").get<std::string>(),
                                                database.at("server").get<std::string>())));
    CHECK(contains(status.text.out, fmt::format("(dialect {})", database.at("dialect").get<std::string>())));
    if (backend == Backend::sqlite) CHECK(database.at("server") == db->name());
    if (backend != Backend::sqlite) CHECK(database.at("name") == db->name());
    REQUIRE(status.document.at("tracks").size() == 1);
    const json& cinder = status.document.at("tracks").at(0);
    CHECK(cinder.at("track") == "cinder");
    CHECK(cinder.at("current") == 0);
    CHECK(cinder.at("latest") == 3);
    CHECK(cinder.at("state") == "pending");
    CHECK(status.document.at("state") == "pending");
    CHECK(status.document.at("needs_attention") == true);
    std::vector<std::string> pending;
    for (const auto& step : cinder.at("pending")) pending.push_back(step.at("name").get<std::string>());
    CHECK(pending == std::vector<std::string>{"001_cinder_init", "002_quota_classes", "003_glance_metadata"});
    CHECK(contains(status.text.out, "001_cinder_init, 002_quota_classes, 003_glance_metadata"));

    auto plan = run_both(*db, plugins, {"plan", "cinder@2"});
    const json& steps = plan.document.at("steps");
    REQUIRE(steps.size() == 2);
    CHECK(line_count(plan.text.out) == steps.size());
    for (std::size_t i = 0; i < steps.size(); ++i) {
        const json& step = steps.at(i);
        CHECK(step.at("track") == "cinder");
        CHECK(step.at("from_version") == static_cast<int>(i));
        CHECK(step.at("to_version") == static_cast<int>(i + 1));
        CHECK(contains(plan.text.out,
                       fmt::format("{}. cinder {} -> {}: {} ({} {}", i + 1, i, i + 1,
                                   step.at("name").get<std::string>(), step.at("plugin").at("id").get<std::string>(),
                                   step.at("plugin").at("version").get<std::string>())));
    }
    CHECK(plan.document.at("run_in_progress") == false);

    REQUIRE(run_with(*db, plugins, {"upgrade"}).exit_code == 0);
    status = run_both(*db, plugins, {"status"});
    CHECK(status.document.at("tracks").at(0).at("current") == db->version_of("cinder").value_or(-1));
    CHECK(status.document.at("state") == "up_to_date");
    CHECK(status.document.at("needs_attention") == false);
    plan = run_both(*db, plugins, {"plan"});
    CHECK(plan.document.at("steps").empty());
    CHECK(contains(plan.text.out, "Nothing to do"));

    // History: every row the table holds, as the text lists them.
    const auto history = run_both(*db, plugins, {"history"});
    const json& entries = history.document.at("entries");
    CHECK(history.document.at("track") == nullptr);
    CHECK(std::to_string(entries.size()) == db->scalar("SELECT COUNT(*) FROM migration_host_history").value_or(""));
    REQUIRE(entries.size() == 3);
    for (const auto& entry : entries) {
        CHECK(entry.at("direction") == "upgrade");
        CHECK(entry.at("outcome") == "succeeded");
        CHECK(entry.at("duration_ms").is_number());
        const auto id = entry.at("id").get<std::int64_t>();
        CHECK(db->scalar(fmt::format("SELECT version FROM migration_host_history WHERE id = {}", id)) ==
              std::to_string(entry.at("version").get<std::int64_t>()));
        CHECK(contains(history.text.out, fmt::format("cinder@{}", entry.at("version").get<std::int64_t>())));
        CHECK(contains(history.text.out, entry.at("started_at").get<std::string>()));
    }
    CHECK(line_count(history.text.out) == entries.size() + 1);
    const auto one_track = run_both(*db, plugins, {"history", "cinder"});
    CHECK(one_track.document.at("track") == "cinder");
    CHECK(one_track.document.at("entries") == entries);
}

void check_validate(Backend backend) {
    const auto db = TestDatabase::create(backend);
    if (!db) return;
    REQUIRE(run_with(*db, {variant}, {"upgrade"}).exit_code == 0);
    const auto clean = run_both(*db, {variant}, {"validate"});
    CHECK(clean.document.at("valid") == true);
    CHECK(clean.document.at("verified") == 2);
    CHECK(contains(clean.text.out, "2 applied steps verified."));
    for (const auto& step : clean.document.at("steps")) {
        CHECK(step.at("outcome") == "ok");
        CHECK(step.at("recorded_checksum") == step.at("current_checksum"));
        const auto recorded = db->scalar(fmt::format(
            "SELECT checksum FROM migration_host_history WHERE track = 'variant' AND version = {}",
            step.at("version").get<int>()));
        CHECK(recorded == step.at("recorded_checksum").get<std::string>());
    }

    // A changed step: exit 5 after a complete document.
    const auto changed = run_both(*db, {variant}, {"validate"}, 5, {{"MIGRATION_HOST_TEST_VARIANT", "b"}});
    CHECK(changed.document.at("valid") == false);
    CHECK(changed.document.at("changed") == 1);
    CHECK(changed.document.at("verified") == 1);
    CHECK(changed.document.at("steps").at(0).at("outcome") == "changed");
    CHECK(contains(changed.text.out, "variant@1 (001_variant): CHANGED"));
    CHECK(contains(changed.text.err, "1 applied step changed since applied: variant@1 (001_variant)"));

    // Applied steps no loaded plugin provides.
    db->execute("UPDATE migrate_version SET version = 4 WHERE repository_id = 'variant'");
    const auto unprovided = run_both(*db, {variant}, {"validate"}, 5);
    CHECK(unprovided.document.at("unprovided") == 2);
    CHECK(unprovided.document.at("unprovided_steps").size() == 2);
    CHECK(unprovided.document.at("unprovided_steps").at(0).at("from_version") == 3);
    CHECK(contains(unprovided.text.out, "variant@3: applied with no history row"));
}

}  // namespace

TEST_CASE("plugins --format json lists what the text lists, and stays complete when a library is unusable",
          "[output_format]") {
    const auto text = run_host({"--no-default-plugins", "--plugin-path", CINDER_PLUGIN_DIR, "--plugin-path", cinder_more, "plugins"});
    const auto as_json =
        run_host({"--no-default-plugins", "--plugin-path", CINDER_PLUGIN_DIR, "--plugin-path", cinder_more, "plugins", "--format", "json"});
    INFO(text.all() << as_json.all());
    CHECK(text.exit_code == 0);
    CHECK(as_json.exit_code == 0);
    const json document = parse_against_schema(as_json.out, "plugins");
    CHECK(document.at("directories") == json::array({CINDER_PLUGIN_DIR, cinder_more}));
    REQUIRE(document.at("plugins").size() == 2);
    std::size_t migrations = 0;
    for (const auto& plugin : document.at("plugins")) {
        CHECK(contains(text.out, fmt::format("{} {} - {}", plugin.at("id").get<std::string>(),
                                             plugin.at("version").get<std::string>(),
                                             plugin.at("name").get<std::string>())));
        CHECK(contains(text.out, "  library: " + plugin.at("library").get<std::string>()));
        CHECK(contains(text.out, "  ABI: " + plugin.at("abi").get<std::string>()));
        for (const auto& migration : plugin.at("migrations")) {
            ++migrations;
            CHECK(contains(text.out, fmt::format("  {}@{} {}", migration.at("track").get<std::string>(),
                                                 migration.at("version").get<int>(),
                                                 migration.at("name").get<std::string>())));
        }
    }
    CHECK(migrations == 3);
    CHECK(document.at("unusable").empty());

    const auto broken = run_host({"--no-default-plugins", "--plugin-path", CINDER_PLUGIN_DIR, "--plugin-path", not_a_plugin, "plugins",
                                  "--format", "json"});
    INFO(broken.all());
    CHECK(broken.exit_code == 4);
    CHECK(error_lines(broken.err).size() == 1);
    const json listed = parse_against_schema(broken.out, "plugins");
    CHECK(listed.at("plugins").size() == 1);
    REQUIRE(listed.at("unusable").size() == 1);
    CHECK(contains(listed.at("unusable").at(0).at("library").get<std::string>(), not_a_plugin));
    CHECK_FALSE(listed.at("unusable").at(0).at("reason").get<std::string>().empty());
}

TEST_CASE("a command that fails before its result prints no JSON, only its one error line", "[output_format]") {
    const auto result = run_host({"--no-default-plugins", "--plugin-path", TEST_PLUGIN_ROOT "/no_such_dir", "status", "--format", "json"});
    INFO(result.all());
    CHECK(result.exit_code == 4);
    CHECK(result.out.empty());
    CHECK(error_lines(result.err).size() == 1);
}

#define OUTPUT_FORMAT_CASES(backend_tag, backend)                                                                    \
    TEST_CASE(backend_tag ": status, plan and history as JSON agree with the text and the database",                 \
              "[" backend_tag "][output_format]") {                                                                  \
        check_status_plan_history(backend);                                                                          \
    }                                                                                                                \
    TEST_CASE(backend_tag ": validate as JSON, complete also when it exits 5", "[" backend_tag "][output_format]") {   \
        check_validate(backend);                                                                                     \
    }

OUTPUT_FORMAT_CASES("sqlite", Backend::sqlite)
OUTPUT_FORMAT_CASES("mysql", Backend::mysql)
OUTPUT_FORMAT_CASES("postgresql", Backend::postgresql)
