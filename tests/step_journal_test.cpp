// The statement journal (engine/step_journal): how statements are classified, which MariaDB errors say a statement's effect is there, and SIGKILLs during the Grizzly chain that one upgrade finishes.
// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "cinder_scenarios.hpp"
#include "engine/step_journal.hpp"
#include "grizzly_schema_check.hpp"
#include "host_process.hpp"
#include "test_database.hpp"

using namespace test_support;
using migration_host::classify_statement;
using migration_host::StatementKind;

TEST_CASE("classify_statement, for a dirty track's journal: data statements share a transaction, SET is the session's, "
          "the rest stands alone",
          "[journal]") {
    for (const char* sql :
         {"INSERT INTO t VALUES (1)", "update t SET a = 1", "DELETE FROM t", "REPLACE INTO t VALUES (1)",
          "SELECT setval('s', 1)", "WITH x AS (SELECT 1) UPDATE t SET a = 1", "  \n\tinsert into t values (2)",
          "/* why */ UPDATE t SET a = 2", "-- note\nDELETE FROM t", "# note\nINSERT INTO t VALUES (3)",
          "(SELECT 1) UNION (SELECT 2)"}) {
        INFO(sql);
        CHECK(classify_statement(sql) == StatementKind::data);
    }
    for (const char* sql : {"SET foreign_key_checks = 0", "set @x = 1", "/* c */ SET NAMES utf8"}) {
        INFO(sql);
        CHECK(classify_statement(sql) == StatementKind::session);
    }
    for (const char* sql :
         {"CREATE TABLE t (a INT)", "ALTER TABLE t ADD COLUMN b INT", "DROP TABLE t", "RENAME TABLE a TO b",
          "CREATE INDEX i ON t (a)", "TRUNCATE TABLE t", "CALL p()", "LOCK TABLES t WRITE", "COMMIT",
          "START TRANSACTION", "", "   ", "/* only a comment */", "UPDATES", "SETTINGS"}) {
        INFO(sql);
        CHECK(classify_statement(sql) == StatementKind::other);
    }
}

// What the journal relies on when it runs again the statement a killed attempt may have completed: the errors MariaDB
// gives for a statement whose effect is already there, asked of the real server.
TEST_CASE("mysql: resuming a dirty track, MariaDB's answers to a DDL statement run twice say it was already applied, "
          "and other errors do not",
          "[mysql][journal]") {
    const auto database = TestDatabase::create(Backend::mysql);
    if (!database) return;
    const auto connection =
        std::make_unique<migration_host::odbc::Connection>(odbc_environment(), database->connection_string(), 10U);
    const auto second_answer = [&](const std::string& sql) -> std::optional<migration_host::odbc::Diagnostic> {
        const auto result = connection->try_execute(sql);
        if (const auto* diagnostic = std::get_if<migration_host::odbc::Diagnostic>(&result)) return *diagnostic;
        return std::nullopt;
    };
    const std::vector<std::string> twice{
        "CREATE TABLE parent (id INT PRIMARY KEY) ENGINE=InnoDB",
        "CREATE TABLE child (id INT PRIMARY KEY, parent_id INT) ENGINE=InnoDB",
        "ALTER TABLE child ADD COLUMN note VARCHAR(10)",
        "CREATE INDEX ix_note ON child (note)",
        "ALTER TABLE child ADD CONSTRAINT child_parent_fk FOREIGN KEY (parent_id) REFERENCES parent (id)",
        "ALTER TABLE child DROP FOREIGN KEY child_parent_fk",
        "DROP INDEX ix_note ON child",
        "ALTER TABLE child DROP COLUMN note",
        "DROP TABLE child",
    };
    for (const auto& sql : twice) {
        INFO(sql);
        REQUIRE_FALSE(second_answer(sql));
        const auto again = second_answer(sql);
        REQUIRE(again);
        INFO(again->to_string());
        CHECK(migration_host::says_already_applied(*again));
    }
    for (const std::string sql :
         {"CREATE TABLE parent (", "ALTER TABLE missing ADD COLUMN a INT", "INSERT INTO parent (id) VALUES (1)"}) {
        INFO(sql);
        auto answer = second_answer(sql);
        if (!answer) answer = second_answer(sql);  // the INSERT fails the second time, with a duplicate key
        REQUIRE(answer);
        INFO(answer->to_string());
        CHECK_FALSE(migration_host::says_already_applied(*answer));
    }
}

namespace {

using Clock = std::chrono::steady_clock;

// The host's inspect of the schema, with the database's name taken out.
std::string schema_of(const TestDatabase& database) {
    const auto result = run_cinder_chain(database, {"inspect"});
    require_ok(result);
    return std::regex_replace(result.out, std::regex(database.name()), "<database>");
}

// Every row of every table but the host's own, one line each, sorted, with each volume type's id (a random UUID
// after 004) replaced by its type's name: what two clean runs from the same rows share.
std::vector<std::string> data_of(const TestDatabase& database) {
    std::map<std::string, std::string> type_names;
    for (const auto& row : database.query("SELECT id, name FROM volume_types")) {
        type_names[row[0].value_or("")] = fmt::format("<type {}>", row[1].value_or(""));
    }
    std::vector<std::string> lines;
    for (const auto& table : database.query("SELECT table_name FROM information_schema.tables WHERE table_schema = "
                                            "DATABASE() AND table_name NOT LIKE 'migration_host%' ORDER BY 1")) {
        const std::string name = table[0].value_or("");
        for (const auto& row : database.query(fmt::format("SELECT * FROM `{}`", name))) {
            std::string line = name;
            line += ':';
            for (const auto& cell : row) {
                const auto type = cell ? type_names.find(*cell) : type_names.end();
                line += ' ';
                line += type != type_names.end() ? type->second : cell.value_or("NULL");
            }
            lines.push_back(line);
        }
    }
    std::sort(lines.begin(), lines.end());
    return lines;
}

// A database at cinder@1 with the rows 004 renumbers.
std::unique_ptr<TestDatabase> seeded_database() {
    auto database = TestDatabase::create(Backend::mysql);
    if (!database) return nullptr;
    require_ok(run_cinder_chain(*database, {"upgrade", "cinder@1"}));
    seed_volume_data(*database);
    return database;
}

// Waits (polling, 30 s at most) until the history shows an attempt of cinder@`version`, or `victim` ends.
void wait_for_step(const TestDatabase& database, BackgroundHost& victim, int version) {
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    while (Clock::now() < deadline && victim.running()) {
        try {
            if (database.scalar(fmt::format("SELECT COUNT(*) FROM migration_host_history WHERE track = 'cinder' AND "
                                            "version = {}",
                                            version)) != std::optional<std::string>("0")) {
                return;
            }
        } catch (const std::exception&) {
            // The table does not exist yet.
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

// The last history row: "cinder@4 upgrade started".
std::string last_attempt(const TestDatabase& database) {
    const auto rows = database.query(
        "SELECT track, version, direction, outcome FROM migration_host_history ORDER BY id DESC LIMIT 1");
    if (rows.empty()) return "none";
    return fmt::format("{}@{} {} {}", rows[0][0].value_or(""), rows[0][1].value_or(""), rows[0][2].value_or(""),
                       rows[0][3].value_or(""));
}

}  // namespace

// Issue 22: SIGKILLs during the Grizzly upgrade on MariaDB left tracks that the documented repair-then-upgrade brought
// back in 2 cases of 23. Here the host is killed at points spread over a clean run's duration (where each lands
// varies with the machine; every one must converge), and one further upgrade must leave the schema and data of a
// clean run, with no repair.
TEST_CASE("mysql: a host killed with SIGKILL anywhere in the grizzly chain with seeded data: one upgrade converges to "
          "a clean run",
          "[mysql][grizzly][journal]") {
    const auto reference = seeded_database();
    if (!reference) return;
    const auto clean_start = Clock::now();
    const ProcessResult clean = run_cinder_chain(*reference, {"upgrade"});
    const std::chrono::duration<double> clean_duration = Clock::now() - clean_start;
    require_ok(clean);
    REQUIRE(reference->version_of("cinder") == 9);
    // Each kill comes once the victim's history shows a chosen step started, after a delay of 0 to 4 fifths of a
    // clean run's average step: 8 steps by 5 delays, spread over the chain, each landing where the machine's speed
    // takes it (in that step or a later one, or after the run).
    std::smatch applied;
    REQUIRE(std::regex_search(clean.out, applied, std::regex(R"(Applied 8 steps in ([0-9.]+) s)")));
    const std::chrono::duration<double> average_step(std::stod(applied[1].str()) / 8);
    const std::string clean_schema = schema_of(*reference);
    const std::vector<std::string> clean_data = data_of(*reference);

    constexpr int kills = 35;
    int dirty = 0;
    std::map<std::string, int> dirty_at;
    for (int kill = 0; kill < kills; ++kill) {
        const auto database = seeded_database();
        REQUIRE(database);
        const int step = 2 + kill % 8;
        const auto delay = average_step * (kill / 8) / 5;
        BackgroundHost victim(
            host_run_on(database->connection_string(), {CINDER_PLUGIN_DIR, GRIZZLY_PLUGIN_DIR}, {"upgrade"}));
        wait_for_step(*database, victim, step);
        std::this_thread::sleep_for(delay);
        if (victim.running()) victim.kill(SIGKILL);
        const ProcessResult killed = victim.wait();
        const std::string attempt = last_attempt(*database);
        const bool left_dirty = attempt.find(" started") != std::string::npos;
        if (left_dirty) {
            ++dirty;
            ++dirty_at[attempt.substr(0, attempt.find(' '))];
        }

        const ProcessResult again = run_cinder_chain(*database, {"upgrade"});
        INFO(fmt::format("kill {}, {} ms after cinder@{} started: host exit {}, last attempt {}", kill,
                         std::chrono::duration_cast<std::chrono::milliseconds>(delay).count(), step,
                         killed.exit_code, attempt));
        INFO("killed host:\n" << killed.all() << "\nthe next upgrade:\n" << again.all());
        REQUIRE(again.exit_code == 0);
        if (left_dirty) {
            CHECK((contains(again.err, "resuming ") || contains(again.err, "again from its start")));
        }
        REQUIRE(database->version_of("cinder") == 9);
        check_grizzly_schema(*database, 9);
        CHECK(schema_of(*database) == clean_schema);
        CHECK(data_of(*database) == clean_data);
    }
    std::string where;
    for (const auto& [step, count] : dirty_at)
        where += fmt::format("{}{} at {}", where.empty() ? "" : ", ", count, step);
    WARN(
        fmt::format("{} SIGKILLs, each in or after a chosen step of a {} ms clean run; {} left the track dirty ({}); every one converged after "
                    "one upgrade",
                    kills, std::chrono::duration_cast<std::chrono::milliseconds>(clean_duration).count(), dirty,
                    where.empty() ? "none" : where));
}
