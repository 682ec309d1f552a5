// What a database's catalog says about its tables and views, row by row, before schema_catalog makes it canonical.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "database/database.hpp"
#include "database/odbc.hpp"
#include "database/schema_catalog.hpp"

namespace migration_host::catalog {

// A catalog row's column as text ("" for NULL or a column the row lacks), and as a number (nullopt for none).
inline std::string text_at(const odbc::Row& row, std::size_t column) {
    return column < row.size() && row[column] ? *row[column] : std::string();
}

inline std::optional<std::int64_t> number_at(const odbc::Row& row, std::size_t column) {
    const std::string text = text_at(row, column);
    if (text.empty()) return std::nullopt;
    try {
        return std::stoll(text);
    } catch (const std::logic_error&) {
        return std::nullopt;
    }
}

// One column, as SQLColumns reports it (the two readers below report the same values).
struct ColumnRow {
    std::string name;
    std::string type_name;  // TYPE_NAME: "varchar", SQLite's declared "VARCHAR(255)", MySQL's "int unsigned"
    std::optional<std::int64_t> column_size;
    std::optional<std::int64_t> decimal_digits;
    bool nullable = true;
    std::optional<std::string> default_value;  // COLUMN_DEF as reported
    std::int64_t position = 0;                 // ORDINAL_POSITION
    bool auto_increment = false;               // MySQL's AUTO_INCREMENT, PostgreSQL's sequence or identity
};

// One column of a key or index at its place in it (KEY_SEQ, ORDINAL_POSITION: from 1).
struct KeyColumnRow {
    std::string key;  // the constraint's or index's name ("" where the database gives none)
    std::int64_t sequence = 0;
    std::string column;
};

struct ForeignKeyRow {
    KeyColumnRow column;
    std::string referenced_table;
    std::string referenced_column;
};

struct IndexRow {
    KeyColumnRow column;
    bool unique = false;
};

struct RelationRows {
    std::string name;
    bool view = false;
    std::vector<ColumnRow> columns;
    std::vector<KeyColumnRow> primary_key;
    std::vector<ForeignKeyRow> foreign_keys;  // in the order the catalog gives them
    std::vector<IndexRow> indexes;            // every index, the primary key's included
    std::string engine;                       // MySQL only
    std::string collation;                    // MySQL only
    std::string charset;                      // MySQL only
    bool rowid = false;                       // SQLite only: a rowid table (not WITHOUT ROWID)
};

// Through the ODBC catalog functions, one call per relation and kind (SQLTables, SQLColumns, SQLPrimaryKeys,
// SQLForeignKeys, SQLStatistics), plus information_schema for what they do not say on MySQL and PostgreSQL.
Relations list_relations_with_functions(const odbc::Connection& connection, const DatabaseInfo& database);
std::vector<RelationRows> read_with_functions(const odbc::Connection& connection, const DatabaseInfo& database,
                                              const Relations& wanted);

// MySQL and PostgreSQL only: one query per kind over information_schema or pg_catalog for every relation at once.
Relations list_relations_with_queries(const odbc::Connection& connection, const DatabaseInfo& database);
std::vector<RelationRows> read_with_queries(const odbc::Connection& connection, const DatabaseInfo& database,
                                            const Relations& wanted);

}  // namespace migration_host::catalog
