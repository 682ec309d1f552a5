// Reads catalog rows on MySQL and PostgreSQL with one query per kind over the whole database or schema.
// SPDX-License-Identifier: Apache-2.0
//
// The ODBC catalog functions take one table per call, and MariaDB's SQLForeignKeys joins key_column_usage with
// itself unscoped: every call reads the keys of every table on the server (about 200 ms a table on a server with
// 4,300). These queries read each kind once, scoped to the current database (MySQL) or schema (PostgreSQL), and
// report what the drivers' catalog functions report for the same columns, so that schema_catalog makes the same
// canonical schema of them (tests/catalog_reader_test.cpp holds both readers to that).
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <stdexcept>

#include "database/catalog_rows.hpp"

namespace migration_host::catalog {
namespace {

// A boolean as the driver gives it: psqlODBC "1" (its BoolsAsChar), MySQL 1.
bool true_at(const odbc::Row& row, std::size_t column) {
    const std::string text = text_at(row, column);
    return text == "1" || text == "t" || text == "true";
}

// The relations read, by name; rows for any other relation are passed over.
class Collector {
public:
    explicit Collector(const Relations& wanted) {
        for (const auto& name : wanted.tables) add(name, false);
        for (const auto& name : wanted.views) add(name, true);
    }

    RelationRows* find(const std::string& name) {
        const auto found = by_name_.find(name);
        return found == by_name_.end() ? nullptr : &relations_[found->second];
    }
    RelationRows* find_table(const std::string& name) {
        RelationRows* relation = find(name);
        return relation && !relation->view ? relation : nullptr;
    }
    std::vector<RelationRows> take() { return std::move(relations_); }

private:
    void add(const std::string& name, bool view) {
        if (!by_name_.emplace(name, relations_.size()).second) return;
        relations_.emplace_back();
        relations_.back().name = name;
        relations_.back().view = view;
    }
    std::vector<RelationRows> relations_;
    std::map<std::string, std::size_t> by_name_;
};

void sort_names(Relations& relations) {
    for (auto* names : {&relations.tables, &relations.views}) {
        std::sort(names->begin(), names->end());
        names->erase(std::unique(names->begin(), names->end()), names->end());
    }
}

// --- MySQL / MariaDB: information_schema, table_schema = DATABASE() --------------------------------------------

Relations list_mysql(const odbc::Connection& connection) {
    Relations relations;
    for (const auto& row : connection.query("SELECT table_name, table_type FROM information_schema.tables "
                                            "WHERE table_schema = DATABASE()")) {
        const std::string type = text_at(row, 1);
        if (type == "BASE TABLE" || type == "SYSTEM VERSIONED") relations.tables.push_back(text_at(row, 0));
        if (type == "VIEW") relations.views.push_back(text_at(row, 0));
    }
    sort_names(relations);
    return relations;
}

void read_mysql_options(const odbc::Connection& connection, Collector& collector) {
    for (const auto& row : connection.query(
             "SELECT t.table_name, t.engine, t.table_collation, c.character_set_name FROM information_schema.tables t "
             "LEFT JOIN information_schema.collations c ON c.collation_name = t.table_collation "
             "WHERE t.table_schema = DATABASE()")) {
        RelationRows* table = collector.find_table(text_at(row, 0));
        if (!table) continue;
        table->engine = text_at(row, 1);
        table->collation = text_at(row, 2);
        table->charset = text_at(row, 3);
    }
}

// TYPE_NAME as Connector/ODBC makes it: COLUMN_TYPE without its first parenthesis ("int(11) unsigned" is "int
// unsigned", "enum('a','b')" is "enum"); COLUMN_SIZE for the types whose size is part of the type: a decimal's
// precision, a character or binary string's length. SQLPrimaryKeys there lists the columns whose COLUMN_KEY is PRI
// (a table without a primary key has its first UNIQUE NOT NULL index's columns so marked), numbered in column order.
void read_mysql_columns(const odbc::Connection& connection, Collector& collector) {
    for (const auto& row : connection.query(
             "SELECT table_name, column_name, "
             "IF(column_type LIKE '%(%)%', CONCAT(SUBSTRING(column_type, 1, LOCATE('(', column_type) - 1), "
             "SUBSTRING(column_type, 1 + LOCATE(')', column_type))), column_type), "
             "IF(data_type = 'decimal', numeric_precision, character_maximum_length), numeric_scale, is_nullable, "
             "column_default, ordinal_position, LOWER(extra) LIKE '%auto_increment%', column_key "
             "FROM information_schema.columns WHERE table_schema = DATABASE()")) {
        RelationRows* relation = collector.find(text_at(row, 0));
        if (!relation) continue;
        ColumnRow column;
        column.name = text_at(row, 1);
        column.type_name = text_at(row, 2);
        column.column_size = number_at(row, 3);
        column.decimal_digits = number_at(row, 4);
        column.nullable = text_at(row, 5) != "NO";
        column.default_value = row.at(6);
        column.position = number_at(row, 7).value_or(0);
        column.auto_increment = true_at(row, 8);
        if (text_at(row, 9) == "PRI") relation->primary_key.push_back({"PRIMARY", column.position, column.name});
        relation->columns.push_back(std::move(column));
    }
}

void read_mysql_indexes(const odbc::Connection& connection, Collector& collector) {
    for (const auto& row : connection.query("SELECT table_name, index_name, seq_in_index, column_name, non_unique "
                                            "FROM information_schema.statistics WHERE table_schema = DATABASE() "
                                            "ORDER BY table_name, non_unique, index_name, seq_in_index")) {
        RelationRows* table = collector.find_table(text_at(row, 0));
        if (!table) continue;
        table->indexes.push_back(
            {{text_at(row, 1), number_at(row, 2).value_or(0), text_at(row, 3)}, number_at(row, 4).value_or(1) == 0});
    }
}

// Every foreign key of the database's tables, wherever it points. (Connector/ODBC's SQLForeignKeys reports only
// keys that reference a primary key: one that references a UNIQUE key was missing before these queries.)
void read_mysql_foreign_keys(const odbc::Connection& connection, Collector& collector) {
    for (const auto& row : connection.query(
             "SELECT table_name, constraint_name, COALESCE(position_in_unique_constraint, ordinal_position), "
             "column_name, referenced_table_name, referenced_column_name FROM information_schema.key_column_usage "
             "WHERE table_schema = DATABASE() AND referenced_table_name IS NOT NULL "
             "ORDER BY table_name, constraint_name, ordinal_position")) {
        RelationRows* table = collector.find_table(text_at(row, 0));
        if (!table) continue;
        table->foreign_keys.push_back(
            {{text_at(row, 1), number_at(row, 2).value_or(1), text_at(row, 3)}, text_at(row, 4), text_at(row, 5)});
    }
}

// --- PostgreSQL: pg_catalog, the relations of current_schema() --------------------------------------------------

// Tables (plain and partitioned), views and materialized views, as psqlODBC's SQLTables tells them apart.
constexpr const char* postgresql_relations =
    "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm')";

Relations list_postgresql(const odbc::Connection& connection) {
    Relations relations;
    for (const auto& row : connection.query(fmt::format("SELECT c.relname, c.relkind {}", postgresql_relations))) {
        const std::string kind = text_at(row, 1);
        (kind == "r" || kind == "p" ? relations.tables : relations.views).push_back(text_at(row, 0));
    }
    sort_names(relations);
    return relations;
}

// psqlODBC's sizes of the types whose size is part of the type, from the type modifier (which counts 4 more than
// the length): a varchar's or char's length, MaxVarcharSize (255 by default) for one declared without; a numeric's
// precision and scale, 28 and 6 for one declared without; 1 for the one-byte "char".
void postgresql_size(const std::string& type, std::int64_t modifier, ColumnRow& column) {
    constexpr std::int64_t header = 4;
    constexpr std::int64_t max_varchar_size = 255;
    if (type == "varchar" || type == "bpchar") {
        column.column_size = modifier >= header ? modifier - header : max_varchar_size;
    } else if (type == "numeric") {
        column.column_size = modifier >= header ? ((modifier - header) >> 16) & 0xffff : 28;
        column.decimal_digits = modifier >= header ? (modifier - header) & 0xffff : 6;
    } else if (type == "char") {
        column.column_size = 1;
    }
}

// A SERIAL's default draws from its sequence (nextval); an identity column has the sequence built in.
void read_postgresql_columns(const odbc::Connection& connection, Collector& collector) {
    for (const auto& row : connection.query(fmt::format(
             "SELECT c.relname, a.attname, t.typname, a.atttypmod, a.attnotnull, "
             "pg_catalog.pg_get_expr(d.adbin, d.adrelid), a.attnum, a.attidentity <> '' "
             "FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
             "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
             "JOIN pg_catalog.pg_type t ON t.oid = a.atttypid "
             "LEFT JOIN pg_catalog.pg_attrdef d ON a.atthasdef AND d.adrelid = a.attrelid AND d.adnum = a.attnum "
             "WHERE a.attnum > 0 AND NOT a.attisdropped AND n.nspname = current_schema() "
             "AND c.relkind IN ('r', 'p', 'v', 'm')"))) {
        RelationRows* relation = collector.find(text_at(row, 0));
        if (!relation) continue;
        ColumnRow column;
        column.name = text_at(row, 1);
        column.type_name = text_at(row, 2);
        postgresql_size(column.type_name, number_at(row, 3).value_or(-1), column);
        column.nullable = !true_at(row, 4);
        column.default_value = row.at(5);
        column.position = number_at(row, 6).value_or(0);
        column.auto_increment =
            true_at(row, 7) || (column.default_value && column.default_value->rfind("nextval(", 0) == 0);
        relation->columns.push_back(std::move(column));
    }
}

// Every index with all its columns (INCLUDE ones too, as psqlODBC lists them); an expression's column is the
// expression as pg_get_indexdef writes it. The primary key is its index's columns, in the index's order.
void read_postgresql_indexes(const odbc::Connection& connection, Collector& collector) {
    for (const auto& row :
         connection.query("SELECT c.relname, ic.relname, k.ord, "
                          "CASE WHEN k.attnum = 0 THEN pg_catalog.pg_get_indexdef(i.indexrelid, k.ord::int, true) "
                          "ELSE a.attname::text END, i.indisunique, i.indisprimary "
                          "FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indrelid "
                          "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                          "JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid "
                          "CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) "
                          "LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
                          "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') "
                          "ORDER BY c.relname, ic.relname, k.ord")) {
        RelationRows* table = collector.find_table(text_at(row, 0));
        if (!table) continue;
        const KeyColumnRow column{text_at(row, 1), number_at(row, 2).value_or(0), text_at(row, 3)};
        if (true_at(row, 5)) table->primary_key.push_back(column);
        table->indexes.push_back({column, true_at(row, 4)});
    }
}

void read_postgresql_foreign_keys(const odbc::Connection& connection, Collector& collector) {
    for (const auto& row : connection.query(
             "SELECT c.relname, con.conname, k.ord, a.attname, rc.relname, ra.attname "
             "FROM pg_catalog.pg_constraint con JOIN pg_catalog.pg_class c ON c.oid = con.conrelid "
             "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
             "JOIN pg_catalog.pg_class rc ON rc.oid = con.confrelid "
             "CROSS JOIN LATERAL unnest(con.conkey, con.confkey) WITH ORDINALITY AS k(attnum, referenced, ord) "
             "JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum "
             "JOIN pg_catalog.pg_attribute ra ON ra.attrelid = con.confrelid AND ra.attnum = k.referenced "
             "WHERE con.contype = 'f' AND n.nspname = current_schema() "
             "ORDER BY con.oid, k.ord")) {
        RelationRows* table = collector.find_table(text_at(row, 0));
        if (!table) continue;
        table->foreign_keys.push_back(
            {{text_at(row, 1), number_at(row, 2).value_or(1), text_at(row, 3)}, text_at(row, 4), text_at(row, 5)});
    }
}

}  // namespace

Relations list_relations_with_queries(const odbc::Connection& connection, const DatabaseInfo& database) {
    if (database.dialect == schema::Dialect::mysql) return list_mysql(connection);
    if (database.dialect == schema::Dialect::postgresql) return list_postgresql(connection);
    throw std::logic_error("catalog queries are for MySQL and PostgreSQL, not " + database.dialect.name());
}

std::vector<RelationRows> read_with_queries(const odbc::Connection& connection, const DatabaseInfo& database,
                                            const Relations& wanted) {
    Collector collector(wanted);
    if (database.dialect == schema::Dialect::mysql) {
        read_mysql_options(connection, collector);
        read_mysql_columns(connection, collector);
        read_mysql_indexes(connection, collector);
        read_mysql_foreign_keys(connection, collector);
    } else if (database.dialect == schema::Dialect::postgresql) {
        read_postgresql_columns(connection, collector);
        read_postgresql_indexes(connection, collector);
        read_postgresql_foreign_keys(connection, collector);
    } else {
        throw std::logic_error("catalog queries are for MySQL and PostgreSQL, not " + database.dialect.name());
    }
    return collector.take();
}

}  // namespace migration_host::catalog
