// verify on every backend: clean after an upgrade; names a dropped column, a type, a dropped index, a table by hand.
// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <regex>
#include <set>
#include <tuple>

#include "host_process.hpp"
#include "json_schema.hpp"
#include "test_database.hpp"

#ifndef CINDER_PLUGIN_DIR
#error "CINDER_PLUGIN_DIR must be defined by the build"
#endif
#ifndef TEST_PLUGIN_ROOT
#error "TEST_PLUGIN_ROOT must be defined by the build"
#endif
#ifndef GRIZZLY_PLUGIN_DIR
#error "GRIZZLY_PLUGIN_DIR must be defined by the build"
#endif

using namespace test_support;
using nlohmann::json;

namespace {

ProcessResult run_on(const TestDatabase& database, bool with_grizzly, const std::vector<std::string>& arguments) {
    std::vector<std::string> plugin_dirs{CINDER_PLUGIN_DIR};
    if (with_grizzly) plugin_dirs.emplace_back(GRIZZLY_PLUGIN_DIR);
    return run_host(host_run_on(database.connection_string(), plugin_dirs, arguments));
}

// What verify must leave as it found it: the tables (the host's own included) and the history.
struct Snapshot {
    std::vector<std::string> tables;
    std::optional<std::string> history_rows;
    std::optional<std::string> version;
    friend bool operator==(const Snapshot&, const Snapshot&) = default;
};

Snapshot snapshot(const TestDatabase& database) {
    std::string sql;
    switch (database.backend()) {
        case Backend::sqlite:
            sql = "SELECT name FROM sqlite_master ORDER BY name";
            break;
        case Backend::mysql:
            sql = "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY 1";
            break;
        case Backend::postgresql:
            sql = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1";
            break;
    }
    Snapshot result;
    for (const auto& row : database.query(sql)) result.tables.push_back(row.at(0).value_or(""));
    result.history_rows = database.scalar("SELECT COUNT(*) FROM migration_host_history");
    result.version = database.scalar("SELECT version FROM migrate_version WHERE repository_id = 'cinder'");
    return result;
}

// The scratch verify names in its text output is gone once it has ended.
void check_scratch_dropped(const TestDatabase& database, const std::string& verify_output) {
    std::smatch found;
    if (database.backend() == Backend::sqlite) {
        REQUIRE(std::regex_search(verify_output, found, std::regex("temporary SQLite file (\\S+)/expected\\.sqlite")));
        CHECK_FALSE(std::filesystem::exists(found[1].str()));
        return;
    }
    REQUIRE(std::regex_search(verify_output, found, std::regex("scratch database (migration_host_verify_[0-9a-f_]+)")));
    const std::string sql = database.backend() == Backend::mysql
                                ? "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = ?"
                                : "SELECT COUNT(*) FROM pg_database WHERE datname = ?";
    CHECK(database.scalar(sql, {found[1].str()}) == std::optional<std::string>("0"));
}

void upgrade(const TestDatabase& database, bool with_grizzly, const std::string& target) {
    const auto result = run_on(database, with_grizzly, {"upgrade", target});
    INFO(result.all());
    REQUIRE(result.exit_code == 0);
}

void check_clean(const TestDatabase& database, bool with_grizzly, std::size_t tables, long long version) {
    const Snapshot before = snapshot(database);
    const auto text = run_on(database, with_grizzly, {"verify"});
    INFO(text.all());
    CHECK(text.exit_code == 0);
    CHECK(text.out.find(fmt::format("Expected: what cinder@{} leaves", version)) != std::string::npos);
    CHECK(text.out.find(fmt::format("No drift: the database has exactly the {} tables the applied steps create.",
                                    tables)) != std::string::npos);
    CHECK(error_lines(text.err).empty());
    check_scratch_dropped(database, text.out);

    const auto result = run_on(database, with_grizzly, {"verify", "--format", "json"});
    INFO(result.all());
    CHECK(result.exit_code == 0);
    const json document = parse_against_schema(result.out, "verify");
    CHECK(document.at("clean") == true);
    CHECK(document.at("differences") == json::array());
    CHECK(document.at("applied") == json({{"cinder", version}}));
    CHECK(document.at("expected_tables") == tables);
    CHECK(document.at("run_in_progress") == false);
    CHECK(snapshot(database) == before);
}

// The same four changes by hand on each backend, each in the way its SQL allows.
void change_by_hand(const TestDatabase& database) {
    database.execute("ALTER TABLE volumes DROP COLUMN display_description");
    switch (database.backend()) {
        case Backend::sqlite: {
            // SQLite changes a column's type only by rebuilding the table; the same definition, one type changed.
            const std::string definition =
                database.scalar("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'quotas'").value_or("");
            const std::string rebuilt = std::regex_replace(
                std::regex_replace(definition, std::regex("^CREATE TABLE quotas"), "CREATE TABLE quotas_rebuilt"),
                std::regex("hard_limit INTEGER"), "hard_limit BIGINT");
            REQUIRE(rebuilt.find("hard_limit BIGINT") != std::string::npos);
            database.execute(rebuilt);
            database.execute("INSERT INTO quotas_rebuilt SELECT * FROM quotas");
            database.execute("DROP TABLE quotas");
            database.execute("ALTER TABLE quotas_rebuilt RENAME TO quotas");
            database.execute("DROP INDEX ix_quota_usages_project_id");
            break;
        }
        case Backend::mysql:
            database.execute("ALTER TABLE quotas MODIFY hard_limit BIGINT NULL");
            database.execute("DROP INDEX ix_quota_usages_project_id ON quota_usages");
            break;
        case Backend::postgresql:
            database.execute("ALTER TABLE quotas ALTER COLUMN hard_limit TYPE BIGINT");
            database.execute("DROP INDEX ix_quota_usages_project_id");
            break;
    }
    database.execute("CREATE TABLE added_by_hand (id INTEGER PRIMARY KEY)");
}

void check_drift_named(const TestDatabase& database) {
    upgrade(database, true, "cinder@9");
    check_clean(database, true, 18, 9);
    change_by_hand(database);
    const Snapshot before = snapshot(database);

    const auto result = run_on(database, true, {"verify", "--format", "json"});
    INFO(result.all());
    CHECK(result.exit_code == 5);
    const json document = parse_against_schema(result.out, "verify");
    CHECK(document.at("clean") == false);
    using Difference =
        std::tuple<std::string, std::string, std::string, std::string>;  // table, kind, object, attribute
    std::set<Difference> differences;
    for (const auto& difference : document.at("differences")) {
        differences.emplace(difference.at("table"), difference.at("kind"), difference.at("object"),
                            difference.at("attribute"));
    }
    const std::set<Difference> expected = {
        {"added_by_hand", "table_extra", "", ""},
        {"quota_usages", "index_missing", "ix_quota_usages_project_id", ""},
        {"quotas", "column_changed", "hard_limit", "type"},
        {"volumes", "column_missing", "display_description", ""},
    };
    CHECK(differences == expected);
    CHECK(document.at("differences").size() == expected.size());
    for (const auto& difference : document.at("differences")) {
        if (difference.at("kind") != "column_changed") continue;
        // The type each database gives a BIGINT, and the INTEGER the step declared.
        const std::string bigint = database.backend() == Backend::postgresql ? "int8" : "bigint";
        const std::string integer = database.backend() == Backend::sqlite  ? "integer"
                                    : database.backend() == Backend::mysql ? "int"
                                                                           : "int4";
        CHECK(difference.at("expected") == integer);
        CHECK(difference.at("found") == bigint);
    }
    const auto errors = error_lines(result.err);
    REQUIRE(errors.size() == 1);
    CHECK(errors.front().find("schema drift: 4 differences from what cinder@9 should have left") != std::string::npos);

    // The text lists the same differences, one line each.
    const auto text = run_on(database, true, {"verify"});
    INFO(text.all());
    CHECK(text.exit_code == 5);
    for (const auto& difference : document.at("differences")) {
        CHECK(text.out.find(difference.at("message").get<std::string>() + "\n") != std::string::npos);
    }
    CHECK(text.out.find("added_by_hand: extra table, created by no applied step (added by hand?)") !=
          std::string::npos);
    check_scratch_dropped(database, text.out);
    CHECK(snapshot(database) == before);
}

// A step that fails on the scratch (failing_step's cinder@2, recorded with stamp: it never ran here): exit 1 naming
// the step, the scratch dropped all the same, the database untouched.
void check_failed_step_drops_scratch(const TestDatabase& database) {
    const std::vector<std::string> plugin_dirs{CINDER_PLUGIN_DIR, TEST_PLUGIN_ROOT "/failing_step"};
    const auto run = [&](const std::vector<std::string>& arguments) {
        return run_host(host_run_on(database.connection_string(), plugin_dirs, arguments));
    };
    REQUIRE(run({"upgrade", "cinder@1"}).exit_code == 0);
    REQUIRE(run({"stamp", "cinder@2"}).exit_code == 0);
    const Snapshot before = snapshot(database);
    const auto result = run({"verify"});
    INFO(result.all());
    CHECK(result.exit_code == 1);
    CHECK(result.out.empty());
    const auto errors = error_lines(result.err);
    REQUIRE(errors.size() == 1);
    CHECK(errors.front().find("verify cannot build the expected schema: cinder@2 (") != std::string::npos);
    CHECK(errors.front().find("the database was not touched") != std::string::npos);
    check_scratch_dropped(database, errors.front());
    CHECK(snapshot(database) == before);
}

// A track taken down step by step to version 0 by its reversible downgrades: at each version, verify expects what
// the steps still applied leave, and at 0 nothing at all (the track at 0 must not be taken for "no target", which
// plans every track to its latest).
void check_clean_down_to_zero(const TestDatabase& database) {
    const std::vector<std::string> plugin_dirs{TEST_PLUGIN_ROOT "/reversible"};
    const auto run = [&](const std::vector<std::string>& arguments) {
        return run_host(host_run_on(database.connection_string(), plugin_dirs, arguments));
    };
    REQUIRE(run({"upgrade"}).exit_code == 0);
    const std::vector<std::tuple<std::string, std::size_t, std::string>> versions = {
        {"crabs@2", 2, "crabs@2"}, {"crabs@1", 1, "crabs@1"}, {"crabs@0", 0, "no applied steps"}};
    for (const auto& [version, tables, applied] : versions) {
        if (version != "crabs@2") REQUIRE(run({"downgrade", version}).exit_code == 0);
        const auto text = run({"verify"});
        INFO(version << "\n" << text.all());
        CHECK(text.exit_code == 0);
        CHECK(text.out.find(fmt::format("Expected: what {} leave", applied)) != std::string::npos);
        CHECK(text.out.find(fmt::format("No drift: the database has exactly the {} table", tables)) !=
              std::string::npos);
        CHECK(error_lines(text.err).empty());
        const auto result = run({"verify", "--format", "json"});
        INFO(result.all());
        CHECK(result.exit_code == 0);
        const json document = parse_against_schema(result.out, "verify");
        CHECK(document.at("clean") == true);
        CHECK(document.at("expected_tables") == tables);
    }
}

// "relation kind object" for each difference verify --format json lists, after checking that it exits 5.
std::set<std::string> drift_of(const ProcessResult& result) {
    INFO(result.all());
    CHECK(result.exit_code == 5);
    const json document = parse_against_schema(result.out, "verify");
    std::set<std::string> differences;
    for (const auto& difference : document.at("differences")) {
        differences.insert(fmt::format("{} {} {}", difference.at("table").get<std::string>(),
                                       difference.at("kind").get<std::string>(),
                                       difference.at("object").get<std::string>()));
    }
    return differences;
}

// A view the applied steps create is expected as a table is: its columns compared, missing when dropped by hand,
// and a view added by hand is extra.
void check_view_drift(const TestDatabase& database) {
    const auto run = [&](const std::vector<std::string>& arguments) {
        return run_host(host_run_on(database.connection_string(), {TEST_PLUGIN_ROOT "/with_view"}, arguments));
    };
    const auto upgraded = run({"upgrade"});
    INFO(upgraded.all());
    REQUIRE(upgraded.exit_code == 0);

    const auto clean = run({"verify"});
    INFO(clean.all());
    CHECK(clean.exit_code == 0);
    CHECK(clean.out.find("No drift: the database has exactly the 1 table and 1 view the applied steps create.") !=
          std::string::npos);
    const auto clean_json = run({"verify", "--format", "json"});
    CHECK(clean_json.exit_code == 0);
    CHECK(parse_against_schema(clean_json.out, "verify").at("expected_views") == 1);

    // A view by hand, and the step's view rebuilt with one more column (SQLite has no CREATE OR REPLACE VIEW).
    database.execute("CREATE VIEW by_hand AS SELECT label FROM report_items");
    database.execute("DROP VIEW report_labels");
    database.execute("CREATE VIEW report_labels AS SELECT id, label, price FROM report_items");
    using Drift = std::set<std::string>;
    CHECK(drift_of(run({"verify", "--format", "json"})) ==
          Drift{"by_hand view_extra ", "report_labels column_extra price"});

    database.execute("DROP VIEW report_labels");
    const Snapshot before = snapshot(database);
    CHECK(drift_of(run({"verify", "--format", "json"})) == Drift{"by_hand view_extra ", "report_labels view_missing "});
    const auto text = run({"verify"});
    INFO(text.all());
    CHECK(text.exit_code == 5);
    CHECK(text.out.find("by_hand: extra view, created by no applied step (added by hand?)\n") != std::string::npos);
    CHECK(text.out.find("report_labels: view missing (the applied steps create it)\n") != std::string::npos);
    CHECK(snapshot(database) == before);
}

}  // namespace

TEST_CASE("sqlite: verify is clean after a reversible track is downgraded, down to version 0", "[sqlite][verify]") {
    const auto database = TestDatabase::create(Backend::sqlite);
    check_clean_down_to_zero(*database);
}

TEST_CASE("mysql: verify is clean after a reversible track is downgraded, down to version 0", "[mysql][verify]") {
    const auto database = TestDatabase::create(Backend::mysql);
    if (!database) return;
    check_clean_down_to_zero(*database);
}

TEST_CASE("postgresql: verify is clean after a reversible track is downgraded, down to version 0",
          "[postgresql][verify]") {
    const auto database = TestDatabase::create(Backend::postgresql);
    if (!database) return;
    check_clean_down_to_zero(*database);
}

TEST_CASE("sqlite: verify drops its scratch when a step fails there", "[sqlite][verify]") {
    const auto database = TestDatabase::create(Backend::sqlite);
    check_failed_step_drops_scratch(*database);
}

TEST_CASE("mysql: verify drops its scratch when a step fails there", "[mysql][verify]") {
    const auto database = TestDatabase::create(Backend::mysql);
    if (!database) return;
    check_failed_step_drops_scratch(*database);
}

TEST_CASE("postgresql: verify drops its scratch when a step fails there", "[postgresql][verify]") {
    const auto database = TestDatabase::create(Backend::postgresql);
    if (!database) return;
    check_failed_step_drops_scratch(*database);
}

TEST_CASE("mysql: verify without the privilege to create its scratch database says which, exit 1", "[mysql][verify]") {
    const auto database = TestDatabase::create(Backend::mysql);
    if (!database) return;
    upgrade(*database, false, "cinder");
    // A user with every privilege on this database and none elsewhere: the owner of an application's schema.
    const std::string user = "mh_verify_" + database->name().substr(database->name().size() - 6);
    migration_host::odbc::Connection admin(odbc_environment(), database->server_connection_string() + ";DATABASE=mysql",
                                           15);
    admin.execute(fmt::format("CREATE USER '{}'@'%' IDENTIFIED BY 'Verify-Secret-1'", user));
    struct DropUser {
        const migration_host::odbc::Connection& admin;
        std::string user;
        ~DropUser() { static_cast<void>(admin.try_execute(fmt::format("DROP USER '{}'@'%'", user))); }
    } drop_user{admin, user};
    admin.execute(fmt::format("GRANT ALL ON `{}`.* TO '{}'@'%'", database->name(), user));
    const std::string as_user =
        std::regex_replace(std::regex_replace(database->connection_string(), std::regex("UID=[^;]*"), "UID=" + user),
                           std::regex("PWD=[^;]*"), "PWD=Verify-Secret-1");
    const Snapshot before = snapshot(*database);
    const auto result = run_host(host_run_on(as_user, {CINDER_PLUGIN_DIR}, {"verify"}));
    INFO(result.all());
    CHECK(result.exit_code == 1);
    const auto errors = error_lines(result.err);
    REQUIRE(errors.size() == 1);
    CHECK(errors.front().find("the server refused to create one") != std::string::npos);
    CHECK(errors.front().find("grant this user CREATE and DROP on `migration_host_verify_%`.*") != std::string::npos);
    CHECK(errors.front().find("Verify-Secret-1") == std::string::npos);
    CHECK(snapshot(*database) == before);
}

TEST_CASE("sqlite: verify is clean right after upgrading to cinder@1", "[sqlite][verify]") {
    const auto database = TestDatabase::create(Backend::sqlite);
    upgrade(*database, false, "cinder");
    check_clean(*database, false, 12, 1);
}

TEST_CASE("mysql: verify is clean right after upgrading to cinder@1", "[mysql][verify]") {
    const auto database = TestDatabase::create(Backend::mysql);
    if (!database) return;
    upgrade(*database, false, "cinder");
    check_clean(*database, false, 12, 1);
}

TEST_CASE("postgresql: verify is clean right after upgrading to cinder@1", "[postgresql][verify]") {
    const auto database = TestDatabase::create(Backend::postgresql);
    if (!database) return;
    upgrade(*database, false, "cinder");
    check_clean(*database, false, 12, 1);
}

TEST_CASE("sqlite: verify is clean at cinder@9, then names each change made by hand", "[sqlite][verify]") {
    const auto database = TestDatabase::create(Backend::sqlite);
    check_drift_named(*database);
}

TEST_CASE("mysql: verify is clean at cinder@9, then names each change made by hand", "[mysql][verify]") {
    const auto database = TestDatabase::create(Backend::mysql);
    if (!database) return;
    check_drift_named(*database);
}

TEST_CASE("postgresql: verify is clean at cinder@9, then names each change made by hand", "[postgresql][verify]") {
    const auto database = TestDatabase::create(Backend::postgresql);
    if (!database) return;
    check_drift_named(*database);
}

TEST_CASE("sqlite: verify compares the views the applied steps create", "[sqlite][verify]") {
    const auto database = TestDatabase::create(Backend::sqlite);
    check_view_drift(*database);
}

TEST_CASE("mysql: verify compares the views the applied steps create", "[mysql][verify]") {
    const auto database = TestDatabase::create(Backend::mysql);
    if (!database) return;
    check_view_drift(*database);
}

TEST_CASE("postgresql: verify compares the views the applied steps create", "[postgresql][verify]") {
    const auto database = TestDatabase::create(Backend::postgresql);
    if (!database) return;
    check_view_drift(*database);
}
