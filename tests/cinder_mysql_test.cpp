// cinder_initial through the real host on mysql: schema from the catalog, version row, no-op, refusal, failure.
// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include "cinder_scenarios.hpp"
#include "cinder_schema_check.hpp"
#include "test_database.hpp"

using namespace test_support;

TEST_CASE("mysql: upgrade creates the seed's schema and records cinder@1", "[mysql][cinder]") {
    const auto database = TestDatabase::create(Backend::mysql);
    if (!database) return;
    check_upgrade_creates_schema(*database);
}

TEST_CASE("mysql: a second upgrade is a no-op", "[mysql][cinder]") {
    const auto database = TestDatabase::create(Backend::mysql);
    if (!database) return;
    check_reupgrade_is_noop(*database);
}

TEST_CASE("mysql: downgrade cinder@0 is refused and changes nothing", "[mysql][cinder]") {
    const auto database = TestDatabase::create(Backend::mysql);
    if (!database) return;
    check_downgrade_refused(*database);
}

TEST_CASE("mysql: a table that already exists fails the step with exit 1 and version 0", "[mysql][cinder]") {
    const auto database = TestDatabase::create(Backend::mysql);
    if (!database) return;
    check_table_creation_failure(*database);
}

TEST_CASE("mysql: existing tables without a version row are refused with a hint to stamp", "[mysql][cinder]") {
    const auto database = TestDatabase::create(Backend::mysql);
    if (!database) return;
    check_unversioned_tables_refused(*database);
}

namespace {

// The state the seed intends on MySQL: all 13 tables (with migrate_version)
// utf8 (MariaDB's utf8mb3) and InnoDB, and the database's default utf8. The host's own tables (history, track
// summaries) are utf8mb4 by design: they hold any error text and track name.
void check_utf8_innodb(const TestDatabase& database) {
    const auto tables = database.query(
        "SELECT table_name, engine, table_collation FROM information_schema.tables WHERE table_schema = DATABASE() "
        "AND table_name NOT IN ('migration_host_history', 'migration_host_track_state') ORDER BY table_name");
    REQUIRE(tables.size() == 13);
    for (const auto& row : tables) {
        INFO("table " << row[0].value_or(""));
        CHECK(row[1].value_or("") == "InnoDB");
        CHECK(row[2].value_or("") == "utf8mb3_general_ci");
    }
    const auto columns = database.query(
        "SELECT table_name, column_name, character_set_name FROM information_schema.columns WHERE table_schema = "
        "DATABASE() AND character_set_name IS NOT NULL AND table_name NOT IN ('migration_host_history', "
        "'migration_host_track_state')");
    // Every VARCHAR of the seed, plus migrate_version's repository_id and repository_path.
    std::size_t text_columns = 2;
    for (const auto& table : expected_cinder_tables()) {
        for (const auto& column : table.columns) text_columns += column.type.rfind("varchar", 0) == 0 ? 1 : 0;
    }
    CHECK(columns.size() == text_columns);
    for (const auto& row : columns) {
        INFO("column " << row[0].value_or("") << "." << row[1].value_or(""));
        CHECK(row[2].value_or("") == "utf8mb3");
    }
    CHECK(database.scalar("SELECT default_character_set_name FROM information_schema.schemata WHERE schema_name = "
                          "DATABASE()") == std::optional<std::string>("utf8mb3"));
}

}  // namespace

TEST_CASE("mysql: on a utf8mb4 database every table ends utf8 and InnoDB, and so does the default", "[mysql][cinder]") {
    const auto database = TestDatabase::create(Backend::mysql, "utf8mb4");
    if (!database) return;
    const auto upgrade = run_cinder(*database, {"upgrade"});
    INFO(upgrade.all());
    REQUIRE(upgrade.exit_code == 0);
    check_utf8_innodb(*database);
}

TEST_CASE("mysql: on a latin1 database every table ends utf8 and InnoDB, and so does the default", "[mysql][cinder]") {
    const auto database = TestDatabase::create(Backend::mysql, "latin1");
    if (!database) return;
    const auto upgrade = run_cinder(*database, {"upgrade"});
    INFO(upgrade.all());
    REQUIRE(upgrade.exit_code == 0);
    check_utf8_innodb(*database);
    check_cinder_schema(*database);
}
