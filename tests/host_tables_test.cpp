// The host's own tables: each store's CREATE TABLE byte for byte as the host has always sent it, and a database whose
// tables and rows an earlier host made used as it is. SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <migration_host/render.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cinder_scenarios.hpp"
#include "database/database.hpp"
#include "database/dialect.hpp"
#include "engine/history.hpp"
#include "engine/offline.hpp"
#include "engine/track_summary.hpp"
#include "engine/version_state.hpp"
#include "host_process.hpp"
#include "plugins/host_api.hpp"
#include "plugins/plugin_loader.hpp"
#include "test_database.hpp"

#ifndef CINDER_PLUGIN_DIR
#error "CINDER_PLUGIN_DIR must be defined by the build"
#endif
#ifndef GRIZZLY_PLUGIN_DIR
#error "GRIZZLY_PLUGIN_DIR must be defined by the build"
#endif

using namespace test_support;
using migration_host::Dialect;
using migration_host::HistoryStore;
using migration_host::TrackSummaryStore;
using migration_host::VersionStore;
using Known = migration_host::schema::Dialect;

namespace {

// The CREATE TABLE statements as the host wrote them before its tables were declared with the SDK (copied from
// version_state.cpp, history.cpp and track_summary.cpp as they were): every database the host made has these tables.
const std::string migrate_version_ddl =
    "CREATE TABLE migrate_version (repository_id VARCHAR(250) NOT NULL, repository_path TEXT, version INTEGER, "
    "PRIMARY KEY (repository_id))";

// `journal`: with the statement journal's column, which the host declares since the journal came;
// tables made before have none, and a run on MySQL/MariaDB adds it.
std::string history_ddl(bool mysql, bool journal = false) {
    return std::string(
               "CREATE TABLE migration_host_history (id INTEGER NOT NULL, track VARCHAR(250) NOT NULL, version "
               "INTEGER NOT NULL, direction VARCHAR(16) NOT NULL, from_version INTEGER NOT NULL, to_version INTEGER "
               "NOT NULL, plugin_id VARCHAR(250), plugin_version VARCHAR(100), library_path TEXT, checksum "
               "VARCHAR(100), os_user VARCHAR(250), host_name VARCHAR(250), started_at VARCHAR(32) NOT NULL, "
               "finished_at VARCHAR(32), duration_ms INTEGER, outcome VARCHAR(16) NOT NULL, error TEXT, ") +
           (journal ? "statements_done INTEGER, " : "") + "PRIMARY KEY (id))" +
           (mysql ? " DEFAULT CHARSET=utf8mb4" : "");
}

std::string track_state_ddl(bool mysql) {
    return std::string("CREATE TABLE migration_host_track_state (track VARCHAR(250)") +
           (mysql ? " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin" : "") +
           " NOT NULL, version BIGINT NOT NULL, history_rows BIGINT NOT NULL, last_id BIGINT NOT NULL, "
           "checksums_digest VARCHAR(64) NOT NULL, unchecked_versions TEXT NOT NULL, PRIMARY KEY (track))";
}

std::vector<std::string> todays_ddl(Backend backend) {
    const bool mysql = backend == Backend::mysql;
    return {migrate_version_ddl, history_ddl(mysql), track_state_ddl(mysql)};
}

// Runs `arguments`, which must exit 0 without a warning; returns what it printed.
std::string run_clean(const TestDatabase& db, const std::vector<std::string>& arguments) {
    const auto result = run_cinder_chain(db, arguments);
    INFO(fmt::format("{}:\n{}", fmt::join(arguments, " "), result.all()));
    CHECK(result.exit_code == 0);
    CHECK(warning_lines(result.err).empty());
    CHECK(error_lines(result.err).empty());
    return result.out;
}

struct AppliedStep {
    const migration_host::LoadedPlugin* plugin;
    const migration_host::Migration* migration;
};

// cinder@1 and cinder@2, as the run has them, with the plugin that provides each.
std::vector<AppliedStep> first_two_steps(const migration_host::Discovery& discovery) {
    std::map<std::int64_t, AppliedStep> steps;
    for (const auto& plugin : discovery.plugins) {
        for (const auto& migration : plugin->migrations()) {
            if (migration.ref.track == "cinder" && migration.ref.version <= 2) {
                steps[migration.ref.version] = {plugin.get(), &migration};
            }
        }
    }
    REQUIRE(steps.size() == 2);
    return {steps.at(1), steps.at(2)};
}

// A database at cinder@2 as an earlier host leaves it: its three tables made by today's DDL above, the steps' schema,
// and the rows that host wrote, with its own INSERTs: a failed first attempt of cinder@1 (an error text beyond
// ASCII), its success, cinder@2's success, the version row and the track's summary.
void make_as_earlier_host_did(const TestDatabase& db) {
    migration_host::odbc::Connection connection(odbc_environment(), db.connection_string(), 15);
    const migration_host::DatabaseInfo info = migration_host::describe_database(connection);
    for (const auto& ddl : todays_ddl(db.backend())) connection.execute(ddl);

    const auto discovery = migration_host::discover_plugins({CINDER_PLUGIN_DIR, GRIZZLY_PLUGIN_DIR});
    REQUIRE(discovery.problems.empty());
    const auto steps = first_two_steps(discovery);
    migration_host::ChecksumDigest digest;
    const std::string insert_history =
        "INSERT INTO migration_host_history (id, track, version, direction, from_version, to_version, plugin_id, "
        "plugin_version, library_path, checksum, os_user, host_name, started_at, finished_at, duration_ms, outcome, "
        "error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    const auto history_row = [&](std::int64_t id, const AppliedStep& step, const std::string& checksum,
                                 const std::string& outcome, migration_host::odbc::Parameter error) {
        const std::int64_t version = step.migration->ref.version;
        connection.execute(
            insert_history,
            {id, std::string("cinder"), version, std::string("upgrade"), version - 1, version, step.plugin->id(),
             step.plugin->version(), step.plugin->path().string(), checksum, std::string("operator"),
             std::string("db-admin-1"), fmt::format("2026-01-0{}T10:00:00.000Z", id),
             fmt::format("2026-01-0{}T10:00:01.250Z", id), std::int64_t{1250}, outcome, std::move(error)});
    };
    const std::string first_checksum = migration_host::step_checksum(*steps[0].migration, info);
    history_row(1, steps[0], first_checksum, "failed",
                std::string("table volumes already exists (crée à la main — ✓ ΔΣ)"));
    connection.execute("INSERT INTO migrate_version (repository_id, repository_path, version) VALUES (?, ?, 0)",
                       {std::string("cinder"), steps[0].plugin->path().string()});
    std::int64_t id = 1;
    for (const auto& step : steps) {
        migration_host::StepExecutor executor(&connection, info);
        const auto result =
            executor.run(step.migration->upgrade, step.migration->label(), step.plugin->path().string());
        INFO(result.error);
        REQUIRE(result.succeeded);
        const std::string checksum = migration_host::step_checksum(*step.migration, info);
        history_row(++id, step, checksum, "succeeded", std::monostate{});
        connection.execute("UPDATE migrate_version SET version = ? WHERE repository_id = ? AND version = ?",
                           {step.migration->ref.version, std::string("cinder"), step.migration->ref.version - 1});
        digest.add(step.migration->ref.version, checksum);
    }
    connection.execute(
        "INSERT INTO migration_host_track_state (track, version, history_rows, last_id, checksums_digest, "
        "unchecked_versions) VALUES (?, ?, ?, ?, ?, ?)",
        {std::string("cinder"), std::int64_t{2}, std::int64_t{3}, std::int64_t{3}, digest.text(), std::string()});
}

void check_earlier_database_used_as_is(Backend backend) {
    const auto db = TestDatabase::create(backend);
    if (!db) return;
    make_as_earlier_host_did(*db);
    REQUIRE(db->version_of("cinder") == 2);

    CHECK(run_clean(*db, {"status"}).find("cinder                          2        9") != std::string::npos);
    CHECK(run_clean(*db, {"history"}).find("crée à la main — ✓ ΔΣ") != std::string::npos);
    CHECK(run_clean(*db, {"validate"}).find("2 applied steps verified.") != std::string::npos);
    CHECK(run_clean(*db, {"verify"}).find("No drift") != std::string::npos);

    const std::string upgrade = run_clean(*db, {"upgrade"});
    CHECK(upgrade.find("Applied 7 steps") != std::string::npos);
    CHECK(db->version_of("cinder") == 9);
    // The summary the earlier host wrote was extended, not refused: it describes the whole history now.
    CHECK(db->scalar("SELECT history_rows FROM migration_host_track_state WHERE track = 'cinder'") ==
          std::optional<std::string>("10"));
    CHECK(run_clean(*db, {"status"}).find("cinder                          9        9  -") != std::string::npos);
    const std::string later_history = run_clean(*db, {"history"});
    CHECK(later_history.find("crée à la main — ✓ ΔΣ") != std::string::npos);
    CHECK(later_history.find("cinder@9") != std::string::npos);
    CHECK(run_clean(*db, {"validate"}).find("9 applied steps verified.") != std::string::npos);
    CHECK(run_clean(*db, {"verify"}).find("No drift") != std::string::npos);
}

}  // namespace

TEST_CASE("each host table's CREATE TABLE is the one the host has always sent, from its declaration", "[host_tables]") {
    for (const Known known : {Known::sqlite, Known::mysql, Known::postgresql}) {
        CAPTURE(migration_host::schema::dialect_name(known));
        const bool mysql = known == Known::mysql;
        const auto one_line = [&](const migration_host::schema::Table& table) {
            return migration_host::render::create_table(known, table,
                                                        migration_host::render::CreateTableLayout::one_line);
        };
        CHECK(VersionStore::create_table_sql(known) == migrate_version_ddl);
        CHECK(one_line(VersionStore::table()) == migrate_version_ddl);
        CHECK(HistoryStore::create_table_sql(known) == history_ddl(mysql, true));
        CHECK(one_line(HistoryStore::table()) == history_ddl(mysql, true));
        CHECK(TrackSummaryStore::create_table_sql(known) == track_state_ddl(mysql));
        CHECK(one_line(TrackSummaryStore::table()) == track_state_ddl(mysql));
    }
    // Another DBMS gets the plain spelling, as before.
    const Dialect other = Dialect::for_dbms("Oracle");
    CHECK(VersionStore::create_table_sql(other) == migrate_version_ddl);
    CHECK(HistoryStore::create_table_sql(other) == history_ddl(false, true));
    CHECK(TrackSummaryStore::create_table_sql(other) == track_state_ddl(false));
}

TEST_CASE("sqlite: a database an earlier host made is upgraded, validated, verified and shown without a warning",
          "[sqlite][host_tables]") {
    check_earlier_database_used_as_is(Backend::sqlite);
}

TEST_CASE("mysql: a database an earlier host made is upgraded, validated, verified and shown without a warning",
          "[mysql][host_tables]") {
    check_earlier_database_used_as_is(Backend::mysql);
}

TEST_CASE("postgresql: a database an earlier host made is upgraded, validated, verified and shown without a warning",
          "[postgresql][host_tables]") {
    check_earlier_database_used_as_is(Backend::postgresql);
}
