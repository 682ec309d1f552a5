// What a named scratch (--scratch-dsn) holds besides verify's marker, and emptying it again after a verify.
// SPDX-License-Identifier: Apache-2.0
#include "engine/named_scratch.hpp"

#include <fmt/format.h>

#include <functional>

#include "engine/scratch_sql.hpp"

namespace migration_host::named_scratch {
namespace {

using scratch_sql::marker_table;
using scratch_sql::quoted_mysql;
using scratch_sql::quoted_postgresql;

// Runs `statements` one by one, each allowed to fail (an object a CASCADE already took); the first failure is
// returned for the caller to report.
std::optional<std::string> run_all(const odbc::Connection& connection, const std::vector<std::string>& statements) {
    std::optional<std::string> first_failure;
    for (const auto& statement : statements) {
        const auto result = connection.try_execute(statement);
        if (const auto* error = std::get_if<odbc::Diagnostic>(&result); error && !first_failure) {
            first_failure = fmt::format("{}: {}", statement, error->to_string());
        }
    }
    return first_failure;
}

}  // namespace

// Everything in a named scratch that verify would build over or remove (its own marker aside): what makes it not
// empty. "schema.name" on PostgreSQL.
std::vector<std::string> named_contents(const odbc::Connection& connection, const Dialect& dialect,
                                        const std::string& database_name) {
    std::vector<std::string> contents;
    const auto collect = [&](const std::string& sql, const std::vector<odbc::Parameter>& parameters) {
        for (const auto& row : connection.query(sql, parameters)) contents.push_back(row.at(0).value_or(""));
    };
    if (dialect == schema::Dialect::mysql) {
        collect("SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_name <> ?",
                {database_name, std::string(marker_table)});
        collect("SELECT routine_name FROM information_schema.routines WHERE routine_schema = ?", {database_name});
        collect("SELECT event_name FROM information_schema.events WHERE event_schema = ?", {database_name});
        return contents;
    }
    // Relations, types and routines in schemas that are not the system's, other than members of an extension (one
    // an administrator installed for the steps to use is no content of verify's).
    collect(
        "SELECT n.nspname || '.' || c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON "
        "n.oid = c.relnamespace WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' AND c.relkind IN "
        "('r', 'p', 'v', 'm', 'S', 'f') AND c.relname <> ? AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d "
        "WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e') ORDER BY 1",
        {std::string(marker_table)});
    collect(
        "SELECT n.nspname || '.' || t.typname FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON "
        "n.oid = t.typnamespace WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' AND t.typtype IN "
        "('c', 'd', 'e', 'r') AND (t.typtype <> 'c' OR (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = "
        "t.typrelid) = 'c') AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = "
        "'pg_catalog.pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e') ORDER BY 1",
        {});
    collect(
        "SELECT p.oid::pg_catalog.regprocedure::text FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON "
        "n.oid = p.pronamespace WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' AND NOT EXISTS "
        "(SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = "
        "p.oid AND d.deptype = 'e') ORDER BY 1",
        {});
    return contents;
}

// PostgreSQL: what a named scratch has before verify builds in it, and keeps: "schema:NAME", "extension:NAME".
std::vector<std::string> kept_by_named(const odbc::Connection& connection) {
    std::vector<std::string> kept;
    for (const auto& row : connection.query("SELECT 'schema:' || nspname FROM pg_catalog.pg_namespace WHERE nspname "
                                            "!~ '^pg_' AND nspname <> 'information_schema'")) {
        kept.push_back(row.at(0).value_or(""));
    }
    for (const auto& row : connection.query("SELECT 'extension:' || extname FROM pg_catalog.pg_extension")) {
        kept.push_back(row.at(0).value_or(""));
    }
    return kept;
}

// Removes everything verify built in a named scratch, its marker last: a MySQL database's tables, views, routines
// and events; on PostgreSQL the extensions and schemas not in `kept`, then the relations, routines and types left in
// the kept schemas (members of an extension aside). Returns the first statement that failed, if any.
std::optional<std::string> empty_named(const odbc::Connection& connection, const Dialect& dialect,
                                       const std::string& database_name, const std::vector<std::string>& kept) {
    std::vector<std::string> statements;
    const auto add_each = [&](const std::string& sql, const std::vector<odbc::Parameter>& parameters,
                              const std::function<std::string(const odbc::Row&)>& statement) {
        for (const auto& row : connection.query(sql, parameters)) statements.push_back(statement(row));
    };
    const auto at = [](const odbc::Row& row, std::size_t column) { return row.at(column).value_or(""); };
    if (dialect == schema::Dialect::mysql) {
        const std::string database = quoted_mysql(database_name);
        statements.emplace_back("SET FOREIGN_KEY_CHECKS = 0");
        add_each(
            "SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = ? AND "
            "table_name <> ?",
            {database_name, std::string(marker_table)}, [&](const odbc::Row& row) {
                return fmt::format("DROP {} IF EXISTS {}.{}", at(row, 1) == "VIEW" ? "VIEW" : "TABLE", database,
                                   quoted_mysql(at(row, 0)));
            });
        add_each("SELECT routine_name, routine_type FROM information_schema.routines WHERE routine_schema = ?",
                 {database_name}, [&](const odbc::Row& row) {
                     return fmt::format("DROP {} IF EXISTS {}.{}", at(row, 1) == "PROCEDURE" ? "PROCEDURE" : "FUNCTION",
                                        database, quoted_mysql(at(row, 0)));
                 });
        add_each("SELECT event_name FROM information_schema.events WHERE event_schema = ?", {database_name},
                 [&](const odbc::Row& row) {
                     return fmt::format("DROP EVENT IF EXISTS {}.{}", database, quoted_mysql(at(row, 0)));
                 });
        statements.push_back(fmt::format("DROP TABLE IF EXISTS {}.{}", database, quoted_mysql(marker_table)));
        statements.emplace_back("SET FOREIGN_KEY_CHECKS = 1");
        return run_all(connection, statements);
    }
    const auto is_kept = [&](const std::string& kind, const std::string& name) {
        return std::find(kept.begin(), kept.end(), kind + ":" + name) != kept.end();
    };
    for (const auto& row : connection.query("SELECT extname FROM pg_catalog.pg_extension")) {
        if (!is_kept("extension", at(row, 0))) {
            statements.push_back(fmt::format("DROP EXTENSION IF EXISTS {} CASCADE", quoted_postgresql(at(row, 0))));
        }
    }
    for (const auto& row : connection.query("SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname !~ '^pg_' AND "
                                            "nspname <> 'information_schema'")) {
        if (!is_kept("schema", at(row, 0))) {
            statements.push_back(fmt::format("DROP SCHEMA IF EXISTS {} CASCADE", quoted_postgresql(at(row, 0))));
        }
    }
    if (const auto failure = run_all(connection, statements)) return failure;
    statements.clear();
    const std::string not_extension_member =
        "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.{}'::regclass AND d.objid = "
        "{}.oid AND d.deptype = 'e')";
    const std::string in_user_schema = "n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'";
    add_each(
        fmt::format("SELECT n.nspname, c.relname, c.relkind FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace "
                    "n ON n.oid = c.relnamespace WHERE {} AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND "
                    "c.relname <> ? AND {}",
                    in_user_schema, fmt::format(fmt::runtime(not_extension_member), "pg_class", "c")),
        {std::string(marker_table)}, [&](const odbc::Row& row) {
            const std::string name = quoted_postgresql(at(row, 0)) + "." + quoted_postgresql(at(row, 1));
            const std::string kind = at(row, 2);
            const char* what = kind == "v"   ? "VIEW"
                               : kind == "m" ? "MATERIALIZED VIEW"
                               : kind == "S" ? "SEQUENCE"
                               : kind == "f" ? "FOREIGN TABLE"
                                             : "TABLE";
            return fmt::format("DROP {} IF EXISTS {} CASCADE", what, name);
        });
    add_each(fmt::format("SELECT p.oid::pg_catalog.regprocedure::text, p.prokind FROM pg_catalog.pg_proc p JOIN "
                         "pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE {} AND {}",
                         in_user_schema, fmt::format(fmt::runtime(not_extension_member), "pg_proc", "p")),
             {}, [&](const odbc::Row& row) {
                 return fmt::format("DROP {} IF EXISTS {} CASCADE", at(row, 1) == "a" ? "AGGREGATE" : "ROUTINE",
                                    at(row, 0));
             });
    add_each(
        fmt::format("SELECT n.nspname, t.typname, t.typtype FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace "
                    "n ON n.oid = t.typnamespace WHERE {} AND t.typtype IN ('c', 'd', 'e', 'r') AND (t.typtype "
                    "<> 'c' OR (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid) = 'c') AND {}",
                    in_user_schema, fmt::format(fmt::runtime(not_extension_member), "pg_type", "t")),
        {}, [&](const odbc::Row& row) {
            return fmt::format("DROP {} IF EXISTS {}.{} CASCADE", at(row, 2) == "d" ? "DOMAIN" : "TYPE",
                               quoted_postgresql(at(row, 0)), quoted_postgresql(at(row, 1)));
        });
    add_each(fmt::format("SELECT n.nspname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = "
                         "c.relnamespace WHERE {} AND c.relname = ? AND c.relkind = 'r'",
                         in_user_schema),
             {std::string(marker_table)}, [&](const odbc::Row& row) {
                 return fmt::format("DROP TABLE IF EXISTS {}.{}", quoted_postgresql(at(row, 0)),
                                    quoted_postgresql(marker_table));
             });
    return run_all(connection, statements);
}

}  // namespace migration_host::named_scratch
