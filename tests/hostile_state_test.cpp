// Hostile database state (migrate_version and migration_host_history as the host did not write them) and steps that misbehave about state: every case a clear exit code, nothing run on a guessed version.
// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cinder_schema_check.hpp"
#include "command_line/terminal_text.hpp"
#include "engine/history.hpp"
#include "engine/version_state.hpp"
#include "host_process.hpp"
#include "test_database.hpp"

#ifndef TEST_PLUGIN_ROOT
#error "TEST_PLUGIN_ROOT must be defined by the build"
#endif

using namespace test_support;
using migration_host::odbc::Parameter;

namespace {

const std::string cinder_more = TEST_PLUGIN_ROOT "/cinder_more";
const std::string failing_step = TEST_PLUGIN_ROOT "/failing_step";
const std::string ends_transaction = TEST_PLUGIN_ROOT "/ends_transaction";

// sqlalchemy-migrate's table, as chaining_test creates it.
const std::string migrate_version_table =
    "CREATE TABLE migrate_version (repository_id VARCHAR(250) NOT NULL, repository_path TEXT, version INTEGER, "
    "PRIMARY KEY (repository_id))";

// The host's history table as history.cpp creates it, with `changes` applied to its column list.
std::string history_table(const std::map<std::string, std::string>& changes = {}, const std::string& extra = "") {
    const std::vector<std::pair<std::string, std::string>> columns{
        {"id", "INTEGER NOT NULL"},           {"track", "VARCHAR(250) NOT NULL"},
        {"version", "INTEGER NOT NULL"},      {"direction", "VARCHAR(16) NOT NULL"},
        {"from_version", "INTEGER NOT NULL"}, {"to_version", "INTEGER NOT NULL"},
        {"plugin_id", "VARCHAR(250)"},        {"plugin_version", "VARCHAR(100)"},
        {"library_path", "TEXT"},             {"checksum", "VARCHAR(100)"},
        {"os_user", "VARCHAR(250)"},          {"host_name", "VARCHAR(250)"},
        {"started_at", "VARCHAR(32) NOT NULL"}, {"finished_at", "VARCHAR(32)"},
        {"duration_ms", "INTEGER"},           {"outcome", "VARCHAR(16) NOT NULL"},
        {"error", "TEXT"},
    };
    std::string sql = "CREATE TABLE migration_host_history (";
    for (const auto& [name, type] : columns) {
        const auto change = changes.find(name);
        if (change != changes.end() && change->second.empty()) continue;  // dropped
        sql += fmt::format("{} {}, ", name, change == changes.end() ? type : change->second);
    }
    return sql + (extra.empty() ? "PRIMARY KEY (id))" : extra + ")");
}

// One history row: a succeeded upgrade of cinder@1 with `id`, unless `values` says otherwise (raw SQL literals).
std::string history_row(const std::map<std::string, std::string>& values = {}) {
    std::map<std::string, std::string> row{
        {"id", "1"},         {"track", "'cinder'"},          {"version", "1"},
        {"direction", "'upgrade'"}, {"from_version", "0"},   {"to_version", "1"},
        {"plugin_id", "'cinder_initial'"}, {"started_at", "'2026-01-01T00:00:00.000Z'"},
        {"finished_at", "'2026-01-01T00:00:01.000Z'"}, {"duration_ms", "1000"}, {"outcome", "'succeeded'"},
    };
    for (const auto& [name, value] : values) row[name] = value;
    std::string names, literals;
    for (const auto& [name, value] : row) {
        if (value.empty()) continue;  // column left out
        names += (names.empty() ? "" : ", ") + name;
        literals += (literals.empty() ? "" : ", ") + value;
    }
    return fmt::format("INSERT INTO migration_host_history ({}) VALUES ({})", names, literals);
}

ProcessResult run_cinder(const TestDatabase& db, const std::vector<std::string>& arguments) {
    return run_with(db, {CINDER_PLUGIN_DIR, cinder_more}, arguments);
}

std::string text(const std::optional<std::string>& value) { return value ? "'" + *value + "'" : "NULL"; }

// Every table in the database with all its rows (sorted): what no refused command may change.
std::string snapshot(const TestDatabase& db) {
    std::string sql;
    switch (db.backend()) {
        case Backend::sqlite: sql = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"; break;
        case Backend::mysql:
            sql = "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY 1";
            break;
        case Backend::postgresql:
            sql = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1";
            break;
    }
    std::string result;
    for (const auto& table : db.query(sql)) {
        const std::string name = table.at(0).value_or("");
        std::vector<std::string> rows;
        for (const auto& row : db.query("SELECT * FROM " + name)) {
            std::string line;
            for (const auto& value : row) line += text(value) + "|";
            rows.push_back(line);
        }
        std::sort(rows.begin(), rows.end());
        result += "table " + name + "\n";
        for (const auto& row : rows) result += "  " + row + "\n";
    }
    return result;
}


// No byte a terminal would act on: C0 controls other than newline, DEL, and nothing but valid UTF-8.
bool is_terminal_safe(const std::string& text) {
    for (std::size_t i = 0; i < text.size();) {
        const auto byte = static_cast<unsigned char>(text[i]);
        if (byte < 0x80) {
            if ((byte < 0x20 && byte != '\n') || byte == 0x7f) return false;
            ++i;
            continue;
        }
        std::size_t length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc2 ? 2 : 0;
        if (length == 0 || byte > 0xf4 || i + length > text.size()) return false;
        for (std::size_t k = 1; k < length; ++k) {
            if ((static_cast<unsigned char>(text[i + k]) & 0xc0) != 0x80) return false;
        }
        // C1 controls (U+0080..U+009F): some terminals take U+009B for CSI.
        if (byte == 0xc2 && static_cast<unsigned char>(text[i + 1]) < 0xa0) return false;
        i += length;
    }
    return true;
}

// Strictly valid UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
bool is_valid_utf8(const std::string& text) {
    for (std::size_t i = 0; i < text.size();) {
        const auto byte = static_cast<unsigned char>(text[i]);
        if (byte < 0x80) {
            ++i;
            continue;
        }
        std::size_t length = 0;
        std::uint32_t code = 0;
        if (byte >= 0xc2 && byte <= 0xdf) length = 2, code = byte & 0x1f;
        else if (byte >= 0xe0 && byte <= 0xef) length = 3, code = byte & 0x0f;
        else if (byte >= 0xf0 && byte <= 0xf4) length = 4, code = byte & 0x07;
        else return false;
        if (i + length > text.size()) return false;
        for (std::size_t k = 1; k < length; ++k) {
            const auto next = static_cast<unsigned char>(text[i + k]);
            if ((next & 0xc0) != 0x80) return false;
            code = (code << 6) | (next & 0x3f);
        }
        if ((length == 3 && code < 0x800) || (length == 4 && (code < 0x10000 || code > 0x10ffff))) return false;
        if (code >= 0xd800 && code <= 0xdfff) return false;
        i += length;
    }
    return true;
}

// Every state-reading command; none may run anything on a state it cannot read.
const std::vector<std::vector<std::string>> state_commands{
    {"status"},
    {"plan"},
    {"upgrade"},
    {"downgrade", "cinder@0"},
    {"validate"},
    {"stamp", "cinder@1"},
    {"repair", "cinder@1"},
};

// Runs every state command (and `extra` ones) against the prepared database: each exits 5 with one error line
// holding every part of `message_parts`, and leaves every table as it was.
void check_refused_everywhere(const TestDatabase& db, const std::vector<std::string>& message_parts,
                              const std::vector<std::vector<std::string>>& extra = {}) {
    const std::string before = snapshot(db);
    auto commands = state_commands;
    commands.insert(commands.end(), extra.begin(), extra.end());
    for (const auto& command : commands) {
        const auto result = run_cinder(db, command);
        INFO(fmt::format("{}: exit {}\n{}", fmt::join(command, " "), result.exit_code, result.all()));
        CHECK(result.exit_code == 5);
        const auto errors = error_lines(result.err);
        REQUIRE(errors.size() == 1);
        for (const auto& part : message_parts) CHECK(contains(errors.front(), part));
        CHECK(is_terminal_safe(result.out + result.err));
    }
    CHECK(snapshot(db) == before);
}

struct StateCase {
    std::string name;
    std::vector<std::string> statements;  // run in order on a fresh database
    std::vector<std::string> message_parts;
};

// migrate_version rows and tables no command may act on, for `backend`.
std::vector<StateCase> hostile_version_cases(Backend backend) {
    const std::string no_primary_key =
        "CREATE TABLE migrate_version (repository_id VARCHAR(250) NOT NULL, repository_path TEXT, version INTEGER)";
    const std::string bigint_table = "CREATE TABLE migrate_version (repository_id VARCHAR(250) NOT NULL, "
                                     "repository_path TEXT, version BIGINT, PRIMARY KEY (repository_id))";
    const auto row = [](const std::string& track, const std::string& version) {
        return fmt::format("INSERT INTO migrate_version VALUES ('{}', '/x', {})", track, version);
    };
    std::vector<StateCase> cases{
        {"NULL version", {migrate_version_table, row("cinder", "NULL")}, {"migrate_version", "'cinder'", "NULL", "stamp"}},
        {"negative version", {migrate_version_table, row("cinder", "-1")}, {"migrate_version", "'cinder'", "-1"}},
        {"most negative BIGINT",
         {bigint_table, row("cinder", "-9223372036854775808")},
         {"migrate_version", "'cinder'", "-9223372036854775808"}},
        {"negative version on a track no plugin provides",
         {migrate_version_table, row("cinder", "1"), row("nova", "-5")},
         {"migrate_version", "'nova'", "-5"}},
        {"duplicate rows (no primary key)",
         {no_primary_key, row("cinder", "1"), row("cinder", "1")},
         {"migrate_version", "2 rows", "'cinder'"}},
        {"NULL repository_id",
         {"CREATE TABLE migrate_version (repository_id VARCHAR(250), repository_path TEXT, version INTEGER)",
          row("cinder", "1"), "INSERT INTO migrate_version VALUES (NULL, '/x', 1)"},
         {"migrate_version", "repository_id", "NULL"}},
        {"missing version column",
         {"CREATE TABLE migrate_version (repository_id VARCHAR(250) NOT NULL, repository_path TEXT, "
          "PRIMARY KEY (repository_id))",
          "INSERT INTO migrate_version VALUES ('cinder', '/x')"},
         {"migrate_version", "version"}},
        {"missing repository_id column",
         {"CREATE TABLE migrate_version (repository_path TEXT, version INTEGER)",
          "INSERT INTO migrate_version VALUES ('/x', 1)"},
         {"migrate_version", "repository_id"}},
        {"version column of a text type",
         {"CREATE TABLE migrate_version (repository_id VARCHAR(250) NOT NULL, repository_path TEXT, "
          "version VARCHAR(20), PRIMARY KEY (repository_id))",
          row("cinder", "'1'")},
         {"migrate_version", "version", "integer"}},
        {"a row that differs from the track only in case",
         {migrate_version_table, row("CINDER", "1")},
         {"migrate_version", "'CINDER'", "cinder"}},
        {"a row that differs from the track only by a trailing space",
         {migrate_version_table, row("cinder ", "1")},
         {"migrate_version", "'cinder '", "cinder"}},
    };
    if (backend == Backend::sqlite) {
        // SQLite keeps whatever it is given, whatever the declared type.
        for (const auto& [value, shown] : std::vector<std::pair<std::string, std::string>>{
                 {"1.0e+20", "1.0e+20"},
                 {"9223372036854775808", "9.22337203685478e+18"},
                 {"0.5", "0.5"},
                 {"'0abc'", "'0abc'"},
                 {"'x'", "'x'"},
                 {"''", "''"},
                 {"X'01'", "'X"},
                 {"'1 2'", "'1 2'"},
                 {"char(27) || '[2J'", "\\x1b[2J"},
             }) {
            cases.push_back({"SQLite value " + value, {migrate_version_table, row("cinder", value)},
                             {"migrate_version", "'cinder'", shown}});
        }
    }
    if (backend == Backend::mysql) {
        cases.push_back({"BIGINT UNSIGNED above the signed range",
                         {"CREATE TABLE migrate_version (repository_id VARCHAR(250) NOT NULL, repository_path TEXT, "
                          "version BIGINT UNSIGNED, PRIMARY KEY (repository_id))",
                          row("cinder", "18446744073709551615")},
                         {"migrate_version", "'cinder'", "18446744073709551615"}});
        // utf8mb4_general_ci takes an accented letter for the plain one.
        cases.push_back({"a row the collation takes for the track",
                         {migrate_version_table, row("c\xc3\xacnder", "1")},
                         {"migrate_version", "'c\xc3\xacnder'", "cinder"}});
    }
    if (backend == Backend::postgresql) {
        cases.push_back({"NUMERIC version column",
                         {"CREATE TABLE migrate_version (repository_id VARCHAR(250) NOT NULL, repository_path TEXT, "
                          "version NUMERIC, PRIMARY KEY (repository_id))",
                          row("cinder", "0.5")},
                         {"migrate_version", "version", "integer"}});
    }
    return cases;
}

// migration_host_history rows and tables no command may act on, for `backend` (migrate_version itself is sound).
std::vector<StateCase> hostile_history_cases(Backend backend) {
    const std::string version_row = "INSERT INTO migrate_version VALUES ('cinder', '/x', 1)";
    std::vector<StateCase> cases{
        {"NULL from_version",
         {history_table({{"from_version", "INTEGER"}}), history_row({{"from_version", "NULL"}})},
         {"migration_host_history", "id 1", "from_version", "NULL"}},
        {"NULL track",
         {history_table({{"track", "VARCHAR(250)"}}), history_row({{"track", "NULL"}})},
         {"migration_host_history", "id 1", "track", "NULL"}},
        {"NULL id", {history_table({{"id", "INTEGER"}}, "CHECK (1 = 1)"), history_row({{"id", "NULL"}})},
         {"migration_host_history", "id", "NULL"}},
        {"unknown outcome", {history_table(), history_row({{"outcome", "'bogus'"}})},
         {"migration_host_history", "id 1", "'bogus'"}},
        {"unknown direction", {history_table(), history_row({{"direction", "'sideways'"}})},
         {"migration_host_history", "id 1", "'sideways'"}},
        {"negative version", {history_table(), history_row({{"version", "-3"}})},
         {"migration_host_history", "id 1", "-3"}},
        {"duplicate ids (no primary key)",
         {history_table({}, "CHECK (1 = 1)"), history_row(), history_row()},
         {"migration_host_history", "2 rows", "id 1"}},
        {"missing outcome column", {history_table({{"outcome", ""}}), history_row({{"outcome", ""}})},
         {"migration_host_history", "outcome"}},
        {"version column of a text type",
         {history_table({{"version", "VARCHAR(20) NOT NULL"}}), history_row({{"version", "'1'"}})},
         {"migration_host_history", "version", "integer"}},
    };
    if (backend == Backend::sqlite) {
        cases.push_back({"SQLite text id", {history_table({}, "CHECK (1 = 1)"), history_row({{"id", "'x'"}})},
                         {"migration_host_history", "'x'"}});
        cases.push_back({"SQLite text duration", {history_table(), history_row({{"duration_ms", "'slow'"}})},
                         {"migration_host_history", "id 1", "duration_ms", "'slow'"}});
        cases.push_back({"SQLite real to_version", {history_table(), history_row({{"to_version", "1.5"}})},
                         {"migration_host_history", "id 1", "to_version", "1.5"}});
    }
    for (auto& state_case : cases) state_case.statements.insert(state_case.statements.begin(), {migrate_version_table, version_row});
    return cases;
}

// Each case on the same database, emptied of the host's tables in between (a fresh server database per case
// costs more than all its commands).
void check_cases(Backend backend, const std::vector<StateCase>& cases,
                 const std::vector<std::vector<std::string>>& extra_commands = {}) {
    const auto db = TestDatabase::create(backend);
    if (!db) return;
    for (const auto& state_case : cases) {
        INFO("case: " << state_case.name);
        db->execute("DROP TABLE IF EXISTS migrate_version");
        db->execute("DROP TABLE IF EXISTS migration_host_history");
        REQUIRE(snapshot(*db).empty());
        for (const auto& statement : state_case.statements) db->execute(statement);
        check_refused_everywhere(*db, state_case.message_parts, extra_commands);
    }
}

void check_hostile_versions(Backend backend) {
    check_cases(backend, hostile_version_cases(backend));
}

void check_hostile_history(Backend backend) {
    check_cases(backend, hostile_history_cases(backend), {{"history"}});
}

// migrate_version as a view of a table holding sound rows: every command refuses it alike, naming the view, rather
// than reading versions through it that it cannot write back in the step's transaction.
void check_version_view(Backend backend) {
    const auto db = TestDatabase::create(backend);
    if (!db) return;
    db->execute(
        "CREATE TABLE real_versions (repository_id VARCHAR(250) NOT NULL, repository_path TEXT, version "
        "INTEGER, PRIMARY KEY (repository_id))");
    db->execute("INSERT INTO real_versions VALUES ('cinder', '/x', 1)");
    db->execute("CREATE VIEW migrate_version AS SELECT repository_id, repository_path, version FROM real_versions");
    check_refused_everywhere(*db, {"migrate_version is a view, not a table"});
    CHECK(db->scalar("SELECT version FROM real_versions") == std::optional<std::string>("1"));
}

// A version no plugin knows, as large as a BIGINT goes: refused as "ahead", never looped over.
void check_huge_version(Backend backend) {
    const auto db = TestDatabase::create(backend);
    if (!db) return;
    db->execute("CREATE TABLE migrate_version (repository_id VARCHAR(250) NOT NULL, repository_path TEXT, "
                "version BIGINT, PRIMARY KEY (repository_id))");
    db->execute("INSERT INTO migrate_version VALUES ('cinder', '/x', 9223372036854775807)");
    const std::string before = snapshot(*db);
    const auto status = run_cinder(*db, {"status"});
    INFO(status.all());
    CHECK(status.exit_code == 0);
    CHECK(contains(status.out, "9223372036854775807"));
    CHECK(contains(status.out, "database is ahead of the loaded plugins"));
    const std::vector<std::vector<std::string>> refused{{"plan"}, {"upgrade"}, {"downgrade", "cinder@0"}, {"validate"}};
    for (const auto& command : refused) {
        const auto result = run_cinder(*db, command);
        INFO(fmt::format("{}: {}", fmt::join(command, " "), result.all()));
        CHECK(result.exit_code == 5);
        CHECK(contains(result.err, "9223372036854775807"));
        CHECK(result.all().size() < 20000);
    }
    CHECK(snapshot(*db) == before);
    // stamp is how the operator puts it right, where the history can record where the track came from: SQLite's
    // INTEGER holds 64 bits, the history's INTEGER columns on MySQL and PostgreSQL only 32.
    const auto stamp = run_cinder(*db, {"stamp", "cinder@1"});
    INFO(stamp.all());
    if (backend == Backend::sqlite) {
        CHECK(stamp.exit_code == 0);
        CHECK(db->version_of("cinder") == 1);
    } else {
        CHECK(stamp.exit_code == 5);
        CHECK(contains(stamp.err, "cannot record the stamp of cinder from 9223372036854775807 to 1"));
        CHECK(db->version_of("cinder") == std::numeric_limits<std::int64_t>::max());
    }
}

// History ids at the top of the BIGINT range: the next row has no id left, so nothing may run.
void check_history_ids_exhausted(Backend backend) {
    const auto db = TestDatabase::create(backend);
    if (!db) return;
    db->execute(migrate_version_table);
    db->execute("INSERT INTO migrate_version VALUES ('cinder', '/x', 0)");
    db->execute(history_table({{"id", "BIGINT NOT NULL"}}));
    db->execute(history_row({{"id", "9223372036854775807"}, {"direction", "'stamp'"}, {"version", "0"},
                             {"to_version", "0"}}));
    const std::string before = snapshot(*db);
    CHECK(run_cinder(*db, {"status"}).exit_code == 0);
    CHECK(run_cinder(*db, {"history"}).exit_code == 0);
    const std::vector<std::vector<std::string>> refused{{"upgrade"}, {"stamp", "cinder@1"}};
    for (const auto& command : refused) {
        const auto result = run_cinder(*db, command);
        INFO(fmt::format("{}: {}", fmt::join(command, " "), result.all()));
        CHECK(result.exit_code == 5);
        CHECK(contains(result.err, "migration_host_history"));
        CHECK(contains(result.err, "9223372036854775807"));
    }
    CHECK(snapshot(*db) == before);
}

// Terminal escapes stored in the database reach the terminal only escaped.
void check_escapes_in_stored_text(Backend backend) {
    const auto db = TestDatabase::create(backend);
    if (!db) return;
    db->execute(migrate_version_table);
    db->query("INSERT INTO migrate_version VALUES (?, ?, 0)",
              {Parameter{std::string("\x1b]0;owned\x07\x1b[2Jevil")}, Parameter{std::string("/x")}});
    db->execute(history_table());
    db->query(history_row({{"outcome", "'failed'"}, {"error", "?"}, {"track", "'manila'"}}),
              {Parameter{std::string("first line\n\x1b[31mmigration-host: forged line\xc2\x9b\x1b[0m\r")}});
    const auto status = run_cinder(*db, {"status"});
    INFO(status.all());
    CHECK(status.exit_code == 0);
    CHECK(contains(status.out, "\\x1b]0;owned\\x07\\x1b[2Jevil"));
    CHECK(is_terminal_safe(status.all()));
    const auto history = run_cinder(*db, {"history"});
    INFO(history.all());
    CHECK(history.exit_code == 0);
    CHECK(contains(history.out, "first line\\n\\x1b[31mmigration-host: forged line\\xc2\\x9b\\x1b[0m\\r"));
    CHECK(line_count(history.out) == 3);  // header, the row, its error: no forged line
    CHECK(is_terminal_safe(history.all()));
}

// The history rows as "track@version direction outcome", oldest first.
std::vector<std::string> history_summary(const TestDatabase& db) {
    std::vector<std::string> rows;
    for (const auto& row : db.query("SELECT track, version, direction, outcome FROM migration_host_history ORDER BY id")) {
        rows.push_back(fmt::format("{}@{} {} {}", row[0].value_or(""), row[1].value_or(""), row[2].value_or(""),
                                   row[3].value_or("")));
    }
    return rows;
}

bool has_table(const TestDatabase& db, const std::string& table) {
    const auto names = table_names(db);
    return std::find(names.begin(), names.end(), table) != names.end();
}

// cinder@2 fails with a hostile message: the step's own error is reported first, bounded and safe, and recorded
// (bounded, valid UTF-8) in a "failed" row, on every backend.
void check_failure_message(Backend backend, const std::string& mode, const std::string& expected_start) {
    const auto db = TestDatabase::create(backend);
    if (!db) return;
    INFO("mode: " << mode);
    const auto result =
        run_with(*db, {CINDER_PLUGIN_DIR, failing_step}, {"upgrade"}, {{"MIGRATION_HOST_TEST_FAILURE", mode}});
    INFO(result.all().substr(0, 10000));
    CHECK(result.exit_code == 1);
    const auto errors = error_lines(result.err);
    REQUIRE(errors.size() == 1);
    CHECK(contains(errors.front(), "cinder@2 (002_failing) failed: " + expected_start));
    CHECK(contains(errors.front(), "cinder stays at version 1"));
    CHECK(errors.front().size() < 6000);
    CHECK(is_terminal_safe(result.all()));
    CHECK(db->version_of("cinder") == 1);
    CHECK(history_summary(*db) ==
          std::vector<std::string>{"cinder@1 upgrade succeeded", "cinder@2 upgrade failed"});
    const auto stored = db->scalar("SELECT error FROM migration_host_history WHERE version = 2");
    REQUIRE(stored.has_value());
    CHECK(stored->rfind(expected_start, 0) == 0);
    CHECK(stored->size() <= 4100);
    CHECK(is_valid_utf8(*stored));
    if (mode == "huge") CHECK(contains(*stored, "truncated"));
    if (mode == "escape") CHECK(contains(result.err, "logged escape follows: \\x1b[2J\\x1b]0;title\\x07 end"));
    // Where DDL is transactional the step's table went with it; elsewhere it stays and the track is dirty.
    CHECK(has_table(*db, "failing_two") == (backend == Backend::mysql));
}

void check_failure_messages(Backend backend) {
    check_failure_message(backend, "huge", "huge failure message begins here: xxxxxxxx");
    check_failure_message(backend, "invalid_utf8", "invalid UTF-8 follows: ");
    check_failure_message(backend, "status_only", "the step returned status 1");
    check_failure_message(backend, "escape", "escape follows: ");
}

// A history table that refuses every "failed" row: the step's error still comes first, the history problem after.
void check_history_write_failure(Backend backend) {
    const auto db = TestDatabase::create(backend);
    if (!db) return;
    db->execute(history_table({}, "PRIMARY KEY (id), CHECK (outcome <> 'failed')"));
    const auto result = run_with(*db, {CINDER_PLUGIN_DIR, failing_step}, {"upgrade"},
                                 {{"MIGRATION_HOST_TEST_FAILURE", "invalid_utf8"}});
    INFO(result.all());
    CHECK(result.exit_code == 1);
    const auto errors = error_lines(result.err);
    REQUIRE(errors.size() == 2);
    CHECK(contains(errors[0], "cinder@2 (002_failing) failed: invalid UTF-8 follows: "));
    CHECK(contains(errors[1], "migration_host_history"));
    CHECK(db->version_of("cinder") == 1);
}

// The server drops the connection in the middle of the step: its error first, the history write that failed after.
void check_connection_lost_mid_step(Backend backend) {
    const auto db = TestDatabase::create(backend);
    if (!db) return;
    const auto result = run_with(*db, {CINDER_PLUGIN_DIR, failing_step}, {"upgrade"},
                                 {{"MIGRATION_HOST_TEST_FAILURE", "kill_connection"}});
    INFO(result.all());
    CHECK(result.exit_code == 1);
    const auto errors = error_lines(result.err);
    REQUIRE(errors.size() == 2);
    CHECK(contains(errors[0], "cinder@2 (002_failing) failed: "));
    CHECK(contains(errors[1], "migration_host_history"));
    CHECK(db->version_of("cinder") == 1);
}

// A step that issues COMMIT or ROLLBACK: never reported "rolled back" when its statements may have persisted,
// never moving the version, always a failed history row naming the breach.
void check_step_ends_transaction(Backend backend, const std::string& end, const std::string& then) {
    const auto db = TestDatabase::create(backend);
    if (!db) return;
    INFO(end << ", then " << then);
    const auto result = run_with(*db, {ends_transaction}, {"upgrade"},
                                 {{"MIGRATION_HOST_TEST_END", end}, {"MIGRATION_HOST_TEST_THEN", then}});
    INFO(result.all());
    if (backend == Backend::mysql) {
        // No transaction to end: DDL commits as it goes, so COMMIT and ROLLBACK change nothing.
        CHECK(result.exit_code == (then == "fail" ? 1 : 0));
        CHECK(db->version_of("endtx") == (then == "fail" ? 0 : 1));
        CHECK(has_table(*db, "endtx_before"));
        CHECK(has_table(*db, "endtx_after"));
        return;
    }
    CHECK(result.exit_code == 1);
    CHECK(db->version_of("endtx") == 0);
    CHECK(history_summary(*db) == std::vector<std::string>{"endtx@1 upgrade failed"});
    const auto errors = error_lines(result.err);
    REQUIRE(errors.size() == 1);
    CHECK(contains(errors.front(), "endtx@1 (001_ends_transaction) failed"));
    CHECK(contains(errors.front(), "endtx stays at version 0"));
    const bool persisted = has_table(*db, "endtx_before") || has_table(*db, "endtx_after");
    // Reported as rolled back only when nothing it did persisted.
    if (persisted) {
        CHECK_FALSE(contains(errors.front(), "rolled back"));
        CHECK(contains(errors.front(), "may persist"));
    }
    if (then == "succeed") {
        CHECK(contains(errors.front(), "ended the host's transaction"));
        const auto stored = db->scalar("SELECT error FROM migration_host_history");
        CHECK(contains(stored.value_or(""), "ended the host's transaction"));
    }
    // What each database does with the statements around the COMMIT or ROLLBACK.
    if (end == "commit") CHECK(has_table(*db, "endtx_before"));
    if (end == "rollback") CHECK_FALSE(has_table(*db, "endtx_before"));
    if (backend == Backend::postgresql) CHECK_FALSE(has_table(*db, "endtx_after"));
}

void check_steps_ending_transaction(Backend backend) {
    for (const std::string end : {"commit", "rollback"}) {
        for (const std::string then : {"succeed", "fail"}) check_step_ends_transaction(backend, end, then);
    }
}

// validate with fewer plugins than applied the steps: the missing ones are named with the plugin that applied them.
void check_validate_names_unprovided_steps(Backend backend) {
    const auto db = TestDatabase::create(backend);
    if (!db) return;
    REQUIRE(run_cinder(*db, {"upgrade"}).exit_code == 0);
    const auto result = run_with(*db, {CINDER_PLUGIN_DIR}, {"validate"});
    INFO(result.all());
    CHECK(result.exit_code == 5);
    CHECK_FALSE(contains(result.out, "verified"));
    for (const std::string step : {"cinder@2", "cinder@3"}) {
        CHECK(contains(result.out, step + ": applied by plugin cinder_more 2.0.0 ("));
    }
    CHECK(contains(result.out, "cinder_more.so"));
    CHECK(contains(result.err, "2 applied steps that no loaded plugin provides: cinder@2, cinder@3"));
}

// The database refuses the version update after the step succeeded (a trigger): the step's work goes with it
// where DDL is transactional, and is reported so.
void check_refused_version_update(Backend backend) {
    const auto db = TestDatabase::create(backend);
    if (!db) return;
    db->execute(migrate_version_table);
    switch (backend) {
        case Backend::sqlite:
            db->execute("CREATE TRIGGER refuse_version_update BEFORE UPDATE ON migrate_version BEGIN "
                        "SELECT RAISE(ABORT, 'version updates refused'); END");
            break;
        case Backend::mysql:
            db->execute("CREATE TRIGGER refuse_version_update BEFORE UPDATE ON migrate_version FOR EACH ROW "
                        "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'version updates refused'");
            break;
        case Backend::postgresql:
            db->execute("CREATE FUNCTION refuse_version_update() RETURNS trigger LANGUAGE plpgsql AS "
                        "$$ BEGIN RAISE EXCEPTION 'version updates refused'; END $$");
            db->execute("CREATE TRIGGER refuse_version_update BEFORE UPDATE ON migrate_version FOR EACH ROW "
                        "EXECUTE FUNCTION refuse_version_update()");
            break;
    }
    const auto result = run_with(*db, {CINDER_PLUGIN_DIR}, {"upgrade"});
    INFO(result.all());
    CHECK(result.exit_code == 1);
    const auto errors = error_lines(result.err);
    REQUIRE(errors.size() == 1);
    CHECK(contains(errors.front(), "cinder@1 (001_cinder_init) failed: the version update of cinder failed: "));
    CHECK(contains(errors.front(), "version updates refused"));
    CHECK(contains(errors.front(), "cinder stays at version 0"));
    CHECK(db->version_of("cinder") == 0);
    CHECK(history_summary(*db) == std::vector<std::string>{"cinder@1 upgrade failed"});
    if (backend == Backend::mysql) {
        CHECK(contains(errors.front(), "the track is dirty"));
    } else {
        CHECK(contains(errors.front(), "; rolled back, "));
        CHECK(table_names(*db).empty());
    }
}

// Repairing a failed cinder@2 from failing_step records failing_step, whatever version the repair names.
void check_repair_records_the_failed_steps_plugin() {
    const auto db = TestDatabase::create(Backend::mysql);
    if (!db) return;
    const std::vector<std::string> dirs{CINDER_PLUGIN_DIR, failing_step};
    REQUIRE(run_with(*db, dirs, {"upgrade"}).exit_code == 1);
    db->execute("DROP TABLE failing_two");  // the operator puts the schema back as it was before cinder@2
    const auto repair = run_with(*db, dirs, {"repair", "cinder@1"});
    INFO(repair.all());
    REQUIRE(repair.exit_code == 0);
    const auto rows = db->query("SELECT direction, plugin_id, plugin_version, library_path FROM migration_host_history "
                                "ORDER BY id DESC");
    REQUIRE_FALSE(rows.empty());
    CHECK(rows.front()[0] == std::optional<std::string>("repair"));
    CHECK(rows.front()[1] == std::optional<std::string>("failing_step"));
    CHECK(rows.front()[2] == std::optional<std::string>("1.0.0"));
    CHECK(contains(rows.front()[3].value_or(""), "failing_step"));
}

}  // namespace

TEST_CASE("a stored version is read only from the exact base-10 text of a 64-bit integer", "[hostile_state]") {
    using migration_host::parse_stored_version;
    constexpr auto max = std::numeric_limits<std::int64_t>::max();
    constexpr auto min = std::numeric_limits<std::int64_t>::min();
    CHECK(parse_stored_version("0") == 0);
    CHECK(parse_stored_version("3") == 3);
    CHECK(parse_stored_version("-1") == -1);
    CHECK(parse_stored_version("9223372036854775807") == max);
    CHECK(parse_stored_version("-9223372036854775808") == min);
    // How drivers return an integer column is the only form taken: every other spelling is refused, not guessed.
    for (const std::string_view text : {std::string_view(""),
                                        std::string_view("-"),
                                        std::string_view("+3"),
                                        std::string_view(" 3"),
                                        std::string_view("3 "),
                                        std::string_view("03"),
                                        std::string_view("-0"),
                                        std::string_view("00"),
                                        std::string_view("3.0"),
                                        std::string_view("1.0e+20"),
                                        std::string_view("1e3"),
                                        std::string_view("0.5"),
                                        std::string_view("0abc"),
                                        std::string_view("x"),
                                        std::string_view("9223372036854775808"),
                                        std::string_view("-9223372036854775809"),
                                        std::string_view("99999999999999999999"),
                                        std::string_view("0x10"),
                                        std::string_view("\xef\xbc\x93"),
                                        std::string_view("3\n"),
                                        std::string_view("\x1b[2J"),
                                        std::string_view("--1"),
                                        std::string_view("1-"),
                                        std::string_view("3\0", 2),
                                        std::string_view("-\0")}) {
        INFO(migration_host::escape_nonprintable(text));
        CHECK_FALSE(parse_stored_version(text).has_value());
    }
    for (const std::int64_t value : {std::int64_t{0}, std::int64_t{1}, std::int64_t{-1}, std::int64_t{10},
                                     std::int64_t{1234567890123}, max, min, max - 1, min + 1}) {
        CHECK(parse_stored_version(std::to_string(value)) == value);
    }
}

TEST_CASE("text from databases and plugins is escaped before it reaches a terminal", "[hostile_state]") {
    using migration_host::escape_nonprintable;
    // Printable ASCII and UTF-8 pass unchanged, backslashes included.
    CHECK(escape_nonprintable("cinder@1 (001_cinder_init) caf\xc3\xa9 \xe2\x9c\x93 C:\\x") ==
          "cinder@1 (001_cinder_init) caf\xc3\xa9 \xe2\x9c\x93 C:\\x");
    CHECK(escape_nonprintable("a\nb\rc\td") == "a\\nb\\rc\\td");
    CHECK(escape_nonprintable("\x1b[31mred\x1b[0m") == "\\x1b[31mred\\x1b[0m");
    CHECK(escape_nonprintable(std::string_view("a\0b\x07\x7f", 5)) == "a\\x00b\\x07\\x7f");
    CHECK(escape_nonprintable("\xc2\x9b"
                              "2J") == "\\xc2\\x9b2J");  // C1 CSI, as UTF-8
    CHECK(escape_nonprintable("\xe2\x80\xae"
                              "evil") == "\\xe2\\x80\\xaeevil");               // right-to-left override
    CHECK(escape_nonprintable("\xe2\x80\xa8") == "\\xe2\\x80\\xa8");           // line separator
    CHECK(escape_nonprintable("\xff\xfe") == "\\xff\\xfe");                    // not UTF-8
    CHECK(escape_nonprintable("\xc3(") == "\\xc3(");                           // truncated sequence
    CHECK(escape_nonprintable("\xc0\xaf") == "\\xc0\\xaf");                    // overlong '/'
    CHECK(escape_nonprintable("\xed\xa0\x80") == "\\xed\\xa0\\x80");           // UTF-16 surrogate
    CHECK(escape_nonprintable("\xf4\x90\x80\x80") == "\\xf4\\x90\\x80\\x80");  // above U+10FFFF
    // Nothing but printable ASCII is left of a text made only of controls and bytes that are not UTF-8.
    const std::string hostile = "\x1b]0;title\x07\n\xc2\x9b\xff";
    const std::string once = escape_nonprintable(hostile);
    for (const char c : once) CHECK((c >= 0x20 && c < 0x7f));
}

TEST_CASE("a stored error is valid UTF-8 and bounded, cut at a character", "[hostile_state]") {
    using migration_host::max_stored_error_bytes;
    using migration_host::storable_error;
    CHECK(storable_error("") == "");
    CHECK(storable_error("the step returned status 1") == "the step returned status 1");
    const std::string exactly(max_stored_error_bytes, 'x');
    CHECK(storable_error(exactly) == exactly);
    // Each byte that is not UTF-8 (and NUL, which PostgreSQL refuses) becomes U+FFFD.
    CHECK(storable_error("a\xff"
                         "b\xc3(c") ==
          "a\xef\xbf\xbd"
          "b\xef\xbf\xbd(c");
    CHECK(storable_error(std::string_view("a\0b", 3)) ==
          "a\xef\xbf\xbd"
          "b");
    CHECK(storable_error("\xed\xa0\x80") == "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    const std::vector<std::string> long_texts{
        exactly + "y",
        std::string(1 << 20, 'x'),
        [] {
            std::string accents;
            for (int i = 0; i < 3000; ++i) accents += "\xc3\xa9";  // 2 bytes each: a cut can fall inside one
            return accents;
        }(),
        [] {
            std::string emoji = "z";
            for (int i = 0; i < 2000; ++i) emoji += "\xf0\x9f\x98\x80";
            return emoji;
        }(),
        std::string(max_stored_error_bytes, '\xff'),  // grows threefold when replaced
    };
    for (const auto& text : long_texts) {
        const std::string stored = storable_error(text);
        INFO(text.size() << " bytes");
        CHECK(stored.size() <= max_stored_error_bytes);
        CHECK(contains(stored, fmt::format(" [truncated: {} bytes in all]", text.size())));
        CHECK(is_valid_utf8(stored));
        CHECK(storable_error(stored) == stored);
    }
}

TEST_CASE("mysql: repair records the plugin of the unfinished step", "[mysql][hostile_state]") {
    check_repair_records_the_failed_steps_plugin();
}

#define HOSTILE_STATE_CASES(backend_tag, backend)                                                                    \
    TEST_CASE(backend_tag ": hostile migrate_version rows and tables are refused with exit 5",                       \
              "[" backend_tag "][hostile_state]") {                                                                  \
        check_hostile_versions(backend);                                                                             \
    }                                                                                                                \
    TEST_CASE(backend_tag ": hostile migration_host_history rows and tables are refused with exit 5",                \
              "[" backend_tag "][hostile_state]") {                                                                  \
        check_hostile_history(backend);                                                                              \
    }                                                                                                                \
    TEST_CASE(backend_tag ": migrate_version as a view is refused alike by every command",                           \
              "[" backend_tag "][hostile_state]") {                                                                  \
        check_version_view(backend);                                                                                 \
    }                                                                                                                \
    TEST_CASE(backend_tag ": a stored version at the top of BIGINT is ahead, never looped over",                     \
              "[" backend_tag "][hostile_state]") {                                                                  \
        check_huge_version(backend);                                                                                 \
    }                                                                                                                \
    TEST_CASE(backend_tag ": history ids at the top of BIGINT refuse a new row before anything runs",                \
              "[" backend_tag "][hostile_state]") {                                                                  \
        check_history_ids_exhausted(backend);                                                                        \
    }                                                                                                                \
    TEST_CASE(backend_tag ": terminal escapes stored in the database are printed escaped",                           \
              "[" backend_tag "][hostile_state]") {                                                                  \
        check_escapes_in_stored_text(backend);                                                                       \
    }                                                                                                                \
    TEST_CASE(backend_tag ": a step's hostile failure message is reported first and stored bounded",                 \
              "[" backend_tag "][hostile_state]") {                                                                  \
        check_failure_messages(backend);                                                                             \
    }                                                                                                                \
    TEST_CASE(backend_tag ": a history write that fails comes after the step's own error",                           \
              "[" backend_tag "][hostile_state]") {                                                                  \
        check_history_write_failure(backend);                                                                        \
    }                                                                                                                \
    TEST_CASE(backend_tag ": a step that issues COMMIT or ROLLBACK is reported truthfully",                          \
              "[" backend_tag "][hostile_state]") {                                                                  \
        check_steps_ending_transaction(backend);                                                                     \
    }                                                                                                                \
    TEST_CASE(backend_tag ": a version update the database refuses after the step is reported truthfully",         \
              "[" backend_tag "][hostile_state]") {                                                                  \
        check_refused_version_update(backend);                                                                       \
    }                                                                                                                \
    TEST_CASE(backend_tag ": validate names applied steps no loaded plugin provides",                                \
              "[" backend_tag "][hostile_state]") {                                                                  \
        check_validate_names_unprovided_steps(backend);                                                              \
    }

HOSTILE_STATE_CASES("sqlite", Backend::sqlite)
HOSTILE_STATE_CASES("mysql", Backend::mysql)
HOSTILE_STATE_CASES("postgresql", Backend::postgresql)

TEST_CASE("mysql: a connection lost mid-step is reported after the step's error", "[mysql][hostile_state]") {
    check_connection_lost_mid_step(Backend::mysql);
}

TEST_CASE("postgresql: a connection lost mid-step is reported after the step's error",
          "[postgresql][hostile_state]") {
    check_connection_lost_mid_step(Backend::postgresql);
}
