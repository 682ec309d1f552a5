// cinder_grizzly (Cinder 2013.1's 002-009) through the real host on every backend: each version up and down against the original's schema, and 004's data.
// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "grizzly_schema_check.hpp"
#include "cinder_scenarios.hpp"
#include "host_process.hpp"
#include "test_database.hpp"

#ifndef GRIZZLY_PLUGIN_DIR
#error "GRIZZLY_PLUGIN_DIR must be defined by the build"
#endif

using namespace test_support;

namespace {

void check_each_version_up_and_down(const TestDatabase& database) {
    for (int version = 1; version <= 9; ++version) {
        require_ok(run_cinder_chain(database, {"upgrade", fmt::format("cinder@{}", version)}));
        REQUIRE(database.version_of("cinder") == version);
        check_grizzly_schema(database, version);
    }
    for (int version = 8; version >= 1; --version) {
        require_ok(run_cinder_chain(database, {"downgrade", fmt::format("cinder@{}", version)}));
        REQUIRE(database.version_of("cinder") == version);
        check_grizzly_schema(database, version);
    }
    // And up again from what the downgrades left.
    require_ok(run_cinder_chain(database, {"upgrade"}));
    CHECK(database.version_of("cinder") == 9);
    check_grizzly_schema(database, 9);
}

void check_empty_database_reaches_9(const TestDatabase& database) {
    const auto result = run_cinder_chain(database, {"upgrade"});
    require_ok(result);
    CHECK(result.out.find("Upgraded cinder 8 -> 9: 009_add_snapshot_metadata_table (cinder_grizzly") !=
          std::string::npos);
    CHECK(database.version_of("cinder") == 9);
    check_grizzly_schema(database, 9);
}

// --- 004_volume_type_to_uuid on a populated database ---

const std::map<std::string, std::string> k_volume_type_of = {
    {"vol-1", "gold"}, {"vol-2", "silver"}, {"vol-3", "gold"}, {"vol-4", ""}, {"vol-5", "bronze"}};

// volume -> its type's name ("" for none), through the ids as they are now.
std::map<std::string, std::string> volume_type_names(const TestDatabase& database) {
    std::map<std::string, std::string> out;
    for (const auto& row : database.query("SELECT v.id, t.name FROM volumes v LEFT JOIN volume_types t ON "
                                          "t.id = v.volume_type_id ORDER BY v.id")) {
        out[row[0].value_or("")] = row[1].value_or("");
    }
    return out;
}

// "type name/key=value" for every extra spec, through the ids as they are now.
std::multiset<std::string> extra_specs(const TestDatabase& database) {
    const std::string key = database.backend() == Backend::mysql ? "s.`key`" : "s.\"key\"";
    std::multiset<std::string> out;
    for (const auto& row : database.query("SELECT t.name, " + key + ", s.value FROM volume_type_extra_specs s "
                                          "JOIN volume_types t ON t.id = s.volume_type_id")) {
        out.insert(row[0].value_or("") + "/" + row[1].value_or("") + "=" + row[2].value_or(""));
    }
    return out;
}

std::size_t count(const TestDatabase& database, const std::string& table) {
    return std::stoul(database.scalar("SELECT COUNT(*) FROM " + table).value_or("0"));
}

void check_references_kept(const TestDatabase& database) {
    CHECK(volume_type_names(database) == k_volume_type_of);
    CHECK(extra_specs(database) == std::multiset<std::string>{"gold/iops=1000", "gold/replicated=yes",
                                                             "silver/iops=100", "bronze/iops=10"});
    CHECK(count(database, "volume_types") == 4);
    CHECK(count(database, "volume_type_extra_specs") == 4);
    CHECK(count(database, "volumes") == 5);
    const auto snapshots = database.query("SELECT id, volume_id FROM snapshots ORDER BY id");
    REQUIRE(snapshots.size() == 2);
    CHECK(snapshots[0][1] == std::optional<std::string>("vol-1"));
    CHECK(snapshots[1][1] == std::optional<std::string>("vol-3"));
}

void check_004_data(const TestDatabase& database, const std::string& dsn_suffix = "") {
    require_ok(run_cinder_chain(database, {"upgrade", "cinder@3"}, dsn_suffix));
    populate_volume_types(database);
    check_references_kept(database);

    require_ok(run_cinder_chain(database, {"upgrade", "cinder@4"}, dsn_suffix));
    check_grizzly_schema(database, 4);
    check_references_kept(database);
    const std::regex uuid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
    std::set<std::string> ids;
    for (const auto& row : database.query("SELECT id FROM volume_types")) {
        CHECK(std::regex_match(row[0].value_or(""), uuid));
        ids.insert(row[0].value_or(""));
    }
    CHECK(ids.size() == 4);
    // Every reference points at an existing type (none was left with an old integer id).
    CHECK(database.scalar("SELECT COUNT(*) FROM volumes WHERE volume_type_id IS NOT NULL AND volume_type_id NOT IN "
                          "(SELECT id FROM volume_types)") == std::optional<std::string>("0"));

    // Up again through the later steps (which rebuild volumes and snapshots on SQLite) and back.
    require_ok(run_cinder_chain(database, {"upgrade"}, dsn_suffix));
    check_references_kept(database);
    require_ok(run_cinder_chain(database, {"downgrade", "cinder@3"}, dsn_suffix));
    check_grizzly_schema(database, 3);
    check_references_kept(database);
    std::set<std::string> integer_ids;
    for (const auto& row : database.query("SELECT id FROM volume_types")) integer_ids.insert(row[0].value_or(""));
    CHECK(integer_ids == std::set<std::string>{"1", "2", "3", "4"});
    // A new type still gets an id of its own (AUTO_INCREMENT, SERIAL's sequence, rowid).
    database.execute("INSERT INTO volume_types (name) VALUES ('new')");
    CHECK(database.scalar("SELECT id FROM volume_types WHERE name = 'new'") == std::optional<std::string>("5"));
}

}  // namespace

TEST_CASE("sqlite: cinder_grizzly upgrades and downgrades every version to the original's schema", "[sqlite][grizzly]") {
    const auto database = TestDatabase::create(Backend::sqlite);
    if (!database) return;
    check_each_version_up_and_down(*database);
}
TEST_CASE("mysql: cinder_grizzly upgrades and downgrades every version to the original's schema", "[mysql][grizzly]") {
    const auto database = TestDatabase::create(Backend::mysql);
    if (!database) return;
    check_each_version_up_and_down(*database);
}
TEST_CASE("postgresql: cinder_grizzly upgrades and downgrades every version to the original's schema",
          "[postgresql][grizzly]") {
    const auto database = TestDatabase::create(Backend::postgresql);
    if (!database) return;
    check_each_version_up_and_down(*database);
}

TEST_CASE("sqlite: upgrade with both Cinder plugins takes an empty database to cinder@9", "[sqlite][grizzly]") {
    const auto database = TestDatabase::create(Backend::sqlite);
    if (!database) return;
    check_empty_database_reaches_9(*database);
}
TEST_CASE("mysql: upgrade with both Cinder plugins takes an empty database to cinder@9", "[mysql][grizzly]") {
    const auto database = TestDatabase::create(Backend::mysql);
    if (!database) return;
    check_empty_database_reaches_9(*database);
}
TEST_CASE("postgresql: upgrade with both Cinder plugins takes an empty database to cinder@9", "[postgresql][grizzly]") {
    const auto database = TestDatabase::create(Backend::postgresql);
    if (!database) return;
    check_empty_database_reaches_9(*database);
}

TEST_CASE("sqlite: 004 turns volume type ids into UUIDs and back without losing a row or a reference",
          "[sqlite][grizzly]") {
    const auto database = TestDatabase::create(Backend::sqlite);
    if (!database) return;
    check_004_data(*database);
}
TEST_CASE("sqlite: 004 and the table rebuilds keep every row with foreign keys enforced (FKSupport=1)",
          "[sqlite][grizzly]") {
    const auto database = TestDatabase::create(Backend::sqlite);
    if (!database) return;
    check_004_data(*database, ";FKSupport=1");
}
TEST_CASE("mysql: 004 turns volume type ids into UUIDs and back without losing a row or a reference",
          "[mysql][grizzly]") {
    const auto database = TestDatabase::create(Backend::mysql);
    if (!database) return;
    check_004_data(*database);
}
TEST_CASE("postgresql: 004 turns volume type ids into UUIDs and back without losing a row or a reference",
          "[postgresql][grizzly]") {
    const auto database = TestDatabase::create(Backend::postgresql);
    if (!database) return;
    check_004_data(*database);
}
