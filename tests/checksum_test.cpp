// Step checksums describe the step, not the environment: the same on every database name, and kept on a restored copy.
// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <boost/crc.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "cinder_scenarios.hpp"
#include "database/database.hpp"
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

}  // namespace

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
