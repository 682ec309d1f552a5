// Step checksums describe the step, not the environment: the same on every database name, and kept on a restored copy.
// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <boost/crc.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "cinder_scenarios.hpp"
#include "database/database.hpp"
#include "engine/offline.hpp"
#include "host_process.hpp"
#include "plugins/host_api.hpp"
#include "plugins/plugin_loader.hpp"
#include "test_database.hpp"

using namespace test_support;

namespace {

std::string recorded_checksum(const TestDatabase& database) {
    return database
        .scalar("SELECT checksum FROM migration_host_history WHERE track = 'cinder' AND version = 1 AND "
                "direction = 'upgrade' AND outcome = 'succeeded'")
        .value_or("");
}

// Two databases that differ only in their names record the same checksum for the same step.
void check_checksum_ignores_database_name(Backend backend) {
    const auto first = TestDatabase::create(backend);
    const auto second = TestDatabase::create(backend);
    if (!first || !second) return;
    REQUIRE(first->name() != second->name());
    for (const auto* database : {first.get(), second.get()}) {
        const auto upgraded = run_cinder(*database, {"upgrade"});
        INFO(upgraded.all());
        REQUIRE(upgraded.exit_code == 0);
    }
    const std::string checksum = recorded_checksum(*first);
    CHECK_FALSE(checksum.empty());
    CHECK(recorded_checksum(*second) == checksum);
}

// What a dump restored under another name holds: every table, row for row.
void copy_mysql_database(const TestDatabase& from, const TestDatabase& to) {
    to.execute("SET foreign_key_checks = 0");
    for (const auto& row : from.query("SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()")) {
        const std::string table = row.at(0).value_or("");
        to.execute(fmt::format("CREATE TABLE `{}` LIKE `{}`.`{}`", table, from.name(), table));
        to.execute(fmt::format("INSERT INTO `{}` SELECT * FROM `{}`.`{}`", table, from.name(), table));
    }
    to.execute("SET foreign_key_checks = 1");
}

// The crc32 the 0.1 host recorded: the statements rendered with the connection's database name and version.
std::string checksum_as_host_0_1_recorded(const TestDatabase& database) {
    migration_host::odbc::Connection connection(odbc_environment(), database.connection_string(), 15);
    const migration_host::DatabaseInfo info = migration_host::describe_database(connection);
    REQUIRE_FALSE(info.database_name.empty());
    const auto discovery = migration_host::discover_plugins({CINDER_PLUGIN_DIR});
    REQUIRE(discovery.plugins.size() == 1);
    const migration_host::Migration& step = discovery.plugins.front()->migrations().at(0);
    migration_host::StepExecutor executor(nullptr, info);
    REQUIRE(executor.run(step.upgrade, "legacy render", discovery.plugins.front()->path().string()).succeeded);
    boost::crc_32_type crc;
    for (const auto& statement : executor.recorded()) {
        crc.process_bytes(statement.data(), statement.size());
        crc.process_byte('\n');
    }
    const std::string legacy = fmt::format("crc32:{:08x}", crc.checksum());
    CHECK(std::find_if(executor.recorded().begin(), executor.recorded().end(), [&](const std::string& statement) {
              return statement.find(database.name()) != std::string::npos;
          }) != executor.recorded().end());
    return legacy;
}

// One line "track@version dialect checksum" for every step of the plugins in `directories`, sorted, each checksum
// as the host computes it (offline, from the dialect and DBMS name alone).
std::string checksums_of(const std::vector<std::filesystem::path>& directories) {
    const auto discovery = migration_host::discover_plugins(directories);
    REQUIRE(discovery.problems.empty());
    std::map<std::string, std::string> checksums;
    for (const auto& [dialect, dbms] : std::map<std::string, std::string>{
             {"sqlite", "SQLite"}, {"mysql", "MySQL"}, {"postgresql", "PostgreSQL"}}) {
        migration_host::DatabaseInfo database;
        database.dialect = *migration_host::Dialect::named(dialect);
        database.dbms_name = dbms;
        for (const auto& plugin : discovery.plugins) {
            for (const auto& migration : plugin->migrations()) {
                checksums[fmt::format("{}@{} {}", migration.ref.track, migration.ref.version, dialect)] =
                    migration_host::step_checksum(migration, database);
            }
        }
    }
    std::string lines;
    for (const auto& [step, checksum] : checksums) lines += step + " " + checksum + "\n";
    return lines;
}

}  // namespace

// Every database migrated so far recorded these checksums: a change to how the host or the SDK renders a step
// offline that moves one makes every such database report a changed step. Computed by the host as it was when
// this test was written; a deliberate change to a shipped step (which the history then rightly reports) updates it.
TEST_CASE("shipped steps keep the checksums they were recorded with, on every dialect", "[sqlite][checksum]") {
    const std::string pinned =
        "bookshelf@1 mysql crc32:7d9c257a\n"
        "bookshelf@1 postgresql crc32:f127139c\n"
        "bookshelf@1 sqlite crc32:d79481dc\n"
        "bookshelf@2 mysql crc32:4bb7e0fb\n"
        "bookshelf@2 postgresql crc32:4bb7e0fb\n"
        "bookshelf@2 sqlite crc32:4bb7e0fb\n"
        "bookshelf@3 mysql crc32:b0203a1e\n"
        "bookshelf@3 postgresql crc32:95e4fd33\n"
        "bookshelf@3 sqlite crc32:dcd85e11\n"
        "bookshelf@4 mysql bookshelf:004_author_sort_names:1\n"
        "bookshelf@4 postgresql bookshelf:004_author_sort_names:1\n"
        "bookshelf@4 sqlite bookshelf:004_author_sort_names:1\n"
        "cinder@1 mysql crc32:b0cb33f8\n"
        "cinder@1 postgresql crc32:fa8b19ad\n"
        "cinder@1 sqlite crc32:e02bb84b\n"
        "cinder@2 mysql crc32:7dad9209\n"
        "cinder@2 postgresql crc32:523ecdd4\n"
        "cinder@2 sqlite crc32:398cb640\n"
        "cinder@3 mysql crc32:cbb4314f\n"
        "cinder@3 postgresql crc32:480042bc\n"
        "cinder@3 sqlite crc32:2c62a7b8\n"
        "cinder@4 mysql cinder_grizzly:004_volume_type_to_uuid:1\n"
        "cinder@4 postgresql cinder_grizzly:004_volume_type_to_uuid:1\n"
        "cinder@4 sqlite cinder_grizzly:004_volume_type_to_uuid:1\n"
        "cinder@5 mysql crc32:4bd587aa\n"
        "cinder@5 postgresql crc32:4bd587aa\n"
        "cinder@5 sqlite crc32:4bd587aa\n"
        "cinder@6 mysql crc32:5b08a453\n"
        "cinder@6 postgresql crc32:5b08a453\n"
        "cinder@6 sqlite crc32:5b08a453\n"
        "cinder@7 mysql crc32:691f94ae\n"
        "cinder@7 postgresql crc32:691f94ae\n"
        "cinder@7 sqlite crc32:6f3fa02c\n"
        "cinder@8 mysql crc32:60e5fb2e\n"
        "cinder@8 postgresql crc32:42685be2\n"
        "cinder@8 sqlite crc32:ea04202f\n"
        "cinder@9 mysql crc32:e938072e\n"
        "cinder@9 postgresql crc32:4451cc14\n"
        "cinder@9 sqlite crc32:f921d408\n"
        "guestbook@1 mysql crc32:11e78422\n"
        "guestbook@1 postgresql crc32:1cf30725\n"
        "guestbook@1 sqlite crc32:1cf30725\n"
        "guestbook@2 mysql crc32:b4a1ffed\n"
        "guestbook@2 postgresql crc32:b4a1ffed\n"
        "guestbook@2 sqlite crc32:b4a1ffed\n";
    CHECK(checksums_of({CINDER_PLUGIN_DIR, GRIZZLY_PLUGIN_DIR, TEST_PLUGIN_ROOT "/bookshelf",
                        TEST_PLUGIN_ROOT "/guestbook"}) == pinned);
}

TEST_CASE("sqlite: a step's checksum is the same on databases with different names", "[sqlite][checksum]") {
    check_checksum_ignores_database_name(Backend::sqlite);
}

TEST_CASE("mysql: a step's checksum is the same on databases with different names", "[mysql][checksum]") {
    check_checksum_ignores_database_name(Backend::mysql);
}

TEST_CASE("postgresql: a step's checksum is the same on databases with different names", "[postgresql][checksum]") {
    check_checksum_ignores_database_name(Backend::postgresql);
}

TEST_CASE("mysql: a copy restored under another name validates clean and upgrades without a warning",
          "[mysql][checksum]") {
    const auto original = TestDatabase::create(Backend::mysql);
    const auto restored = TestDatabase::create(Backend::mysql);
    if (!original || !restored) return;
    const auto upgraded = run_cinder(*original, {"upgrade"});
    INFO(upgraded.all());
    REQUIRE(upgraded.exit_code == 0);
    copy_mysql_database(*original, *restored);
    REQUIRE(restored->version_of("cinder") == 1);

    const auto validated = run_cinder(*restored, {"validate"});
    INFO("validate on the restored copy:\n" << validated.all());
    CHECK(validated.exit_code == 0);
    CHECK(validated.out.find("1 applied step verified.") != std::string::npos);
    const auto again = run_cinder(*restored, {"upgrade"});
    INFO("upgrade on the restored copy:\n" << again.all());
    CHECK(again.exit_code == 0);
    CHECK(again.err.find("changed since it was applied") == std::string::npos);
}

TEST_CASE("mysql: a checksum recorded by host 0.1 (rendered with the database name) still validates on its database",
          "[mysql][checksum]") {
    const auto database = TestDatabase::create(Backend::mysql);
    if (!database) return;
    const auto upgraded = run_cinder(*database, {"upgrade"});
    INFO(upgraded.all());
    REQUIRE(upgraded.exit_code == 0);
    const std::string legacy = checksum_as_host_0_1_recorded(*database);
    REQUIRE(legacy != recorded_checksum(*database));
    database->execute(fmt::format("UPDATE migration_host_history SET checksum = '{}' WHERE track = 'cinder'", legacy));

    const auto validated = run_cinder(*database, {"validate"});
    INFO("validate:\n" << validated.all());
    CHECK(validated.exit_code == 0);
    CHECK(validated.out.find("1 applied step verified.") != std::string::npos);
}
