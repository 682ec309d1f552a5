// Reads a schema from the database's catalog into plain, canonical data: tables, columns, keys, indexes, views.
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

// A view (on PostgreSQL a materialized view too): its columns, as the database derives them from its query.
struct SchemaView {
    std::string name;
    std::vector<SchemaColumn> columns;  // in the view's column order
};

struct Schema {
    std::vector<SchemaTable> tables;  // sorted by name
    std::vector<SchemaView> views;    // sorted by name
    const SchemaTable* find(std::string_view table) const;
    const SchemaView* find_view(std::string_view view) const;
};

// How the catalog is read. Both make the same Schema (tests/catalog_reader_test.cpp holds them to it), but for
// one thing: on MySQL only `queries` sees a foreign key that references a UNIQUE key rather than the primary key.
enum class CatalogReader {
    // MySQL and PostgreSQL: one query per kind (columns, primary keys, foreign keys, indexes) over
    // information_schema or pg_catalog for the whole database or schema. SQLite: the ODBC catalog functions, whose
    // driver answers them table by table from PRAGMAs, fast.
    queries,
    // The ODBC catalog functions (SQLTables, SQLColumns, SQLPrimaryKeys, SQLForeignKeys, SQLStatistics) table by
    // table, on every backend. Slow on a server with many tables (MariaDB's SQLForeignKeys reads every table's
    // keys on the server, each call): kept to show that `queries` reads the same.
    odbc_functions,
};

// The tables (TABLE type only) and views of the connection's current database (MySQL), current schema
// (PostgreSQL) or file (SQLite), the host's own tables included, each list sorted.
struct Relations {
    std::vector<std::string> tables;
    std::vector<std::string> views;
};

// "varchar(255)", "decimal(10,2)", "integer": the type as a reader writes it.
std::string type_text(const SchemaColumn& column);

// "varchar(255) NOT NULL DEFAULT 'x' AUTO_INCREMENT": the column's definition without its name.
std::string definition_text(const SchemaColumn& column);

// The host's own tables: migrate_version and every migration_host_* table.
bool is_host_table(std::string_view table);

Relations list_relations(const odbc::Connection& connection, const DatabaseInfo& database,
                         CatalogReader reader = CatalogReader::queries);

// The named tables and views (each must exist: see list_relations) or, when `names` is empty, every view and every
// table but the host's own.
Schema read_schema(const odbc::Connection& connection, const DatabaseInfo& database,
                   const std::vector<std::string>& names = {}, CatalogReader reader = CatalogReader::queries);

}  // namespace migration_host
