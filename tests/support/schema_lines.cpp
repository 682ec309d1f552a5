// A schema as the host's catalog reader reads it, one line per fact: two schemas differ in the lines that differ.
// SPDX-License-Identifier: Apache-2.0
#include "schema_lines.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "database/database.hpp"

namespace test_support {
namespace {

std::string column_text(const migration_host::SchemaColumn& column) {
    return fmt::format("column {} type={} size={} scale={} nullable={} default={} auto_increment={}", column.name,
                       column.type, column.size ? std::to_string(*column.size) : "-",
                       column.scale ? std::to_string(*column.scale) : "-", column.nullable,
                       column.default_value ? "[" + *column.default_value + "]" : "-", column.auto_increment);
}

// What the reader does not read, one line per object, in a stable order.
std::string unread_parts_query(Backend backend) {
    switch (backend) {
        case Backend::sqlite:
            return "SELECT type || ' ' || name || ': ' || COALESCE(sql, '') FROM sqlite_master "
                   "WHERE name NOT LIKE 'migration_host%' AND name <> 'migrate_version' AND name NOT LIKE 'sqlite_%' "
                   "ORDER BY type, name";
        case Backend::mysql:
            return "SELECT CONCAT('check ', TABLE_NAME, '.', CONSTRAINT_NAME, ': ', CHECK_CLAUSE) "
                   "FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() "
                   "AND TABLE_NAME NOT LIKE 'migration\\_host%' AND TABLE_NAME <> 'migrate_version' "
                   "ORDER BY TABLE_NAME, CONSTRAINT_NAME";
        case Backend::postgresql:
            break;
    }
    return "SELECT 'check ' || c.conrelid::regclass::text || '.' || c.conname || ': ' || pg_get_constraintdef(c.oid) "
           "FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
           "WHERE c.contype = 'c' AND n.nspname = current_schema() ORDER BY 1";
}

}  // namespace

std::vector<std::string> schema_lines(const migration_host::Schema& schema) {
    std::vector<std::string> lines;
    for (const auto& table : schema.tables) {
        lines.push_back(fmt::format("table {} engine={} charset={} collation={}", table.name, table.engine,
                                    table.charset, table.collation));
        for (const auto& column : table.columns) lines.push_back(table.name + ": " + column_text(column));
        lines.push_back(fmt::format("{}: primary key ({})", table.name, fmt::join(table.primary_key, ", ")));
        for (const auto& key : table.foreign_keys) {
            lines.push_back(fmt::format("{}: foreign key [{}] ({}) -> {} ({})", table.name, key.name,
                                        fmt::join(key.columns, ", "), key.referenced_table,
                                        fmt::join(key.referenced_columns, ", ")));
        }
        for (const auto& index : table.indexes) {
            lines.push_back(fmt::format("{}: index [{}] unique={} ({})", table.name, index.name, index.unique,
                                        fmt::join(index.columns, ", ")));
        }
    }
    for (const auto& view : schema.views) {
        lines.push_back("view " + view.name);
        for (const auto& column : view.columns) lines.push_back(view.name + ": " + column_text(column));
    }
    return lines;
}

std::vector<std::string> database_schema_lines(const TestDatabase& database) {
    migration_host::odbc::Connection connection(odbc_environment(), database.connection_string(), 15);
    const migration_host::DatabaseInfo info = migration_host::describe_database(connection);
    auto lines = schema_lines(migration_host::read_schema(connection, info));
    for (const auto& row : connection.query(unread_parts_query(database.backend()))) {
        lines.push_back(row.front().value_or("NULL"));
    }
    return lines;
}

}  // namespace test_support
