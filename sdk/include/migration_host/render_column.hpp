// Header-only rendering of what a table definition is made of: a type, a column, a foreign key and a UNIQUE constraint, per dialect.
// SPDX-License-Identifier: Apache-2.0
#pragma once

// Plain C++17, standard library only. Part of render.hpp, which includes it and writes
// every statement from these pieces; the bytes are part of the same contract (see there).
// The model's members that render one piece (Type::sql, Table::column_sql) and
// schema::foreign_key_sql and unique_sql are defined at the end, through them.

#include <migration_host/dialect.hpp>
#include <migration_host/identifiers.hpp>
#include <migration_host/model.hpp>

#include <string>
#include <string_view>

namespace migration_host::render {

using schema::Column;
using schema::Dialect;
using schema::ForeignKeyConstraint;
using schema::Type;
using schema::UniqueConstraint;

inline std::string q(std::string_view name, Dialect dialect) { return schema::quote_identifier(name, dialect); }

// ` CHARACTER SET x COLLATE y`, either part when set, on MySQL; nothing elsewhere.
inline std::string mysql_character_sql(Dialect dialect, const Type& type) {
    if (dialect != Dialect::mysql) return "";
    std::string out;
    if (!type.mysql_charset_name().empty()) out += " CHARACTER SET " + type.mysql_charset_name();
    if (!type.mysql_collation_name().empty()) out += " COLLATE " + type.mysql_collation_name();
    return out;
}

// The type as the dialect's DDL writes it: INTEGER, BIGINT, VARCHAR(255), TEXT, FLOAT,
// NUMERIC(p, s), DATE, DATETIME (MySQL, SQLite) or TIMESTAMP WITHOUT TIME ZONE
// (PostgreSQL), BOOLEAN or BOOL (MySQL); a String or Text with its character set and
// collation on MySQL.
inline std::string type_sql(Dialect dialect, const Type& type) {
    using schema::TypeKind;
    switch (type.kind()) {
        case TypeKind::integer: return "INTEGER";
        case TypeKind::string:
            return "VARCHAR(" + std::to_string(type.length()) + ")" + mysql_character_sql(dialect, type);
        case TypeKind::datetime: return dialect == Dialect::postgresql ? "TIMESTAMP WITHOUT TIME ZONE" : "DATETIME";
        case TypeKind::boolean: return dialect == Dialect::mysql ? "BOOL" : "BOOLEAN";
        case TypeKind::text: return "TEXT" + mysql_character_sql(dialect, type);
        case TypeKind::big_integer: return "BIGINT";
        case TypeKind::float_: return "FLOAT";
        case TypeKind::numeric:
            return "NUMERIC(" + std::to_string(type.precision()) + ", " + std::to_string(type.scale()) + ")";
        case TypeKind::date: return "DATE";
    }
    return "";
}

// A column as CREATE TABLE and ADD COLUMN write it: `name TYPE [DEFAULT x][ NOT NULL]`,
// plus SERIAL / AUTO_INCREMENT for the autoincrement column.
inline std::string column_sql(Dialect dialect, const Column& column, bool autoincrement = false) {
    std::string out = q(column.name(), dialect) + " ";
    out += (autoincrement && dialect == Dialect::postgresql) ? "SERIAL" : type_sql(dialect, column.type());
    if (column.default_sql()) out += " DEFAULT " + *column.default_sql();
    if (!column.is_nullable()) out += " NOT NULL";
    if (autoincrement && dialect == Dialect::mysql) out += " AUTO_INCREMENT";
    return out;
}

// `[CONSTRAINT name ]FOREIGN KEY(a, b) REFERENCES t (x, y)[ ON DELETE action]`
inline std::string foreign_key_sql(Dialect dialect, const ForeignKeyConstraint& fk) {
    std::string out;
    if (!fk.name.empty()) out += "CONSTRAINT " + q(fk.name, dialect) + " ";
    out += "FOREIGN KEY(" + schema::detail::column_list(fk.columns, dialect) + ") REFERENCES " +
           q(fk.referenced_table, dialect) + " (" + schema::detail::column_list(fk.referenced_columns, dialect) + ")";
    if (!fk.on_delete.empty()) out += " ON DELETE " + fk.on_delete;
    return out;
}

// `[CONSTRAINT name ]UNIQUE (a, b)`
inline std::string unique_sql(Dialect dialect, const UniqueConstraint& unique) {
    std::string out;
    if (!unique.name.empty()) out += "CONSTRAINT " + q(unique.name, dialect) + " ";
    return out + "UNIQUE (" + schema::detail::column_list(unique.columns, dialect) + ")";
}

}  // namespace migration_host::render

namespace migration_host::schema {

inline std::string Type::sql(Dialect dialect) const { return render::type_sql(dialect, *this); }

inline std::string foreign_key_sql(const ForeignKeyConstraint& fk, Dialect dialect) {
    return render::foreign_key_sql(dialect, fk);
}

inline std::string unique_sql(const UniqueConstraint& unique, Dialect dialect) {
    return render::unique_sql(dialect, unique);
}

inline std::string Table::column_sql(const Column& column, Dialect dialect, bool autoincrement) {
    return render::column_sql(dialect, column, autoincrement);
}

}  // namespace migration_host::schema
