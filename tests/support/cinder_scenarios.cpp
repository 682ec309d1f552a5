// The cinder_initial scenarios every backend must pass, run through the real migration-host executable.
// SPDX-License-Identifier: Apache-2.0
#include "cinder_scenarios.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

#include "cinder_schema_check.hpp"

#ifndef CINDER_PLUGIN_DIR
#error "CINDER_PLUGIN_DIR must be defined by the build"
#endif

namespace test_support {

ProcessResult run_cinder(const TestDatabase& database, std::vector<std::string> arguments) {
    std::vector<std::string> all{"--dsn", database.connection_string(), "--no-default-plugins", "--plugin-path",
                                 CINDER_PLUGIN_DIR};
    all.insert(all.end(), arguments.begin(), arguments.end());
    return run_host(all);
}

ProcessResult run_cinder_chain(const TestDatabase& database, std::vector<std::string> arguments,
                               const std::string& dsn_suffix) {
    std::vector<std::string> all{"--dsn",         database.connection_string() + dsn_suffix,
                                 "--no-default-plugins",
                                 "--plugin-path", CINDER_PLUGIN_DIR,
                                 "--plugin-path", GRIZZLY_PLUGIN_DIR};
    all.insert(all.end(), arguments.begin(), arguments.end());
    return run_host(all);
}

void populate_volume_types(const TestDatabase& database) {
    database.execute("INSERT INTO volume_types (id, name) VALUES (1, 'gold'), (2, 'silver'), (3, 'bronze'), "
                     "(4, 'unused')");
    database.execute("INSERT INTO volume_type_extra_specs (id, volume_type_id, " +
                     std::string(database.backend() == Backend::mysql ? "`key`" : "\"key\"") +
                     ", value) VALUES (1, 1, 'iops', '1000'), (2, 1, 'replicated', 'yes'), (3, 2, 'iops', '100'), "
                     "(4, 3, 'iops', '10')");
    database.execute("INSERT INTO volumes (id, size, volume_type_id) VALUES ('vol-1', 10, 1), ('vol-2', 20, 2), "
                     "('vol-3', 30, 1), ('vol-4', 40, NULL), ('vol-5', 50, 3)");
    database.execute("INSERT INTO snapshots (id, volume_id, volume_size) VALUES ('snap-1', 'vol-1', 10), "
                     "('snap-2', 'vol-3', 30)");
}

void check_upgrade_creates_schema(const TestDatabase& database) {
    const auto before = run_cinder(database, {"status"});
    INFO(before.all());
    REQUIRE(before.exit_code == 0);
    CHECK(before.out.find("001_cinder_init") != std::string::npos);

    const auto upgrade = run_cinder(database, {"upgrade"});
    INFO(upgrade.all());
    REQUIRE(upgrade.exit_code == 0);
    CHECK(upgrade.out.find("Upgraded cinder 0 -> 1: 001_cinder_init") != std::string::npos);
    CHECK(database.version_of("cinder") == 1);
    // sqlalchemy-migrate's row: repository_id is the track; the path is filled in.
    const auto path = database.scalar("SELECT repository_path FROM migrate_version WHERE repository_id = 'cinder'");
    CHECK(path.value_or("").find("cinder_initial") != std::string::npos);
    check_cinder_schema(database);

    const auto after = run_cinder(database, {"status"});
    INFO(after.all());
    REQUIRE(after.exit_code == 0);
    // "cinder  1  1  -": current 1, latest 1, nothing pending.
    const auto line_start = after.out.find("\ncinder ");
    REQUIRE(line_start != std::string::npos);
    const auto line = after.out.substr(line_start + 1, after.out.find('\n', line_start + 1) - line_start - 1);
    CHECK(line.find(" 1 ") != std::string::npos);
    CHECK(line.back() == '-');
}

void check_reupgrade_is_noop(const TestDatabase& database) {
    REQUIRE(run_cinder(database, {"upgrade"}).exit_code == 0);
    const auto tables_before = table_names(database);
    const auto again = run_cinder(database, {"upgrade"});
    INFO(again.all());
    CHECK(again.exit_code == 0);
    CHECK(again.out.find("Nothing to do") != std::string::npos);
    CHECK(again.out.find("cinder at 1") != std::string::npos);
    CHECK(database.version_of("cinder") == 1);
    CHECK(table_names(database) == tables_before);
    // Targeted forms say the same.
    CHECK(run_cinder(database, {"upgrade", "cinder"}).exit_code == 0);
    CHECK(run_cinder(database, {"upgrade", "cinder@1"}).exit_code == 0);
    CHECK(database.version_of("cinder") == 1);
}

void check_downgrade_refused(const TestDatabase& database) {
    REQUIRE(run_cinder(database, {"upgrade"}).exit_code == 0);
    const auto tables_before = table_names(database);
    const auto downgrade = run_cinder(database, {"downgrade", "cinder@0"});
    INFO(downgrade.all());
    CHECK(downgrade.exit_code == 5);
    CHECK(downgrade.err.find("Downgrade from initial Cinder install is unsupported.") != std::string::npos);
    CHECK(line_count(downgrade.err) == 1);
    CHECK(database.version_of("cinder") == 1);
    CHECK(table_names(database) == tables_before);
    check_cinder_schema(database);
}

void check_table_creation_failure(const TestDatabase& database) {
    // `volumes` is the fifth table the seed creates; four come before it.
    database.execute("CREATE TABLE volumes (id INTEGER NOT NULL, PRIMARY KEY (id))");
    // Without a version row the host refuses to run a first step over existing tables (exit 5, see
    // check_unversioned_tables_refused); with cinder registered at 0 it runs the step, which fails.
    REQUIRE(run_cinder(database, {"stamp", "cinder@0"}).exit_code == 0);
    const auto upgrade = run_cinder(database, {"upgrade"});
    INFO(upgrade.all());
    CHECK(upgrade.exit_code == 1);
    CHECK(upgrade.err.find("migration-host: error: cinder@1 (001_cinder_init) failed") != std::string::npos);
    // As the seed: the table's definition and the exception are logged.
    CHECK(upgrade.err.find("Table('volumes'") != std::string::npos);
    CHECK(upgrade.err.find("Exception while creating table") != std::string::npos);
    CHECK(database.version_of("cinder") == 0);
    const auto history = run_cinder(database, {"history", "cinder"});
    CHECK(history.out.find("failed") != std::string::npos);
    auto names = table_names(database);
    std::sort(names.begin(), names.end());
    if (database.backend() == Backend::mysql) {
        // DDL commits implicitly: what came before the failure stays.
        CHECK(names == std::vector<std::string>{"sm_backend_config", "sm_flavors", "snapshots", "volume_types",
                                                "volumes"});
    } else {
        CHECK(names == std::vector<std::string>{"volumes"});
    }
}

}  // namespace test_support

namespace test_support {

void check_unversioned_tables_refused(const TestDatabase& database) {
    database.execute("CREATE TABLE volumes (id INTEGER NOT NULL, PRIMARY KEY (id))");
    const auto upgrade = run_cinder(database, {"upgrade"});
    INFO(upgrade.all());
    CHECK(upgrade.exit_code == 5);
    CHECK(upgrade.err.find("already has tables that cinder@1 (001_cinder_init) creates (volumes)") != std::string::npos);
    CHECK(upgrade.err.find("migration-host stamp cinder@N") != std::string::npos);
    CHECK_FALSE(database.version_of("cinder").has_value());
    CHECK(table_names(database) == std::vector<std::string>{"volumes"});
}

}  // namespace test_support
