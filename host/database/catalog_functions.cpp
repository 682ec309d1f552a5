// Reads catalog rows through the ODBC catalog functions, one call per relation and kind: SQLite's reader.
// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <stdexcept>

#include "database/catalog_rows.hpp"

namespace migration_host::catalog {
namespace {

// Where the catalog functions look: MySQL names a database as the catalog, PostgreSQL a schema; SQLite has neither.
struct Scope {
    std::optional<std::string> catalog;
    std::optional<std::string> schema;
};

Scope scope_of(const odbc::Connection& connection, const DatabaseInfo& database) {
    Scope scope;
    if (database.dialect == schema::Dialect::mysql) scope.catalog = database.database_name;
    if (database.dialect == schema::Dialect::postgresql) {
        // psqlODBC's catalog calls search every schema when given none: the scope is the one the connection's
        // statements create their tables in.
        const auto rows = connection.query("SELECT current_schema()");
        if (!rows.empty() && rows.front().at(0)) scope.schema = *rows.front().at(0);
    }
    return scope;
}

// ODBC's C API takes non-const pointers for input strings it never writes; a missing argument is a null pointer.
SQLCHAR* argument(const std::optional<std::string>& text) {
    return text ? reinterpret_cast<SQLCHAR*>(const_cast<char*>(text->c_str())) : nullptr;
}
SQLSMALLINT argument_length(const std::optional<std::string>& text) {
    return text ? static_cast<SQLSMALLINT>(SQL_NTS) : static_cast<SQLSMALLINT>(0);
}

// A catalog row as the driver gave it, for trace logs: what canonicalisation starts from.
std::string describe_row(const odbc::Row& row) {
    std::string text;
    for (std::size_t column = 0; column < row.size(); ++column) {
        if (column > 0) text += '|';
        text += row[column].value_or("NULL");
    }
    return text;
}

// The catalog functions' table arguments are search patterns for some calls ('_' matches any character): every
// result is kept only for the exact relation asked about.
bool names(const odbc::Row& row, std::size_t column, const std::string& relation) {
    return text_at(row, column) == relation;
}

std::vector<ColumnRow> read_columns(const odbc::Connection& connection, const Scope& scope,
                                    const std::string& relation) {
    const std::optional<std::string> name = relation;
    const auto rows = connection.catalog(fmt::format("SQLColumns for {}", relation), [&](SQLHSTMT statement) {
        return SQLColumns(statement, argument(scope.catalog), argument_length(scope.catalog), argument(scope.schema),
                          argument_length(scope.schema), argument(name), argument_length(name), nullptr, 0);
    });
    std::vector<ColumnRow> columns;
    for (const auto& row : rows) {
        if (!names(row, 2, relation)) continue;
        spdlog::trace("SQLColumns {}: {}", relation, describe_row(row));
        ColumnRow column;
        column.name = text_at(row, 3);
        column.type_name = text_at(row, 5);
        column.column_size = number_at(row, 6);
        column.decimal_digits = number_at(row, 8);
        // NULLABLE is SQL_NO_NULLS, SQL_NULLABLE or SQL_NULLABLE_UNKNOWN; IS_NULLABLE says it in words.
        const auto nullable = number_at(row, 10);
        column.nullable = nullable ? *nullable != SQL_NO_NULLS : text_at(row, 17) != "NO";
        column.default_value = row.size() > 12 ? row[12] : std::nullopt;
        column.position = number_at(row, 16).value_or(static_cast<std::int64_t>(columns.size() + 1));
        columns.push_back(std::move(column));
    }
    return columns;
}

std::vector<KeyColumnRow> read_primary_key(const odbc::Connection& connection, const Scope& scope,
                                           const std::string& table) {
    const std::optional<std::string> name = table;
    const auto rows = connection.catalog(fmt::format("SQLPrimaryKeys for {}", table), [&](SQLHSTMT statement) {
        return SQLPrimaryKeys(statement, argument(scope.catalog), argument_length(scope.catalog),
                              argument(scope.schema), argument_length(scope.schema), argument(name),
                              argument_length(name));
    });
    std::vector<KeyColumnRow> key;
    for (const auto& row : rows) {
        if (!names(row, 2, table)) continue;
        spdlog::trace("SQLPrimaryKeys {}: {}", table, describe_row(row));
        key.push_back({text_at(row, 5), number_at(row, 4).value_or(0), text_at(row, 3)});
    }
    return key;
}

// The table's own keys, wherever they point: the referencing side is the one scoped.
std::vector<ForeignKeyRow> read_foreign_keys(const odbc::Connection& connection, const Scope& scope,
                                             const std::string& table) {
    const std::optional<std::string> name = table;
    const auto rows = connection.catalog(fmt::format("SQLForeignKeys for {}", table), [&](SQLHSTMT statement) {
        return SQLForeignKeys(statement, nullptr, 0, nullptr, 0, nullptr, 0, argument(scope.catalog),
                              argument_length(scope.catalog), argument(scope.schema), argument_length(scope.schema),
                              argument(name), argument_length(name));
    });
    std::vector<ForeignKeyRow> keys;
    for (const auto& row : rows) {
        if (!names(row, 6, table)) continue;
        keys.push_back(
            {{text_at(row, 11), number_at(row, 8).value_or(1), text_at(row, 7)}, text_at(row, 2), text_at(row, 3)});
    }
    return keys;
}

std::vector<IndexRow> read_indexes(const odbc::Connection& connection, const Scope& scope, const std::string& table) {
    const std::optional<std::string> name = table;
    const auto rows = connection.catalog(fmt::format("SQLStatistics for {}", table), [&](SQLHSTMT statement) {
        return SQLStatistics(statement, argument(scope.catalog), argument_length(scope.catalog), argument(scope.schema),
                             argument_length(scope.schema), argument(name), argument_length(name), SQL_INDEX_ALL,
                             SQL_QUICK);
    });
    std::vector<IndexRow> indexes;
    for (const auto& row : rows) {
        if (!names(row, 2, table)) continue;
        spdlog::trace("SQLStatistics {}: {}", table, describe_row(row));
        // The table's own statistics row (TYPE SQL_TABLE_STAT) names no index.
        if (number_at(row, 6).value_or(SQL_TABLE_STAT) == SQL_TABLE_STAT || text_at(row, 5).empty()) continue;
        indexes.push_back(
            {{text_at(row, 5), number_at(row, 7).value_or(0), text_at(row, 8)}, number_at(row, 3).value_or(1) == 0});
    }
    return indexes;
}

// What the ODBC catalog functions do not tell (or MariaDB's gets wrong): the table's engine and character set, which
// columns are AUTO_INCREMENT and which are NOT NULL, from information_schema.
void read_mysql_details(const odbc::Connection& connection, RelationRows& relation) {
    const auto options = connection.query(
        "SELECT t.engine, t.table_collation, c.character_set_name FROM information_schema.tables t "
        "LEFT JOIN information_schema.collations c ON c.collation_name = t.table_collation "
        "WHERE t.table_schema = DATABASE() AND t.table_name = ?",
        {relation.name});
    if (!options.empty() && !relation.view) {
        relation.engine = text_at(options.front(), 0);
        relation.collation = text_at(options.front(), 1);
        relation.charset = text_at(options.front(), 2);
    }
    // MariaDB's driver reports an AUTO_INCREMENT column as nullable (inserting NULL there takes the next value);
    // information_schema says what the column is declared.
    std::set<std::string> auto_increment;
    std::set<std::string> not_null;
    for (const auto& row : connection.query("SELECT column_name, LOWER(extra) LIKE '%auto_increment%', is_nullable "
                                            "FROM information_schema.columns WHERE table_schema = DATABASE() AND "
                                            "table_name = ?",
                                            {relation.name})) {
        if (text_at(row, 1) == "1") auto_increment.insert(text_at(row, 0));
        if (text_at(row, 2) == "NO") not_null.insert(text_at(row, 0));
    }
    for (auto& column : relation.columns) {
        column.auto_increment = auto_increment.count(column.name) > 0;
        column.nullable = not_null.count(column.name) == 0;
    }
}

// A SERIAL is an integer column whose default draws from a sequence the column owns; an identity column has its
// sequence built in: both are PostgreSQL's auto-increment.
void read_postgresql_details(const odbc::Connection& connection, RelationRows& relation) {
    std::set<std::string> generated;
    for (const auto& row : connection.query(
             "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND "
             "table_name = ? AND (is_identity = 'YES' OR column_default LIKE 'nextval(%')",
             {relation.name})) {
        generated.insert(text_at(row, 0));
    }
    for (auto& column : relation.columns) column.auto_increment = generated.count(column.name) > 0;
}

// SQLite's rowid tables: all but those declared WITHOUT ROWID, which its catalog functions do not tell.
std::set<std::string> sqlite_rowid_tables(const odbc::Connection& connection) {
    std::set<std::string> tables;
    for (const auto& row : connection.query("SELECT name, sql FROM sqlite_master WHERE type = 'table'")) {
        std::string sql = text_at(row, 1);
        std::transform(sql.begin(), sql.end(), sql.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (sql.find("without rowid") == std::string::npos) tables.insert(text_at(row, 0));
    }
    return tables;
}

}  // namespace

Relations list_relations_with_functions(const odbc::Connection& connection, const DatabaseInfo& database) {
    const Scope scope = scope_of(connection, database);
    const std::optional<std::string> all = std::string("%");
    const auto rows = connection.catalog("SQLTables", [&](SQLHSTMT statement) {
        return SQLTables(statement, argument(scope.catalog), argument_length(scope.catalog), argument(scope.schema),
                         argument_length(scope.schema), argument(all), argument_length(all), nullptr, 0);
    });
    Relations relations;
    for (const auto& row : rows) {
        // A driver that takes the scope as a pattern may return neighbours of it.
        if (scope.schema && text_at(row, 1) != *scope.schema) continue;
        if (scope.catalog && text_at(row, 0) != *scope.catalog) continue;
        const std::string type = text_at(row, 3);
        if (type == "TABLE") relations.tables.push_back(text_at(row, 2));
        // psqlODBC calls a materialized view MATVIEW.
        if (type == "VIEW" || type == "MATVIEW") relations.views.push_back(text_at(row, 2));
    }
    for (auto* names : {&relations.tables, &relations.views}) {
        std::sort(names->begin(), names->end());
        names->erase(std::unique(names->begin(), names->end()), names->end());
    }
    return relations;
}

std::vector<RelationRows> read_with_functions(const odbc::Connection& connection, const DatabaseInfo& database,
                                              const Relations& wanted) {
    const Scope scope = scope_of(connection, database);
    std::set<std::string> rowid_tables;
    if (database.dialect == schema::Dialect::sqlite) rowid_tables = sqlite_rowid_tables(connection);
    std::vector<RelationRows> relations;
    for (const auto* names : {&wanted.tables, &wanted.views}) {
        for (const auto& name : *names) {
            RelationRows relation;
            relation.name = name;
            relation.view = names == &wanted.views;
            relation.columns = read_columns(connection, scope, name);
            if (!relation.view) {
                relation.primary_key = read_primary_key(connection, scope, name);
                relation.foreign_keys = read_foreign_keys(connection, scope, name);
                relation.indexes = read_indexes(connection, scope, name);
                relation.rowid = rowid_tables.count(name) > 0;
            }
            if (database.dialect == schema::Dialect::mysql) read_mysql_details(connection, relation);
            if (database.dialect == schema::Dialect::postgresql) read_postgresql_details(connection, relation);
            relations.push_back(std::move(relation));
        }
    }
    return relations;
}

}  // namespace migration_host::catalog
