// Chaining plugins across tracks: plans, mixed and targeted upgrades, downgrades, refusals, takeover, stamp, validate.
// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <migration_host/schema.hpp>

#include "cinder_scenarios.hpp"
#include "cinder_schema_check.hpp"
#include "cinder_tables.hpp"
#include "host_process.hpp"
#include "test_database.hpp"

#ifndef TEST_PLUGIN_ROOT
#error "TEST_PLUGIN_ROOT must be defined by the build"
#endif

using namespace test_support;

namespace {

const std::string cinder_more = TEST_PLUGIN_ROOT "/cinder_more";
const std::string manila = TEST_PLUGIN_ROOT "/manila";
const std::string variant = TEST_PLUGIN_ROOT "/variant";

ProcessResult run_chain(const TestDatabase& db, const std::vector<std::string>& arguments) {
    return run_with(db, {CINDER_PLUGIN_DIR, cinder_more, manila}, arguments);
}

bool has_table(const TestDatabase& db, const std::string& table) {
    const auto names = table_names(db);
    return std::find(names.begin(), names.end(), table) != names.end();
}

// (track, version, direction, outcome) of every history row, oldest first.
std::vector<std::string> history_rows(const TestDatabase& db) {
    std::vector<std::string> rows;
    for (const auto& row :
         db.query("SELECT track, version, direction, outcome FROM migration_host_history ORDER BY id")) {
        rows.push_back(fmt::format("{}@{} {} {}", row[0].value_or(""), row[1].value_or(""), row[2].value_or(""),
                                   row[3].value_or("")));
    }
    return rows;
}

void check_plans(Backend backend) {
    const auto db = TestDatabase::create(backend);
    if (!db) return;
    const auto all = run_chain(*db, {"plan"});
    INFO(all.all());
    REQUIRE(all.exit_code == 0);
    // A track's versions in order, requirements first, ties by track name.
    CHECK(all.out ==
          "1. cinder 0 -> 1: 001_cinder_init (cinder_initial 1.0.0)\n"
          "2. cinder 1 -> 2: 002_quota_classes (cinder_more 2.0.0)\n"
          "3. cinder 2 -> 3: 003_glance_metadata (cinder_more 2.0.0)\n"
          "4. manila 0 -> 1: 001_manila_init (manila 1.0.0, requires cinder@1)\n"
          "5. manila 1 -> 2: 002_share_quota_classes (manila 1.0.0, requires cinder@2)\n");
    // A target pulls in exactly what it requires, and nothing else.
    const auto manila_1 = run_chain(*db, {"plan", "manila@1"});
    CHECK(manila_1.out ==
          "1. cinder 0 -> 1: 001_cinder_init (cinder_initial 1.0.0)\n"
          "2. manila 0 -> 1: 001_manila_init (manila 1.0.0, requires cinder@1)\n");
    const auto manila_latest = run_chain(*db, {"plan", "manila"});
    CHECK(manila_latest.out ==
          "1. cinder 0 -> 1: 001_cinder_init (cinder_initial 1.0.0)\n"
          "2. cinder 1 -> 2: 002_quota_classes (cinder_more 2.0.0)\n"
          "3. manila 0 -> 1: 001_manila_init (manila 1.0.0, requires cinder@1)\n"
          "4. manila 1 -> 2: 002_share_quota_classes (manila 1.0.0, requires cinder@2)\n");
    // The same inputs always give the same plan.
    CHECK(run_chain(*db, {"plan"}).out == all.out);
    // Planning writes nothing.
    CHECK_FALSE(db->version_of("cinder").has_value());
    CHECK(table_names(*db).empty());
}

void check_mixed_and_targeted_upgrades(Backend backend) {
    const auto db = TestDatabase::create(backend);
    if (!db) return;
    const auto targeted = run_chain(*db, {"upgrade", "manila@1"});
    INFO(targeted.all());
    REQUIRE(targeted.exit_code == 0);
    CHECK(db->version_of("cinder") == 1);
    CHECK(db->version_of("manila") == 1);
    CHECK(has_table(*db, "shares"));
    CHECK_FALSE(has_table(*db, "quota_classes"));

    const auto second = run_chain(*db, {"upgrade", "cinder@2"});
    INFO(second.all());
    REQUIRE(second.exit_code == 0);
    CHECK(db->version_of("cinder") == 2);
    CHECK(db->version_of("manila") == 1);

    const auto rest = run_chain(*db, {"upgrade"});
    INFO(rest.all());
    REQUIRE(rest.exit_code == 0);
    CHECK(rest.out.find("Applied 2 steps") != std::string::npos);
    CHECK(db->version_of("cinder") == 3);
    CHECK(db->version_of("manila") == 2);
    for (const std::string table : {"quota_classes", "volume_glance_metadata", "shares", "share_quota_classes"}) {
        CHECK(has_table(*db, table));
    }
    CHECK(history_rows(*db) == std::vector<std::string>{
                                   "cinder@1 upgrade succeeded", "manila@1 upgrade succeeded",
                                   "cinder@2 upgrade succeeded", "cinder@3 upgrade succeeded",
                                   "manila@2 upgrade succeeded"});
    const auto history = run_chain(*db, {"history", "manila"});
    CHECK(history.exit_code == 0);
    CHECK(line_count(history.out) == 3);  // header + 2 rows
}

void check_mixed_upgrade_in_one_run(Backend backend) {
    const auto db = TestDatabase::create(backend);
    if (!db) return;
    const auto upgrade = run_chain(*db, {"upgrade"});
    INFO(upgrade.all());
    REQUIRE(upgrade.exit_code == 0);
    CHECK(upgrade.out.find("Applied 5 steps") != std::string::npos);
    CHECK(db->version_of("cinder") == 3);
    CHECK(db->version_of("manila") == 2);
    for (const std::string table : {"volumes", "quota_classes", "volume_glance_metadata", "shares", "share_quota_classes"}) {
        CHECK(has_table(*db, table));
    }
}

void check_downgrades(Backend backend) {
    const auto db = TestDatabase::create(backend);
    if (!db) return;
    REQUIRE(run_chain(*db, {"upgrade"}).exit_code == 0);

    const auto blocked = run_chain(*db, {"downgrade", "cinder@1"});
    INFO(blocked.all());
    CHECK(blocked.exit_code == 5);
    CHECK(blocked.err.find("applied step manila@2 (002_share_quota_classes) requires cinder@2") != std::string::npos);
    CHECK(db->version_of("cinder") == 3);
    CHECK(has_table(*db, "quota_classes"));

    const auto one = run_chain(*db, {"downgrade", "cinder@2"});
    INFO(one.all());
    REQUIRE(one.exit_code == 0);
    CHECK(one.out.find("Downgraded cinder 3 -> 2: 003_glance_metadata") != std::string::npos);
    CHECK_FALSE(has_table(*db, "volume_glance_metadata"));

    REQUIRE(run_chain(*db, {"downgrade", "manila@0"}).exit_code == 0);
    CHECK(db->version_of("manila") == 0);
    CHECK_FALSE(has_table(*db, "shares"));
    CHECK_FALSE(has_table(*db, "share_quota_classes"));

    REQUIRE(run_chain(*db, {"downgrade", "cinder@1"}).exit_code == 0);
    CHECK(db->version_of("cinder") == 1);
    CHECK_FALSE(has_table(*db, "quota_classes"));

    const auto irreversible = run_chain(*db, {"downgrade", "cinder@0"});
    CHECK(irreversible.exit_code == 5);
    CHECK(db->version_of("cinder") == 1);
    check_cinder_schema(*db);

    // Everything can come back up.
    REQUIRE(run_chain(*db, {"upgrade"}).exit_code == 0);
    CHECK(db->version_of("manila") == 2);
}

// The way sqlalchemy-migrate left a Cinder database: its version table with
// the repository path, and the tables of 001 (rendered as SQLAlchemy does).
void create_as_sqlalchemy_migrate(const TestDatabase& db) {
    namespace schema = migration_host::schema;
    const auto dialect = *schema::dialect_from_name(db.backend() == Backend::mysql        ? "mysql"
                                                    : db.backend() == Backend::postgresql ? "postgresql"
                                                                                          : "sqlite");
    db.execute("CREATE TABLE migrate_version (repository_id VARCHAR(250) NOT NULL, repository_path TEXT, "
               "version INTEGER, PRIMARY KEY (repository_id))");
    db.execute("INSERT INTO migrate_version (repository_id, repository_path, version) VALUES ('cinder', "
               "'/usr/lib/python2.7/dist-packages/cinder/db/sqlalchemy/migrate_repo', 1)");
    for (const auto& table : cinder_initial::cinder_initial_tables()) {
        auto options = table.options();
        options.mysql_charset = "utf8";  // what the original intended on MySQL
        db.execute(schema::Table(table.name(), table.columns(), options).create_sql(dialect));
    }
}

void check_takeover(Backend backend) {
    const auto db = TestDatabase::create(backend);
    if (!db) return;
    create_as_sqlalchemy_migrate(*db);
    const auto status = run_chain(*db, {"status"});
    INFO(status.all());
    REQUIRE(status.exit_code == 0);
    CHECK(status.out.find("002_quota_classes, 003_glance_metadata") != std::string::npos);
    const auto upgrade = run_chain(*db, {"upgrade", "cinder"});
    INFO(upgrade.all());
    REQUIRE(upgrade.exit_code == 0);
    CHECK(upgrade.out.find("Upgraded cinder 1 -> 2") != std::string::npos);
    CHECK(upgrade.out.find("cinder 0 -> 1") == std::string::npos);
    CHECK(db->version_of("cinder") == 3);
    CHECK(db->scalar("SELECT repository_path FROM migrate_version WHERE repository_id = 'cinder'") ==
          std::optional<std::string>("/usr/lib/python2.7/dist-packages/cinder/db/sqlalchemy/migrate_repo"));
    CHECK(has_table(*db, "volume_glance_metadata"));
    const auto validate = run_chain(*db, {"validate"});
    CHECK(validate.exit_code == 0);
    CHECK(validate.out.find("cinder@1 (001_cinder_init): no checksum recorded") != std::string::npos);
}

void check_stamp(Backend backend) {
    const auto db = TestDatabase::create(backend);
    if (!db) return;
    create_as_sqlalchemy_migrate(*db);
    db->execute("DELETE FROM migrate_version");
    // Tables without a version: refused until stamped.
    CHECK(run_chain(*db, {"upgrade"}).exit_code == 5);
    CHECK(run_chain(*db, {"stamp", "cinder@9"}).exit_code == 4);
    CHECK(run_chain(*db, {"stamp", "nova@1"}).exit_code == 4);
    const auto stamp = run_chain(*db, {"stamp", "cinder@1"});
    INFO(stamp.all());
    REQUIRE(stamp.exit_code == 0);
    CHECK(stamp.out.find("Stamped cinder at version 1 (was 0)") != std::string::npos);
    CHECK(db->version_of("cinder") == 1);
    CHECK(history_rows(*db) == std::vector<std::string>{"cinder@1 stamp succeeded"});
    const auto upgrade = run_chain(*db, {"upgrade"});
    INFO(upgrade.all());
    CHECK(upgrade.exit_code == 0);
    CHECK(db->version_of("cinder") == 3);
    CHECK(db->version_of("manila") == 2);
}

void check_validate(Backend backend) {
    const auto db = TestDatabase::create(backend);
    if (!db) return;
    REQUIRE(run_with(*db, {variant}, {"upgrade"}).exit_code == 0);
    const auto clean = run_with(*db, {variant}, {"validate"});
    INFO(clean.all());
    CHECK(clean.exit_code == 0);
    CHECK(clean.out.find("2 applied steps verified") != std::string::npos);

    // The step now renders other SQL: its derived checksum changes.
    const auto changed_sql = run_with(*db, {variant}, {"validate"}, {{"MIGRATION_HOST_TEST_VARIANT", "b"}});
    INFO(changed_sql.all());
    CHECK(changed_sql.exit_code == 5);
    CHECK(changed_sql.out.find("variant@1 (001_variant): CHANGED") != std::string::npos);
    CHECK(changed_sql.err.find("1 applied step changed since applied: variant@1 (001_variant)") != std::string::npos);
    // The plugin's own checksum changes.
    const auto changed_declared =
        run_with(*db, {variant}, {"validate"}, {{"MIGRATION_HOST_TEST_VARIANT_CHECKSUM", "v2"}});
    CHECK(changed_declared.exit_code == 5);
    CHECK(changed_declared.err.find("variant@2 (002_variant_checksummed)") != std::string::npos);
    // upgrade only warns.
    const auto upgrade = run_with(*db, {variant}, {"upgrade"}, {{"MIGRATION_HOST_TEST_VARIANT", "b"}});
    CHECK(upgrade.exit_code == 0);
    CHECK(upgrade.err.find("variant@1 (001_variant) changed since it was applied") != std::string::npos);
}

void check_half_failed_step(Backend backend) {
    const auto db = TestDatabase::create(backend);
    if (!db) return;
    const std::vector<std::string> dirs{TEST_PLUGIN_ROOT "/half_fail"};
    const auto upgrade = run_with(*db, dirs, {"upgrade"});
    INFO(upgrade.all());
    CHECK(upgrade.exit_code == 1);
    CHECK(db->version_of("halffail") == 0);
    CHECK(history_rows(*db) == std::vector<std::string>{"halffail@1 upgrade failed"});
    if (backend == Backend::mysql) {
        // DDL committed as it went: the track is dirty until repaired.
        CHECK(has_table(*db, "half_one"));
        CHECK(has_table(*db, "half_two"));
        const auto again = run_with(*db, dirs, {"upgrade"});
        CHECK(again.exit_code == 5);
        CHECK(again.err.find("track halffail is dirty") != std::string::npos);
        // Even with nothing to run, a target on a dirty track is refused rather than "nothing to do".
        CHECK(run_with(*db, dirs, {"upgrade", "halffail@0"}).exit_code == 5);
        CHECK(run_with(*db, dirs, {"downgrade", "halffail@0"}).exit_code == 5);
    } else {
        CHECK(table_names(*db).empty());
        // Rolled back: nothing to repair, the same step simply fails again.
        CHECK(run_with(*db, dirs, {"upgrade"}).exit_code == 1);
    }
}

}  // namespace

TEST_CASE("broken catalogs are refused with exit 4 before the database is touched", "[sqlite][chaining]") {
    const auto db = TestDatabase::create(Backend::sqlite);
    const std::vector<std::pair<std::string, std::string>> cases{
        {"dup_version", "cinder@1 is offered twice: by cinder@1 (001_cinder_init) from plugin cinder_initial"},
        {"gap", "track cinder has a gap: version 2 is missing before cinder@5 (005_gap) from plugin gap_cinder"},
        {"cycle", "requirements form a cycle among: ping@1"},
        {"missing_requirement", "orphan@1 (001_orphan) from plugin orphan"},
    };
    for (const auto& [dir, message] : cases) {
        INFO(dir);
        for (const std::string command : {"plan", "upgrade", "plugins"}) {
            const auto result = run_with(*db, {CINDER_PLUGIN_DIR, TEST_PLUGIN_ROOT "/" + dir}, {command});
            INFO(command << ": " << result.all());
            CHECK(result.exit_code == 4);
            CHECK(result.err.find(message) != std::string::npos);
            CHECK(result.err.find(".so") != std::string::npos);  // names the library
        }
    }
    CHECK(db->query("SELECT name FROM sqlite_master").empty());
}

TEST_CASE("an ABI 1.0 plugin (no checksum member) still loads and runs", "[sqlite][chaining]") {
    const auto db = TestDatabase::create(Backend::sqlite);
    const std::vector<std::string> dirs{TEST_PLUGIN_ROOT "/abi_1_0"};
    const auto plugins = run_with(*db, dirs, {"plugins"});
    CHECK(plugins.out.find("ABI: 1.0") != std::string::npos);
    REQUIRE(run_with(*db, dirs, {"upgrade"}).exit_code == 0);
    CHECK(db->version_of("legacy") == 1);
    REQUIRE(run_with(*db, dirs, {"downgrade", "legacy@0"}).exit_code == 0);
    CHECK(db->version_of("legacy") == 0);
}

#define BACKEND_CASES(backend_tag, backend)                                                                          \
    TEST_CASE(backend_tag ": plans are ordered and deterministic", "[" backend_tag "][chaining]") {                   \
        check_plans(backend);                                                                                        \
    }                                                                                                                \
    TEST_CASE(backend_tag ": one upgrade applies every plugin's steps", "[" backend_tag "][chaining]") {              \
        check_mixed_upgrade_in_one_run(backend);                                                                     \
    }                                                                                                                \
    TEST_CASE(backend_tag ": targeted upgrades apply only what the targets need", "[" backend_tag "][chaining]") {    \
        check_mixed_and_targeted_upgrades(backend);                                                                  \
    }                                                                                                                \
    TEST_CASE(backend_tag ": downgrades run in reverse and refuse what others require", "[" backend_tag "][chaining]") { \
        check_downgrades(backend);                                                                                   \
    }                                                                                                                \
    TEST_CASE(backend_tag ": a sqlalchemy-migrate database is taken over and continued", "[" backend_tag "][chaining]") { \
        check_takeover(backend);                                                                                     \
    }                                                                                                                \
    TEST_CASE(backend_tag ": stamp baselines an existing schema", "[" backend_tag "][chaining]") {                    \
        check_stamp(backend);                                                                                        \
    }                                                                                                                \
    TEST_CASE(backend_tag ": validate catches a changed step", "[" backend_tag "][chaining]") {                       \
        check_validate(backend);                                                                                     \
    }                                                                                                                \
    TEST_CASE(backend_tag ": a step failing halfway", "[" backend_tag "][chaining]") {                                \
        check_half_failed_step(backend);                                                                             \
    }

BACKEND_CASES("sqlite", Backend::sqlite)
BACKEND_CASES("mysql", Backend::mysql)
BACKEND_CASES("postgresql", Backend::postgresql)
