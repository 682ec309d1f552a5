// Tests the sql command: the script it prints, run by each database's own client, leaves what upgrade leaves.
// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "cinder_schema_check.hpp"
#include "engine/sql_script.hpp"
#include "host_process.hpp"
#include "json_schema.hpp"
#include "test_database.hpp"

using namespace test_support;
using SqlDialect = migration_host::schema::Dialect;

namespace {

// The value of `key` in an ODBC connection string.
std::string attribute(const std::string& connection_string, const std::string& key) {
    const std::regex pattern("(?:^|;)" + key + "=([^;]*)", std::regex::icase);
    std::smatch match;
    if (!std::regex_search(connection_string, match, pattern)) FAIL("no " + key + " in the connection string");
    return match[1].str();
}

// Feeds `script` to the database's own command-line client, which stops at the first error. The clients run as a
// DBA's might be set up, in a locale that is not UTF-8 (mariadb then talks latin1; psql, told so, LATIN1): the
// script sets its session's character set itself.
ProcessResult run_native_client(const TestDatabase& database, const std::string& script) {
    const std::string directory = make_temp_dir("mh-sql-script");
    const std::string file = directory + "/script.sql";
    std::ofstream(file) << script;
    ProcessResult result;
    std::map<std::string, std::string> environment{{"LC_ALL", "C"}, {"LANG", "C"}};
    if (database.backend() == Backend::sqlite) {
        result = run_process({"sh", "-c", "sqlite3 -bail \"$1\" < \"$2\"", "sh", database.name(), file}, environment);
    } else {
        const std::string server = database.server_connection_string();
        const std::string host = attribute(server, "SERVER"), port = attribute(server, "PORT");
        const std::string user = attribute(server, "UID"), password = attribute(server, "PWD");
        if (database.backend() == Backend::mysql) {
            environment["MYSQL_PWD"] = password;
            result =
                run_process({"sh", "-c", "mariadb --no-defaults --batch -h \"$1\" -P \"$2\" -u \"$3\" \"$4\" < \"$5\"",
                             "sh", host, port, user, database.name(), file},
                            environment);
        } else {
            environment["PGPASSWORD"] = password;
            environment["PGCLIENTENCODING"] = "LATIN1";
            result = run_process(
                {"sh", "-c", "psql -X -q -v ON_ERROR_STOP=1 -h \"$1\" -p \"$2\" -U \"$3\" -d \"$4\" -f \"$5\"", "sh",
                 host, port, user, database.name(), file},
                environment);
        }
    }
    std::filesystem::remove_all(directory);
    return result;
}

ProcessResult run_sql(const std::vector<std::string>& plugin_dirs, const std::vector<std::string>& arguments,
                      const std::optional<std::string>& dsn = std::nullopt,
                      const std::map<std::string, std::string>& environment = {}) {
    HostRun run;
    if (dsn) run.arguments = {"--dsn", *dsn};
    run.arguments.push_back("--no-default-plugins");
    for (const auto& dir : plugin_dirs) {
        run.arguments.push_back("--plugin-path");
        run.arguments.push_back(dir);
    }
    run.arguments.push_back("sql");
    run.arguments.insert(run.arguments.end(), arguments.begin(), arguments.end());
    run.environment = environment;
    return run_host(run);
}

ProcessResult run_on(const TestDatabase& database, const std::vector<std::string>& plugin_dirs,
                     const std::vector<std::string>& arguments,
                     const std::map<std::string, std::string>& environment = {}) {
    return run_host(host_run_on(database.connection_string(), plugin_dirs, arguments, environment));
}

std::vector<std::string> version_rows(const TestDatabase& database) {
    std::vector<std::string> rows;
    for (const auto& row :
         database.query("SELECT repository_id, repository_path, version FROM migrate_version ORDER BY repository_id")) {
        rows.push_back(fmt::format("{} {} {}", row.at(0).value_or("NULL"), row.at(1).value_or("NULL"),
                                   row.at(2).value_or("NULL")));
    }
    return rows;
}

// The lines of `text` that are SQL (neither comments nor blank), in order.
std::vector<std::string> sql_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.rfind("-- ", 0) != 0) lines.push_back(line);
    }
    return lines;
}

void check_script_leaves_what_upgrade_leaves(Backend backend) {
    const auto scripted = TestDatabase::create(backend);
    const auto upgraded = TestDatabase::create(backend);
    if (!scripted || !upgraded) return;
    const auto script = run_sql({CINDER_PLUGIN_DIR}, {"upgrade", "--dialect", dialect_name(backend)});
    require_ok(script);
    const auto client = run_native_client(*scripted, script.out);
    INFO(client.all());
    REQUIRE(client.exit_code == 0);
    require_ok(run_on(*upgraded, {CINDER_PLUGIN_DIR}, {"upgrade"}));

    check_cinder_schema(*scripted);
    CHECK(describe_tables(read_tables(*scripted)) == describe_tables(read_tables(*upgraded)));
    CHECK(version_rows(*scripted) == version_rows(*upgraded));
    CHECK(version_rows(*scripted).size() == 1);
    if (backend == Backend::mysql) {
        const std::string charset =
            "SELECT default_character_set_name FROM information_schema.schemata WHERE schema_name = DATABASE()";
        CHECK(scripted->scalar(charset) == upgraded->scalar(charset));
    }
    // The script recorded the step as the run does: validate finds its checksum, and status nothing pending.
    const auto validated = run_on(*scripted, {CINDER_PLUGIN_DIR}, {"validate"});
    require_ok(validated);
    CHECK(validated.out.find("cinder@1 (001_cinder_init): ok") != std::string::npos);
    const auto history = run_on(*scripted, {CINDER_PLUGIN_DIR}, {"history"});
    require_ok(history);
    CHECK(std::regex_search(history.out, std::regex(R"(cinder@1\s+upgrade\s+succeeded)")));
    // Its row names who ran it, as the run's does: the database user the client connected as, from its host; on
    // SQLite, which has no user, whoever rendered the script (this process's user, as upgrade records it).
    const std::string user = backend == Backend::sqlite
                                 ? upgraded->scalar("SELECT os_user FROM migration_host_history").value_or("?")
                                 : attribute(scripted->server_connection_string(), "UID");
    CHECK(std::regex_search(history.out, std::regex(R"(cinder@1\s+upgrade\s+succeeded .* )" + user + R"(@[^@\s]+\n)")));
    CHECK(scripted->scalar("SELECT os_user FROM migration_host_history") == user);
    CHECK_FALSE(scripted->scalar("SELECT host_name FROM migration_host_history").value_or("").empty());
    // The host takes over from there: nothing left to do.
    const auto again = run_on(*scripted, {CINDER_PLUGIN_DIR}, {"upgrade"});
    require_ok(again);
    CHECK(again.out.find("Nothing to do") != std::string::npos);
}

// Every value comes back from the database's own client exactly as it was.
void check_literals_round_trip(Backend backend) {
    const auto database = TestDatabase::create(backend);
    if (!database) return;
    const std::vector<std::string> values{"plain", "it's", "back\\slash", "a\\'b", "\\", "''", "caf\xc3\xa9"};
    const migration_host::Dialect dialect = *migration_host::Dialect::named(dialect_name(backend));
    std::string script;
    for (const auto& statement : migration_host::session_statements(dialect)) script += statement + ";\n";
    script += "CREATE TABLE literal_values (id INTEGER NOT NULL, value VARCHAR(64), PRIMARY KEY (id));\n";
    for (std::size_t i = 0; i < values.size(); ++i) {
        const auto statement =
            migration_host::replace_markers("INSERT INTO literal_values (id, value) VALUES (?, ?)", dialect,
                                            {std::to_string(i), migration_host::sql_literal_for(dialect, values[i])});
        REQUIRE(statement);
        script += *statement + ";\n";
    }
    script += "INSERT INTO literal_values (id, value) VALUES (99, " +
              migration_host::sql_literal_for(dialect, std::nullopt) + ");\n";
    const auto client = run_native_client(*database, script);
    INFO(client.all());
    REQUIRE(client.exit_code == 0);
    for (std::size_t i = 0; i < values.size(); ++i) {
        CHECK(database->scalar("SELECT value FROM literal_values WHERE id = ?", {static_cast<std::int64_t>(i)}) ==
              values[i]);
    }
    CHECK(database->scalar("SELECT COUNT(*) FROM literal_values WHERE id = 99 AND value IS NULL") == "1");
}

}  // namespace

TEST_CASE("sqlite: sql upgrade --dialect sqlite, run by sqlite3, leaves the schema and version upgrade leaves",
          "[sqlite]") {
    check_script_leaves_what_upgrade_leaves(Backend::sqlite);
}

TEST_CASE("mysql: sql upgrade --dialect mysql, run by mariadb, leaves the schema and version upgrade leaves",
          "[mysql]") {
    check_script_leaves_what_upgrade_leaves(Backend::mysql);
}

TEST_CASE("postgresql: sql upgrade --dialect postgresql, run by psql, leaves the schema and version upgrade leaves",
          "[postgresql]") {
    check_script_leaves_what_upgrade_leaves(Backend::postgresql);
}

TEST_CASE("sqlite: sql: bound values are literals the sqlite3 client reads back exactly", "[sqlite]") {
    check_literals_round_trip(Backend::sqlite);
}

TEST_CASE("mysql: sql: bound values are literals the mariadb client reads back exactly", "[mysql]") {
    check_literals_round_trip(Backend::mysql);
}

TEST_CASE("postgresql: sql: bound values are literals the psql client reads back exactly", "[postgresql]") {
    check_literals_round_trip(Backend::postgresql);
}

TEST_CASE("sql: ? inside literals, quoted names and comments is not a marker", "[sqlite]") {
    using migration_host::replace_markers;
    CHECK(replace_markers("SELECT '?', \"a?\", `b?` -- ?\n, ? /* ? */", SqlDialect::mysql, {"1"}) ==
          "SELECT '?', \"a?\", `b?` -- ?\n, 1 /* ? */");
    CHECK(replace_markers("SELECT 'it''s ?', ?", SqlDialect::sqlite, {"2"}) == "SELECT 'it''s ?', 2");
    CHECK(replace_markers("SELECT 'a\\' ?', ?", SqlDialect::mysql, {"3"}) == "SELECT 'a\\' ?', 3");
    CHECK_FALSE(replace_markers("SELECT ?, ?", SqlDialect::sqlite, {"1"}));
    CHECK_FALSE(replace_markers("SELECT ?", SqlDialect::sqlite, {"1", "2"}));
}

TEST_CASE("sql: ? inside a dialect's own quotes and comments is not a marker", "[sqlite]") {
    using migration_host::replace_markers;
    CHECK(replace_markers("SELECT $$?$$, $a$ ? $$ ? $a$, ?", SqlDialect::postgresql, {"1"}) == "SELECT $$?$$, $a$ ? $$ ? $a$, 1");
    CHECK(replace_markers("SELECT a$b, ?, $1", SqlDialect::postgresql, {"2"}) == "SELECT a$b, 2, $1");
    CHECK(replace_markers("SELECT E'\\' ?', ?", SqlDialect::postgresql, {"3"}) == "SELECT E'\\' ?', 3");
    CHECK(replace_markers("SELECT /* /* ? */ ? */ ?", SqlDialect::postgresql, {"4"}) == "SELECT /* /* ? */ ? */ 4");
    CHECK(replace_markers("SELECT [a?], ?", SqlDialect::sqlite, {"5"}) == "SELECT [a?], 5");
    // MySQL reads "--" as a comment only before a blank: "1--?" subtracts a negated value.
    CHECK(replace_markers("SELECT 1--?", SqlDialect::mysql, {"6"}) == "SELECT 1--6");
}

TEST_CASE("sql: each statement ends where its client ends it, whatever comments and bodies it holds", "[sqlite]") {
    using migration_host::script_statement;
    CHECK(script_statement("CREATE TABLE t (x INTEGER)", SqlDialect::sqlite) == "CREATE TABLE t (x INTEGER);");
    // A trailing comment would take in a ';' on its line.
    CHECK(script_statement("CREATE TABLE t (x INTEGER) -- t", SqlDialect::sqlite) == "CREATE TABLE t (x INTEGER) -- t\n;");
    CHECK(script_statement("SELECT 1 # one", SqlDialect::mysql) == "SELECT 1 # one\n;");
    CHECK(script_statement("SELECT 1 # 2", SqlDialect::postgresql) == "SELECT 1 # 2;");  // an operator there
    CHECK(script_statement("SELECT '-- x', 1 /* c */", SqlDialect::sqlite) == "SELECT '-- x', 1 /* c */;");
    CHECK(script_statement("SELECT 1--1", SqlDialect::mysql) == "SELECT 1--1;");
    // MySQL: a ';' of the statement's own (outside quotes and comments) needs DELIMITER for the mariadb client,
    // with a delimiter the statement does not hold.
    CHECK(script_statement("CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN SET NEW.a = 1; END", SqlDialect::mysql) ==
          "DELIMITER $$\nCREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN SET NEW.a = 1; END$$\nDELIMITER ;");
    CHECK(script_statement("BEGIN SET @a = '$$'; END", SqlDialect::mysql) ==
          "DELIMITER $$$\nBEGIN SET @a = '$$'; END$$$\nDELIMITER ;");
    CHECK(script_statement("BEGIN SET @a = 1; END -- done", SqlDialect::mysql) ==
          "DELIMITER $$\nBEGIN SET @a = 1; END -- done\n$$\nDELIMITER ;");
    CHECK(script_statement("INSERT INTO t VALUES ('a;b') /* c;d */ -- e;f", SqlDialect::mysql) ==
          "INSERT INTO t VALUES ('a;b') /* c;d */ -- e;f\n;");
    // sqlite3 and psql find the end of their compound statements themselves.
    CHECK(script_statement("CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1; END", SqlDialect::sqlite) ==
          "CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1; END;");
    CHECK(script_statement("CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql", SqlDialect::postgresql) ==
          "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;");
}

TEST_CASE("sql: a SQLite value that is not valid UTF-8 is written in hex, the bytes kept", "[sqlite]") {
    CHECK(migration_host::sql_literal_for(SqlDialect::sqlite, std::string("caf\xe9")) == "CAST(X'636166E9' AS TEXT)");
    CHECK(migration_host::sql_literal_for(SqlDialect::sqlite, std::string("caf\xc3\xa9")) == "'caf\xc3\xa9'");
}

TEST_CASE("sql --format json gives the statements the text prints, in order", "[sqlite]") {
    for (const char* dialect : {"sqlite", "mysql", "postgresql"}) {
        INFO(dialect);
        const auto text = run_sql({CINDER_PLUGIN_DIR}, {"upgrade", "--dialect", dialect});
        const auto json = run_sql({CINDER_PLUGIN_DIR}, {"upgrade", "--dialect", dialect, "--format", "json"});
        require_ok(text);
        require_ok(json);
        const auto document = parse_against_schema(json.out, "sql");
        CHECK(document.at("dialect") == dialect);
        CHECK(document.at("direction") == "upgrade");
        CHECK(document.at("database").is_null());
        CHECK(document.at("from_state") == "empty");
        CHECK(document.at("from") == nlohmann::json({{"cinder", 0}}));
        CHECK(document.at("complete") == true);
        REQUIRE(document.at("steps").size() == 1);
        const auto& step = document.at("steps").at(0);
        CHECK(step.at("track") == "cinder");
        CHECK(step.at("from") == 0);
        CHECK(step.at("to") == 1);
        CHECK(step.at("name") == "001_cinder_init");
        CHECK(step.at("plugin") == "cinder_initial");
        CHECK(step.at("needs_connection") == false);
        std::string statements;
        for (const auto& statement : document.at("session")) statements += statement.get<std::string>() + ";\n";
        for (const auto& statement : document.at("preamble")) statements += statement.get<std::string>() + ";\n";
        for (const auto& statement : step.at("statements")) statements += statement.get<std::string>() + ";\n";
        CHECK(sql_lines(statements) == sql_lines(text.out));
        CHECK(document.at("preamble").size() == 2);
        CHECK(document.at("session").size() == (std::string(dialect) == "sqlite" ? 0U : 1U));
    }
}

TEST_CASE("sql --database: statements about the current database name it only when given", "[sqlite]") {
    const auto unnamed = run_sql({CINDER_PLUGIN_DIR}, {"upgrade", "--dialect", "mysql"});
    require_ok(unnamed);
    CHECK(unnamed.out.find("ALTER DATABASE DEFAULT CHARACTER SET utf8;") != std::string::npos);
    // The header says so in a sentence, and who the history rows will name.
    CHECK(contains(unnamed.out,
                   "\n-- Statements about the current database do not name it: they apply to whichever "
                   "database this runs on.\n"));
    CHECK(contains(unnamed.out, "\n-- Its history rows name the database user who runs it, and the client's host.\n"));
    const auto sqlite = run_sql({CINDER_PLUGIN_DIR}, {"upgrade", "--dialect", "sqlite"});
    require_ok(sqlite);
    CHECK(std::regex_search(sqlite.out,
                            std::regex("\n-- Its history rows name [^@\\s]+@[^@\\s]+, who rendered it: SQLite has no "
                                       "user of its own\\.\n")));
    const auto named = run_sql({CINDER_PLUGIN_DIR}, {"upgrade", "--dialect", "mysql", "--database", "cinder_prod"});
    require_ok(named);
    CHECK(contains(named.out, "\n-- Statements about the current database name it as cinder_prod.\n"));
    CHECK(named.out.find("ALTER DATABASE cinder_prod DEFAULT CHARACTER SET utf8;") != std::string::npos);
    const auto json = run_sql({CINDER_PLUGIN_DIR},
                              {"upgrade", "--dialect", "mysql", "--database", "cinder_prod", "--format", "json"});
    require_ok(json);
    CHECK(parse_against_schema(json.out, "sql").at("database") == "cinder_prod");
}

TEST_CASE("sql: usage errors exit 2 naming the cause", "[sqlite]") {
    const auto usage = [](const std::vector<std::string>& arguments, const std::string& cause) {
        const auto result = run_sql({CINDER_PLUGIN_DIR}, arguments);
        INFO(result.all());
        CHECK(result.exit_code == 2);
        CHECK(result.out.empty());
        const auto errors = error_lines(result.err);
        REQUIRE(errors.size() == 1);
        CHECK(errors.front().find(cause) != std::string::npos);
    };
    usage({"sideways", "--dialect", "sqlite"}, "upgrade or downgrade first, not 'sideways'");
    usage({"upgrade", "--dialect", "oracle"}, "invalid --dialect 'oracle'");
    usage({"downgrade", "--dialect", "sqlite"}, "needs one TRACK@VERSION");
    usage({"downgrade", "cinder", "--dialect", "sqlite"}, "invalid downgrade target 'cinder'");
    usage({"upgrade", "--dialect", "sqlite", "--database", "x"}, "--database does not apply to sqlite");
    const auto both = run_host({"--dsn", "DRIVER=SQLite3;DATABASE=/nonexistent/x.sqlite", "--no-default-plugins", "--plugin-path",
                                CINDER_PLUGIN_DIR, "sql", "upgrade", "--dialect", "sqlite"});
    CHECK(both.exit_code == 2);
    CHECK(both.err.find("give --dialect or --dsn, not both") != std::string::npos);
}

TEST_CASE("sql downgrade --dialect plans from every track at its latest, which sqlite3 runs as downgrade would",
          "[sqlite]") {
    const std::vector<std::string> both_plugins{CINDER_PLUGIN_DIR, GRIZZLY_PLUGIN_DIR};
    const auto scripted = TestDatabase::create(Backend::sqlite);
    const auto downgraded = TestDatabase::create(Backend::sqlite);
    require_ok(run_on(*scripted, both_plugins, {"upgrade"}));
    require_ok(run_on(*downgraded, both_plugins, {"upgrade"}));
    const auto script = run_sql(both_plugins, {"downgrade", "cinder@5", "--dialect", "sqlite"});
    require_ok(script);
    CHECK(script.out.find("every track is assumed at its latest version") != std::string::npos);
    CHECK(script.out.find("-- Step 1 of 4: cinder 9 -> 8: 009_") != std::string::npos);
    CHECK(script.out.find("-- Step 4 of 4: cinder 6 -> 5: 006_") != std::string::npos);
    CHECK(script.out.find("CREATE TABLE migrate_version") == std::string::npos);
    const auto client = run_native_client(*scripted, script.out);
    INFO(client.all());
    REQUIRE(client.exit_code == 0);
    require_ok(run_on(*downgraded, both_plugins, {"downgrade", "cinder@5"}));
    CHECK(describe_tables(read_tables(*scripted)) == describe_tables(read_tables(*downgraded)));
    CHECK(scripted->version_of("cinder") == 5);
    const auto history = run_on(*scripted, both_plugins, {"history"});
    require_ok(history);
    CHECK(std::regex_search(history.out, std::regex(R"(cinder@6\s+downgrade\s+succeeded)")));
    // The irreversible first step is refused as downgrade refuses it.
    const auto refused = run_sql(both_plugins, {"downgrade", "cinder@0", "--dialect", "sqlite"});
    CHECK(refused.exit_code == 5);
    CHECK(refused.out.empty());
}

TEST_CASE("sql --dsn plans from the database's versions, read only, and a step that queries stops the script",
          "[sqlite]") {
    const auto database = TestDatabase::create(Backend::sqlite);
    require_ok(run_on(*database, {CINDER_PLUGIN_DIR}, {"upgrade"}));
    const std::vector<std::string> both_plugins{CINDER_PLUGIN_DIR, GRIZZLY_PLUGIN_DIR};
    const auto tables_before = table_names(*database);
    const auto history_rows = database->scalar("SELECT COUNT(*) FROM migration_host_history");

    const auto script = run_sql(both_plugins, {"upgrade"}, database->connection_string());
    INFO(script.all());
    CHECK(script.exit_code == 10);
    CHECK(script.out.find("cinder at 1 (read from the database)") != std::string::npos);
    CHECK(script.out.find("0 -> 1") == std::string::npos);
    CHECK(script.out.find("CREATE TABLE migrate_version") == std::string::npos);
    for (int version = 2; version <= 9; ++version) {
        CHECK(script.out.find(fmt::format("-- Step {} of 8: cinder {} -> {}: 00{}_", version - 1, version - 1, version,
                                          version)) != std::string::npos);
    }
    CHECK(script.out.find("-- NEEDS A LIVE CONNECTION") != std::string::npos);
    CHECK(script.out.find("-- INCOMPLETE: this script stops before cinder@4") != std::string::npos);
    const auto errors = error_lines(script.err);
    REQUIRE(errors.size() == 1);
    CHECK(errors.front().find("stops before cinder@4") != std::string::npos);
    CHECK(errors.front().find("migration-host upgrade cinder@4") != std::string::npos);

    const auto json = run_sql(both_plugins, {"upgrade", "--format", "json"}, database->connection_string());
    CHECK(json.exit_code == 10);
    const auto document = parse_against_schema(json.out, "sql");
    CHECK(document.at("from_state") == "database");
    CHECK(document.at("from") == nlohmann::json({{"cinder", 1}}));
    CHECK(document.at("complete") == false);
    CHECK(document.at("preamble").empty());
    const auto& steps = document.at("steps");
    REQUIRE(steps.size() == 8);
    CHECK(steps.at(0).at("rendered") == true);
    CHECK(steps.at(1).at("rendered") == true);
    CHECK(steps.at(2).at("name") == "004_volume_type_to_uuid");
    CHECK(steps.at(2).at("needs_connection") == true);
    CHECK(steps.at(2).at("statements").empty());
    for (std::size_t i = 3; i < steps.size(); ++i) {
        CHECK(steps.at(i).at("rendered") == false);
        CHECK(steps.at(i).at("needs_connection") == false);
        CHECK(steps.at(i).at("statements").empty());
    }

    // Nothing was written: the same tables, the same history, the same version.
    CHECK(table_names(*database) == tables_before);
    CHECK(database->scalar("SELECT COUNT(*) FROM migration_host_history") == history_rows);
    CHECK(database->version_of("cinder") == 1);

    // What it printed runs: the database reaches cinder@3, where the live upgrade takes over.
    const auto client = run_native_client(*database, script.out);
    INFO(client.all());
    REQUIRE(client.exit_code == 0);
    CHECK(database->version_of("cinder") == 3);
    require_ok(run_on(*database, both_plugins, {"upgrade"}));
    CHECK(database->version_of("cinder") == 9);
}

TEST_CASE("sql --dsn on a database without the host's tables creates nothing", "[sqlite]") {
    const auto database = TestDatabase::create(Backend::sqlite);
    database->execute("CREATE TABLE unrelated (id INTEGER)");
    const auto script = run_sql({CINDER_PLUGIN_DIR}, {"upgrade"}, database->connection_string());
    require_ok(script);
    CHECK(script.out.find("CREATE TABLE migrate_version") != std::string::npos);
    CHECK(script.out.find("CREATE TABLE migration_host_history") != std::string::npos);
    CHECK(table_names(*database) == std::vector<std::string>{"unrelated"});
    CHECK_FALSE(database->version_of("cinder"));
    CHECK(database->scalar("SELECT COUNT(*) FROM sqlite_master WHERE name IN ('migrate_version', "
                           "'migration_host_history')") == "0");
}

namespace {

const std::string hazards_plugin_dir = TEST_PLUGIN_ROOT "/script_hazards";
const std::string rebuild_plugin_dir = TEST_PLUGIN_ROOT "/rebuild_guards";

// Every row of `sql`, each column's exact bytes (or NULL), one string per row.
std::vector<std::string> rows_of(const TestDatabase& database, const std::string& sql) {
    std::vector<std::string> rows;
    for (const auto& row : database.query(sql)) {
        std::string line;
        for (const auto& column : row) {
            // Three appends, not "[" + value + "]": GCC 12 at -O3 misreports that concatenation (-Wrestrict).
            line += '[';
            line += column.value_or("NULL");
            line += ']';
        }
        rows.push_back(line);
    }
    return rows;
}

std::vector<std::string> trigger_names(const TestDatabase& database) {
    switch (database.backend()) {
        case Backend::sqlite:
            return rows_of(database, "SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name");
        case Backend::mysql:
            return rows_of(database,
                           "SELECT trigger_name FROM information_schema.triggers WHERE trigger_schema = "
                           "DATABASE() ORDER BY trigger_name");
        case Backend::postgresql:
            break;
    }
    return rows_of(database, "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY tgname");
}

// The script of `sql upgrade` for the hazards track, run by the native client, leaves exactly what `upgrade` leaves:
// values and names byte for byte (control characters, secret-shaped text), statements ending in comments, compound
// statements; and the JSON document carries the very statements the text does.
void check_hazards_script_does_what_upgrade_does(Backend backend) {
    const auto scripted = TestDatabase::create(backend);
    const auto upgraded = TestDatabase::create(backend);
    if (!scripted || !upgraded) return;
    const std::string dialect = dialect_name(backend);
    const auto script = run_sql({hazards_plugin_dir}, {"upgrade", "--dialect", dialect});
    require_ok(script);
    const auto client = run_native_client(*scripted, script.out);
    INFO("script:\n" << script.out << "\nclient:\n" << client.all());
    REQUIRE(client.exit_code == 0);
    const auto upgrade = run_on(*upgraded, {hazards_plugin_dir}, {"upgrade"});
    INFO(upgrade.all());
    REQUIRE(upgrade.exit_code == 0);

    const std::string values = "SELECT id, value, password FROM hazard_values ORDER BY id";
    CHECK(rows_of(*scripted, values) == rows_of(*upgraded, values));
    CHECK(scripted->scalar("SELECT value FROM hazard_values WHERE id = 1") == "carriage\rreturn");
    CHECK(scripted->scalar("SELECT password FROM hazard_values WHERE id = 1") == "hunter2");
    CHECK(scripted->scalar("SELECT value FROM hazard_values WHERE id = 2") == "escape \x1b[31mred\x1b[0m");
    CHECK(scripted->scalar("SELECT value FROM hazard_values WHERE id = 4") == "host=a;password=s3cret;port=1");
    CHECK(scripted->scalar("SELECT value FROM hazard_values WHERE id = 6") == "raw\rliteral\nwith PWD=x");
    CHECK(scripted->scalar("SELECT value FROM hazard_values WHERE id = 7") == "crlf\r\nline end");
    CHECK(scripted->scalar("SELECT value FROM hazard_values WHERE id = 10") == "FIRED");
    CHECK(rows_of(*scripted, "SELECT x FROM cmt ORDER BY x") == std::vector<std::string>{"[1]", "[2]"});
    const auto tables = table_names(*scripted);
    CHECK(std::find(tables.begin(), tables.end(), "esc\x1bname") != tables.end());
    CHECK(describe_tables(read_tables(*scripted)) == describe_tables(read_tables(*upgraded)));
    CHECK(trigger_names(*scripted) == trigger_names(*upgraded));
    CHECK(version_rows(*scripted) == version_rows(*upgraded));
    CHECK(scripted->version_of("hazards") == 4);
    require_ok(run_on(*scripted, {hazards_plugin_dir}, {"validate"}));

    // The JSON document's statements are the text's, byte for byte.
    const auto json = run_sql({hazards_plugin_dir}, {"upgrade", "--dialect", dialect, "--format", "json"});
    require_ok(json);
    const auto document = parse_against_schema(json.out, "sql");
    std::size_t statements = 0;
    for (const auto& step : document.at("steps")) {
        for (const auto& statement : step.at("statements")) {
            ++statements;
            INFO(statement.get<std::string>());
            CHECK(script.out.find(statement.get<std::string>()) != std::string::npos);
        }
    }
    CHECK(statements > 10);
}

}  // namespace

TEST_CASE(
    "sqlite: sql: sqlite3 runs statements with control characters, secrets, trailing comments and triggers "
    "as upgrade does",
    "[sqlite]") {
    check_hazards_script_does_what_upgrade_does(Backend::sqlite);
}

TEST_CASE(
    "mysql: sql: mariadb runs statements with control characters, secrets, trailing comments and triggers "
    "as upgrade does",
    "[mysql]") {
    check_hazards_script_does_what_upgrade_does(Backend::mysql);
}

TEST_CASE(
    "postgresql: sql: psql runs statements with control characters, secrets, trailing comments and functions "
    "as upgrade does",
    "[postgresql]") {
    check_hazards_script_does_what_upgrade_does(Backend::postgresql);
}

namespace {

// Text that is not UTF-8 fails the step live on MySQL and PostgreSQL: the script is refused as that step's failure,
// naming the step and the statement, rather than written for a client that would store something else.
void check_invalid_utf8_is_refused(Backend backend) {
    for (const std::string hazard : {"invalid_utf8_value", "invalid_utf8_statement"}) {
        INFO(hazard);
        const auto database = TestDatabase::create(backend);
        if (!database) return;
        const std::map<std::string, std::string> environment{{"MIGRATION_HOST_TEST_HAZARD", hazard}};
        const auto live = run_on(*database, {hazards_plugin_dir}, {"upgrade"}, environment);
        INFO(live.all());
        CHECK(live.exit_code == 1);
        CHECK(database->version_of("hazards") == 3);
        const auto script =
            run_sql({hazards_plugin_dir}, {"upgrade", "--dialect", dialect_name(backend)}, std::nullopt, environment);
        INFO(script.all());
        CHECK(script.exit_code == 1);
        CHECK(script.out.empty());
        const auto errors = error_lines(script.err);
        REQUIRE(errors.size() == 1);
        CHECK(errors.front().find("hazards@4 (004_maybe_awkward_row)") != std::string::npos);
        CHECK(errors.front().find("statement 1 ") != std::string::npos);
        CHECK(errors.front().find("not valid UTF-8") != std::string::npos);
    }
}

}  // namespace

TEST_CASE("mysql: sql refuses a step whose text is not valid UTF-8, which fails live", "[mysql]") {
    check_invalid_utf8_is_refused(Backend::mysql);
}

TEST_CASE("postgresql: sql refuses a step whose text is not valid UTF-8, which fails live", "[postgresql]") {
    check_invalid_utf8_is_refused(Backend::postgresql);
}

TEST_CASE("sqlite: sql: a value that is not valid UTF-8 reaches the database as upgrade stores it, in text and JSON",
          "[sqlite]") {
    const std::map<std::string, std::string> environment{{"MIGRATION_HOST_TEST_HAZARD", "invalid_utf8_value"}};
    const auto scripted = TestDatabase::create(Backend::sqlite);
    const auto upgraded = TestDatabase::create(Backend::sqlite);
    require_ok(run_on(*upgraded, {hazards_plugin_dir}, {"upgrade"}, environment));
    const auto script = run_sql({hazards_plugin_dir}, {"upgrade", "--dialect", "sqlite"}, std::nullopt, environment);
    require_ok(script);
    const auto client = run_native_client(*scripted, script.out);
    INFO(client.all());
    REQUIRE(client.exit_code == 0);
    const std::string value = "SELECT value, typeof(value) FROM hazard_values WHERE id = 20";
    // Step 3's trigger upper-cases it (ASCII only, on SQLite).
    CHECK(rows_of(*upgraded, value) == std::vector<std::string>{"[CAF\xe9][text]"});
    CHECK(rows_of(*scripted, value) == rows_of(*upgraded, value));
    const auto json = run_sql({hazards_plugin_dir}, {"upgrade", "--dialect", "sqlite", "--format", "json"},
                              std::nullopt, environment);
    require_ok(json);
    const auto document = parse_against_schema(json.out, "sql");
    const auto& last_step = document.at("steps").back().at("statements");
    CHECK(std::any_of(last_step.begin(), last_step.end(), [&](const nlohmann::json& statement) {
        return statement.get<std::string>().find("INSERT INTO hazard_values") != std::string::npos &&
               script.out.find(statement.get<std::string>()) != std::string::npos;
    }));
}

TEST_CASE("sql: a step that fails offline without querying is the step's failure, exit 1, not a live-only step",
          "[sqlite]") {
    const std::string failing_dir = TEST_PLUGIN_ROOT "/failing_step";
    for (const char* dialect : {"sqlite", "mysql", "postgresql"}) {
        INFO(dialect);
        const auto script = run_sql({CINDER_PLUGIN_DIR, failing_dir}, {"upgrade", "--dialect", dialect}, std::nullopt,
                                    {{"MIGRATION_HOST_TEST_FAILURE", "escape"}});
        INFO(script.all());
        CHECK(script.exit_code == 1);
        CHECK(script.out.empty());
        const auto errors = error_lines(script.err);
        REQUIRE(errors.size() == 1);
        CHECK(errors.front().find("cinder@2 (002_failing)") != std::string::npos);
        CHECK(errors.front().find("escape follows") != std::string::npos);
        CHECK(errors.front().find("live connection") == std::string::npos);
        CHECK(errors.front().find("run it on the database") == std::string::npos);
    }
    // As the live run reports it.
    const auto database = TestDatabase::create(Backend::sqlite);
    const auto live =
        run_on(*database, {CINDER_PLUGIN_DIR, failing_dir}, {"upgrade"}, {{"MIGRATION_HOST_TEST_FAILURE", "escape"}});
    CHECK(live.exit_code == 1);
}

namespace {

// volumes (id, name VARCHAR(40)) with 120 rows, as the rebuild step describes it, then `more` statements.
void make_volumes(const TestDatabase& database, const std::vector<std::string>& more) {
    database.execute("CREATE TABLE volumes (id INTEGER NOT NULL, name VARCHAR(40), PRIMARY KEY (id))");
    database.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 120) "
        "INSERT INTO volumes (id, name) SELECT i, 'volume ' || i FROM n");
    for (const auto& statement : more) database.execute(statement);
}

const std::string attachments_cascade =
    "CREATE TABLE attachments (id INTEGER NOT NULL, volume_id INTEGER REFERENCES volumes (id) ON DELETE CASCADE, "
    "PRIMARY KEY (id))";
const std::string attachments_plain =
    "CREATE TABLE attachments (id INTEGER NOT NULL, volume_id INTEGER REFERENCES volumes (id), PRIMARY KEY (id))";
const std::string attach_every_volume = "INSERT INTO attachments (id, volume_id) SELECT id, id FROM volumes";

struct RebuildCase {
    std::string name;
    std::vector<std::string> setup;
    bool foreign_keys = false;  // enforced: FKSupport=1 live, PRAGMA foreign_keys = ON before the script
    std::string refusal;        // what both say when they refuse; empty: both rebuild
};

// The same database state rebuilt by `upgrade` and by sqlite3 running the script: the same refusals, the same rows.
void check_rebuild_as_upgrade(const RebuildCase& scenario) {
    INFO(scenario.name);
    const auto scripted = TestDatabase::create(Backend::sqlite);
    const auto upgraded = TestDatabase::create(Backend::sqlite);
    make_volumes(*scripted, scenario.setup);
    make_volumes(*upgraded, scenario.setup);
    const auto script = run_sql({rebuild_plugin_dir}, {"upgrade", "rebuild", "--dialect", "sqlite"});
    require_ok(script);
    const auto client = run_native_client(
        *scripted, (scenario.foreign_keys ? "PRAGMA foreign_keys = ON;\n" : std::string()) + script.out);
    const auto live =
        run_host(host_run_on(upgraded->connection_string() + (scenario.foreign_keys ? ";FKSupport=1" : ""),
                             {rebuild_plugin_dir}, {"upgrade", "rebuild"}));
    INFO("script:\n" << script.out << "\nclient:\n" << client.all() << "\nupgrade:\n" << live.all());
    if (scenario.refusal.empty()) {
        CHECK(live.exit_code == 0);
        CHECK(client.exit_code == 0);
    } else {
        CHECK(live.exit_code == 1);
        CHECK(live.err.find(scenario.refusal) != std::string::npos);
        CHECK(client.exit_code != 0);
        CHECK(client.err.find(scenario.refusal) != std::string::npos);
    }
    CHECK(scripted->version_of("rebuild") == upgraded->version_of("rebuild"));
    CHECK(scripted->version_of("rebuild") == (scenario.refusal.empty() ? 2 : 1));
    CHECK(describe_tables(read_tables(*scripted)) == describe_tables(read_tables(*upgraded)));
    CHECK(trigger_names(*scripted) == trigger_names(*upgraded));
    const std::string all_rows = "SELECT COUNT(*) FROM volumes";
    CHECK(scripted->scalar(all_rows) == "120");
    CHECK(upgraded->scalar(all_rows) == "120");
    const auto attachments = table_names(*scripted);
    if (std::find(attachments.begin(), attachments.end(), "attachments") != attachments.end()) {
        CHECK(scripted->scalar("SELECT COUNT(*) FROM attachments") == "120");
        CHECK(upgraded->scalar("SELECT COUNT(*) FROM attachments") == "120");
    }
}

}  // namespace

TEST_CASE("sqlite: sql: the script's table rebuild carries the run's guards, so sqlite3 refuses what upgrade refuses",
          "[sqlite]") {
    check_rebuild_as_upgrade({"a trigger on the table",
                              {"CREATE TRIGGER volumes_touch AFTER UPDATE ON volumes BEGIN "
                               "SELECT 1; END"},
                              false,
                              "which the rebuild would drop"});
    check_rebuild_as_upgrade({"a column the step does not describe",
                              {"ALTER TABLE volumes ADD COLUMN size INTEGER"},
                              false,
                              "the step describes columns (id,name)"});
    check_rebuild_as_upgrade({"an ON DELETE CASCADE child, foreign keys enforced",
                              {attachments_cascade, attach_every_volume},
                              true,
                              "refers to it with an ON DELETE action"});
    check_rebuild_as_upgrade(
        {"an ON DELETE CASCADE child, foreign keys off", {attachments_cascade, attach_every_volume}, false, ""});
    check_rebuild_as_upgrade(
        {"a child without an action, foreign keys enforced", {attachments_plain, attach_every_volume}, true, ""});
    check_rebuild_as_upgrade({"nothing in the way", {}, false, ""});
}

TEST_CASE("sql: a SQLite rebuild without guards (a plugin built with an older SDK) stops the script, to run live",
          "[sqlite]") {
    const auto script = run_sql({rebuild_plugin_dir}, {"upgrade", "unguarded", "--dialect", "sqlite"});
    INFO(script.all());
    CHECK(script.exit_code == 10);
    CHECK(script.out.find("DROP TABLE volumes") == std::string::npos);
    const auto errors = error_lines(script.err);
    REQUIRE(errors.size() == 1);
    CHECK(errors.front().find("unguarded@1") != std::string::npos);
    CHECK(errors.front().find("without the guards") != std::string::npos);
    // Elsewhere there is no rebuild to guard.
    require_ok(run_sql({rebuild_plugin_dir}, {"upgrade", "unguarded", "--dialect", "mysql"}));
}

TEST_CASE(
    "sql: a CR LF line end inside a literal of a step's own SQL stops the script where sqlite3 and mariadb "
    "would drop the CR, while psql keeps it",
    "[sqlite]") {
    const std::map<std::string, std::string> environment{{"MIGRATION_HOST_TEST_HAZARD", "crlf_statement"}};
    for (const char* dialect : {"sqlite", "mysql"}) {
        INFO(dialect);
        const auto script = run_sql({hazards_plugin_dir}, {"upgrade", "--dialect", dialect}, std::nullopt, environment);
        INFO(script.all());
        CHECK(script.exit_code == 10);
        CHECK(script.out.find("two\r\nlines") == std::string::npos);
        const auto errors = error_lines(script.err);
        REQUIRE(errors.size() == 1);
        CHECK(errors.front().find("hazards@4") != std::string::npos);
        CHECK(errors.front().find("carriage return") != std::string::npos);
    }
    const auto script =
        run_sql({hazards_plugin_dir}, {"upgrade", "--dialect", "postgresql"}, std::nullopt, environment);
    require_ok(script);
    CHECK(script.out.find("VALUES (20, 'two\r\nlines');") != std::string::npos);
}

TEST_CASE("sql: a SQLite statement not valid UTF-8 is written as it is, and JSON (which cannot hold it) refuses",
          "[sqlite]") {
    const std::map<std::string, std::string> environment{{"MIGRATION_HOST_TEST_HAZARD", "invalid_utf8_statement"}};
    const auto text = run_sql({hazards_plugin_dir}, {"upgrade", "--dialect", "sqlite"}, std::nullopt, environment);
    require_ok(text);
    CHECK(text.out.find("VALUES (20, 'caf\xe9');") != std::string::npos);
    const auto json = run_sql({hazards_plugin_dir}, {"upgrade", "--dialect", "sqlite", "--format", "json"},
                              std::nullopt, environment);
    INFO(json.all());
    CHECK(json.exit_code == 2);
    CHECK(json.out.empty());
    const auto errors = error_lines(json.err);
    REQUIRE(errors.size() == 1);
    CHECK(errors.front().find("cannot be printed as JSON: hazards@4 (004_maybe_awkward_row)") != std::string::npos);
}
