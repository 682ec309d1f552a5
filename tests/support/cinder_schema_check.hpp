// The Cinder initial schema as the seed defines it, read back from a database's own catalog and compared.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

#include "test_database.hpp"

namespace test_support {

// A column in portable terms: type is "datetime", "boolean", "integer" or
// "varchar(N)"; autoincrement means AUTO_INCREMENT (MySQL), a SERIAL's owned
// sequence (PostgreSQL) or a rowid alias (SQLite).
struct ColumnInfo {
    std::string name;
    std::string type;
    bool nullable = true;
    bool has_default = false;
    bool autoincrement = false;
    friend bool operator==(const ColumnInfo&, const ColumnInfo&) = default;
};

struct ForeignKeyInfo {
    std::string column, referenced_table, referenced_column;
    friend bool operator==(const ForeignKeyInfo&, const ForeignKeyInfo&) = default;
    friend auto operator<=>(const ForeignKeyInfo&, const ForeignKeyInfo&) = default;
};

struct TableInfo {
    std::string name;
    std::vector<ColumnInfo> columns;          // in column order
    std::vector<std::string> primary_key;     // in key order
    std::vector<ForeignKeyInfo> foreign_keys; // sorted
    bool has_check_constraint = false;
    // Indexes other than the primary key's, each "name(col,col)" with " UNIQUE" when
    // unique, sorted. MySQL lists the ones it made for foreign keys; SQLite only
    // those made by CREATE INDEX.
    std::vector<std::string> indexes{};
    std::string mysql_engine{};     // MySQL only
    std::string mysql_collation{};  // MySQL only
};

// Transcribed from the seed (001_cinder_init.py), independently of the plugin,
// in the seed's creation order.
std::vector<TableInfo> expected_cinder_tables();

// Every table but the host's own (migrate_version, migration_host_*), from the database's catalog, in creation
// order where the catalog keeps it (SQLite, PostgreSQL), else by name.
std::vector<TableInfo> read_tables(const TestDatabase& database);

// One line per table, everything the catalog check compares, in name order: two databases hold the same schema when
// these are equal.
std::vector<std::string> describe_tables(std::vector<TableInfo> tables);

// Catch2 checks: the database holds exactly the seed's tables, columns,
// types, nullability, keys and autoincrement; also in the seed's creation
// order on SQLite and PostgreSQL.
void check_cinder_schema(const TestDatabase& database);

// Table names in the database other than the host's own (any order).
std::vector<std::string> table_names(const TestDatabase& database);

}  // namespace test_support
