// Reads a schema through the ODBC catalog functions into plain, canonical data: tables, columns, keys, indexes.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "database/database.hpp"
#include "database/odbc.hpp"

namespace migration_host {

struct SchemaColumn {
    std::string name;
    std::string type;                   // the database's own type name, lower-case, without a length
    std::optional<std::int64_t> size;   // length or precision where it is part of the type (char, binary, decimal)
    std::optional<std::int64_t> scale;  // decimal digits, for exact numerics only
    bool nullable = true;
    std::optional<std::string> default_value;  // as the database reports it; none for a serial's sequence
    bool auto_increment = false;               // AUTO_INCREMENT, a SERIAL's sequence, or SQLite's rowid alias
    friend bool operator==(const SchemaColumn&, const SchemaColumn&) = default;
};

struct SchemaForeignKey {
    std::string name;  // as the database reports it ("" where it has none, as on SQLite); not part of ==
    std::vector<std::string> columns;
    std::string referenced_table;
    std::vector<std::string> referenced_columns;
    friend bool operator==(const SchemaForeignKey& a, const SchemaForeignKey& b) {
        return a.columns == b.columns && a.referenced_table == b.referenced_table &&
               a.referenced_columns == b.referenced_columns;
    }
};

struct SchemaIndex {
    std::string name;  // "" for an index SQLite made itself for a UNIQUE constraint
    bool unique = false;
    std::vector<std::string> columns;  // in index order
    friend bool operator==(const SchemaIndex&, const SchemaIndex&) = default;
};

struct SchemaTable {
    std::string name;
    std::vector<SchemaColumn> columns;           // in the table's column order
    std::vector<std::string> primary_key;        // in key order; empty when the table has none
    std::vector<SchemaForeignKey> foreign_keys;  // sorted by columns, then referenced table and columns
    std::vector<SchemaIndex> indexes;            // sorted by name (unnamed last, by columns); never the primary key's
    std::string engine;                          // MySQL only
    std::string collation;  // MySQL only: the table's default collation (which names its character set)
    std::string charset;    // MySQL only
};

struct Schema {
    std::vector<SchemaTable> tables;  // sorted by name
    const SchemaTable* find(std::string_view table) const;
};

// "varchar(255)", "decimal(10,2)", "integer": the type as a reader writes it.
std::string type_text(const SchemaColumn& column);

// "varchar(255) NOT NULL DEFAULT 'x' AUTO_INCREMENT": the column's definition without its name.
std::string definition_text(const SchemaColumn& column);

// The host's own tables: migrate_version and every migration_host_* table.
bool is_host_table(std::string_view table);

// Every table (TABLE type only: no views) of the connection's current database (MySQL), current schema
// (PostgreSQL) or file (SQLite), the host's own included, sorted.
std::vector<std::string> list_tables(const odbc::Connection& connection, const DatabaseInfo& database);

// The named tables (each must exist: see list_tables) or, when `tables` is empty, every table but the host's own.
Schema read_schema(const odbc::Connection& connection, const DatabaseInfo& database,
                   const std::vector<std::string>& tables = {});

}  // namespace migration_host
