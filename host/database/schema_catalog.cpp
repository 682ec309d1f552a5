// Reads a schema through the ODBC catalog functions into plain, canonical data: tables, columns, keys, indexes.
// SPDX-License-Identifier: Apache-2.0
#include "database/schema_catalog.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <tuple>

namespace migration_host {
namespace {

// Where the catalog functions look: MySQL names a database as the catalog, PostgreSQL a schema; SQLite has neither.
struct Scope {
    std::optional<std::string> catalog;
    std::optional<std::string> schema;
};

Scope scope_of(const odbc::Connection& connection, const DatabaseInfo& database) {
    Scope scope;
    if (database.dialect == "mysql") scope.catalog = database.database_name;
    if (database.dialect == "postgresql") {
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

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

std::string text_at(const odbc::Row& row, std::size_t column) {
    return column < row.size() && row[column] ? *row[column] : std::string();
}

std::optional<std::int64_t> number_at(const odbc::Row& row, std::size_t column) {
    const std::string text = text_at(row, column);
    if (text.empty()) return std::nullopt;
    try {
        return std::stoll(text);
    } catch (const std::logic_error&) {
        return std::nullopt;
    }
}

// A catalog row as the driver gave it, for trace logs: what canonicalisation starts from.
std::string describe_row(const odbc::Row& row) {
    std::string text;
    for (std::size_t column = 0; column < row.size(); ++column) {
        text += (column == 0 ? "" : "|") + row[column].value_or("NULL");
    }
    return text;
}

// The catalog functions' table arguments are search patterns for some calls ('_' matches any character): every
// result is kept only for the exact table asked about.
bool names(const odbc::Row& row, std::size_t column, const std::string& table) {
    return text_at(row, column) == table;
}

// What a column's type says, canonically: the type name lower-case without a length, and the length or precision
// where it is part of the type.
struct ColumnType {
    std::string name;
    std::optional<std::int64_t> size;
    std::optional<std::int64_t> scale;
};

// Types whose length or precision is part of the type. For any other type COLUMN_SIZE is the type's fixed precision
// or display width, which its name already says, and drivers disagree on it (a TEXT's size is whatever maximum the
// driver assumes). Known by name, not by DATA_TYPE: psqlODBC reports a varchar longer than its MaxVarcharSize as
// SQL_LONGVARCHAR, and bool as SQL_VARCHAR(5) (BoolsAsChar).
bool is_sized_type(const std::string& type) {
    static const std::set<std::string> sized = {"char",      "varchar",           "nchar",  "nvarchar",  "bpchar",
                                                "character", "character varying", "binary", "varbinary", "decimal",
                                                "numeric"};
    return sized.count(type) > 0;
}

std::optional<std::int64_t> parse_number(std::string_view text) {
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
    if (text.empty() || text.size() > 18 ||
        !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return std::nullopt;
    }
    return std::stoll(std::string(text));
}

// SQLite's driver gives the declared type, "VARCHAR(255)": the length in it is the one declared, and the name
// without it is the type. MySQL's "int unsigned" keeps its words.
ColumnType canonical_type(const std::string& type_name, const std::optional<std::int64_t>& column_size,
                          const std::optional<std::int64_t>& decimal_digits) {
    ColumnType type;
    type.name = lower(type_name);
    std::optional<std::string> declared;
    const auto open = type.name.find('(');
    if (open != std::string::npos) {
        const auto close = type.name.find(')', open);
        declared = type.name.substr(open + 1, close == std::string::npos ? std::string::npos : close - open - 1);
        type.name.erase(open, close == std::string::npos ? std::string::npos : close - open + 1);
    }
    while (!type.name.empty() && type.name.back() == ' ') type.name.pop_back();
    for (auto blank = type.name.find("  "); blank != std::string::npos; blank = type.name.find("  ")) {
        type.name.erase(blank, 1);
    }
    if (declared) {
        const auto comma = declared->find(',');
        type.size = parse_number(std::string_view(*declared).substr(0, comma));
        if (comma != std::string::npos) type.scale = parse_number(std::string_view(*declared).substr(comma + 1));
    } else if (is_sized_type(type.name)) {
        type.size = column_size;
        if (type.name == "decimal" || type.name == "numeric") type.scale = decimal_digits;
    }
    return type;
}

// A default that only says "no default": MariaDB reports a column without one as the text 'NULL', PostgreSQL an
// explicit DEFAULT NULL as 'NULL::<type>'; the others report nothing. All mean the same.
std::optional<std::string> canonical_default(const std::optional<std::string>& reported) {
    if (!reported) return std::nullopt;
    const std::string value = lower(*reported);
    if (value == "null" || value.rfind("null::", 0) == 0) return std::nullopt;
    return reported;
}

std::vector<SchemaColumn> read_columns(const odbc::Connection& connection, const Scope& scope,
                                       const std::string& table) {
    const std::optional<std::string> name = table;
    const auto rows = connection.catalog(fmt::format("SQLColumns for {}", table), [&](SQLHSTMT statement) {
        return SQLColumns(statement, argument(scope.catalog), argument_length(scope.catalog), argument(scope.schema),
                          argument_length(scope.schema), argument(name), argument_length(name), nullptr, 0);
    });
    std::vector<std::pair<std::int64_t, SchemaColumn>> numbered;
    for (const auto& row : rows) {
        if (!names(row, 2, table)) continue;
        spdlog::trace("SQLColumns {}: {}", table, describe_row(row));
        SchemaColumn column;
        column.name = text_at(row, 3);
        ColumnType type = canonical_type(text_at(row, 5), number_at(row, 6), number_at(row, 8));
        column.type = std::move(type.name);
        column.size = type.size;
        column.scale = type.scale;
        // NULLABLE is SQL_NO_NULLS, SQL_NULLABLE or SQL_NULLABLE_UNKNOWN; IS_NULLABLE says it in words.
        const auto nullable = number_at(row, 10);
        column.nullable = nullable ? *nullable != SQL_NO_NULLS : text_at(row, 17) != "NO";
        column.default_value = canonical_default(row.size() > 12 ? row[12] : std::nullopt);
        numbered.emplace_back(number_at(row, 16).value_or(static_cast<std::int64_t>(numbered.size() + 1)),
                              std::move(column));
    }
    std::stable_sort(numbered.begin(), numbered.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<SchemaColumn> columns;
    for (auto& [position, column] : numbered) columns.push_back(std::move(column));
    return columns;
}

struct PrimaryKey {
    std::string name;
    std::vector<std::string> columns;
};

PrimaryKey read_primary_key(const odbc::Connection& connection, const Scope& scope, const std::string& table) {
    const std::optional<std::string> name = table;
    const auto rows = connection.catalog(fmt::format("SQLPrimaryKeys for {}", table), [&](SQLHSTMT statement) {
        return SQLPrimaryKeys(statement, argument(scope.catalog), argument_length(scope.catalog),
                              argument(scope.schema), argument_length(scope.schema), argument(name),
                              argument_length(name));
    });
    std::vector<std::pair<std::int64_t, std::string>> numbered;
    PrimaryKey key;
    for (const auto& row : rows) {
        if (!names(row, 2, table)) continue;
        spdlog::trace("SQLPrimaryKeys {}: {}", table, describe_row(row));
        numbered.emplace_back(number_at(row, 4).value_or(0), text_at(row, 3));
        key.name = text_at(row, 5);
    }
    std::stable_sort(numbered.begin(), numbered.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [sequence, column] : numbered) key.columns.push_back(std::move(column));
    return key;
}

std::vector<SchemaForeignKey> read_foreign_keys(const odbc::Connection& connection, const Scope& scope,
                                                const std::string& table) {
    const std::optional<std::string> name = table;
    const auto rows = connection.catalog(fmt::format("SQLForeignKeys for {}", table), [&](SQLHSTMT statement) {
        return SQLForeignKeys(statement, nullptr, 0, nullptr, 0, nullptr, 0, argument(scope.catalog),
                              argument_length(scope.catalog), argument(scope.schema), argument_length(scope.schema),
                              argument(name), argument_length(name));
    });
    // A key's rows share its FK_NAME; where the driver gives no name (SQLite), a key starts at KEY_SEQ 1.
    std::vector<std::pair<SchemaForeignKey, std::vector<std::int64_t>>> keys;
    std::map<std::string, std::size_t> by_name;
    for (const auto& row : rows) {
        if (!names(row, 6, table)) continue;
        const std::string key_name = text_at(row, 11);
        const auto sequence = number_at(row, 8).value_or(1);
        std::size_t index = keys.size();
        if (!key_name.empty() && by_name.count(key_name)) {
            index = by_name[key_name];
        } else if (key_name.empty() && sequence != 1 && !keys.empty()) {
            index = keys.size() - 1;
        }
        if (index == keys.size()) {
            keys.emplace_back();
            keys.back().first.name = key_name;
            keys.back().first.referenced_table = text_at(row, 2);
            if (!key_name.empty()) by_name[key_name] = index;
        }
        auto& [key, sequences] = keys[index];
        const auto at = std::upper_bound(sequences.begin(), sequences.end(), sequence) - sequences.begin();
        sequences.insert(sequences.begin() + at, sequence);
        key.columns.insert(key.columns.begin() + at, text_at(row, 7));
        key.referenced_columns.insert(key.referenced_columns.begin() + at, text_at(row, 3));
    }
    std::vector<SchemaForeignKey> result;
    for (auto& [key, sequences] : keys) result.push_back(std::move(key));
    std::sort(result.begin(), result.end(), [](const SchemaForeignKey& a, const SchemaForeignKey& b) {
        return std::tie(a.columns, a.referenced_table, a.referenced_columns, a.name) <
               std::tie(b.columns, b.referenced_table, b.referenced_columns, b.name);
    });
    return result;
}

// SQLite names the indexes it makes for a table's UNIQUE and PRIMARY KEY constraints sqlite_autoindex_<table>_<n>,
// n counting the constraints in the order CREATE TABLE lists them: a table rebuilt with the same constraints in
// another order renumbers them without any real change.
bool is_sqlite_autoindex(const std::string& index) {
    return index.rfind("sqlite_autoindex_", 0) == 0;
}

bool same_columns(std::vector<std::string> a, std::vector<std::string> b) {
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    return a == b;
}

// The table's indexes but the one behind its primary key, whose column order becomes the key's (see below).
std::vector<SchemaIndex> read_indexes(const odbc::Connection& connection, const Scope& scope, const std::string& table,
                                      PrimaryKey& primary_key) {
    const std::optional<std::string> name = table;
    const auto rows = connection.catalog(fmt::format("SQLStatistics for {}", table), [&](SQLHSTMT statement) {
        return SQLStatistics(statement, argument(scope.catalog), argument_length(scope.catalog), argument(scope.schema),
                             argument_length(scope.schema), argument(name), argument_length(name), SQL_INDEX_ALL,
                             SQL_QUICK);
    });
    std::map<std::string, std::pair<SchemaIndex, std::vector<std::int64_t>>> by_name;
    for (const auto& row : rows) {
        if (!names(row, 2, table)) continue;
        spdlog::trace("SQLStatistics {}: {}", table, describe_row(row));
        // The table's own statistics row (TYPE SQL_TABLE_STAT) names no index.
        if (number_at(row, 6).value_or(SQL_TABLE_STAT) == SQL_TABLE_STAT || text_at(row, 5).empty()) continue;
        auto& [index, positions] = by_name[text_at(row, 5)];
        index.name = text_at(row, 5);
        index.unique = number_at(row, 3).value_or(1) == 0;
        const auto position = number_at(row, 7).value_or(0);
        const auto at = std::upper_bound(positions.begin(), positions.end(), position) - positions.begin();
        positions.insert(positions.begin() + at, position);
        index.columns.insert(index.columns.begin() + at, text_at(row, 8));
    }
    std::vector<SchemaIndex> indexes;
    bool key_index_found = false;
    for (auto& [index_name, entry] : by_name) {
        SchemaIndex& index = entry.first;
        // The index behind the primary key is the key itself, listed as such; its name is the driver's (MySQL's
        // PRIMARY, PostgreSQL's <table>_pkey, SQLite's autoindex) and says nothing more. It does tell the key's
        // column order, which MariaDB's and SQLite's drivers get wrong in SQLPrimaryKeys (KEY_SEQ counts in the
        // table's column order there, not the key's).
        const bool named_for_key =
            index.name == "PRIMARY" || index.name == primary_key.name || is_sqlite_autoindex(index.name);
        if (!key_index_found && index.unique && named_for_key && same_columns(index.columns, primary_key.columns)) {
            primary_key.columns = index.columns;
            key_index_found = true;
            continue;
        }
        if (is_sqlite_autoindex(index.name)) index.name.clear();
        indexes.push_back(std::move(index));
    }
    std::sort(indexes.begin(), indexes.end(), [](const SchemaIndex& a, const SchemaIndex& b) {
        // Unnamed ones last: a name orders the listing for the reader.
        return std::make_tuple(a.name.empty(), a.name, a.columns) < std::make_tuple(b.name.empty(), b.name, b.columns);
    });
    return indexes;
}

// What the ODBC catalog functions do not tell (or MariaDB's gets wrong): the table's engine and character set, which
// columns are AUTO_INCREMENT and which are NOT NULL, from information_schema.
void read_mysql_details(const odbc::Connection& connection, SchemaTable& table) {
    const auto options = connection.query(
        "SELECT t.engine, t.table_collation, c.character_set_name FROM information_schema.tables t "
        "LEFT JOIN information_schema.collations c ON c.collation_name = t.table_collation "
        "WHERE t.table_schema = DATABASE() AND t.table_name = ?",
        {table.name});
    if (!options.empty()) {
        table.engine = text_at(options.front(), 0);
        table.collation = text_at(options.front(), 1);
        table.charset = text_at(options.front(), 2);
    }
    // MariaDB's driver reports an AUTO_INCREMENT column as nullable (inserting NULL there takes the next value);
    // information_schema says what the column is declared.
    std::set<std::string> auto_increment;
    std::set<std::string> not_null;
    for (const auto& row : connection.query("SELECT column_name, LOWER(extra) LIKE '%auto_increment%', is_nullable "
                                            "FROM information_schema.columns WHERE table_schema = DATABASE() AND "
                                            "table_name = ?",
                                            {table.name})) {
        if (text_at(row, 1) == "1") auto_increment.insert(text_at(row, 0));
        if (text_at(row, 2) == "NO") not_null.insert(text_at(row, 0));
    }
    for (auto& column : table.columns) {
        column.auto_increment = auto_increment.count(column.name) > 0;
        column.nullable = not_null.count(column.name) == 0;
    }
}

// A SERIAL is an integer column whose default draws from a sequence the column owns; an identity column has its
// sequence built in. Both are PostgreSQL's auto-increment. The sequence's name in the default is not part of the
// schema worth comparing: it is made up from the table's name when the table is created.
void read_postgresql_details(const odbc::Connection& connection, SchemaTable& table) {
    std::set<std::string> generated;
    for (const auto& row : connection.query(
             "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND "
             "table_name = ? AND (is_identity = 'YES' OR column_default LIKE 'nextval(%')",
             {table.name})) {
        generated.insert(text_at(row, 0));
    }
    for (auto& column : table.columns) {
        if (!generated.count(column.name)) continue;
        column.auto_increment = true;
        column.default_value.reset();
        // psqlODBC calls a SERIAL's type "serial" (bigserial, smallserial): the column is an integer whose
        // auto-increment is said on its own.
        if (column.type == "serial") column.type = "int4";
        if (column.type == "bigserial") column.type = "int8";
        if (column.type == "smallserial") column.type = "int2";
    }
}

// SQLite's auto-increment is the rowid: a table's single INTEGER PRIMARY KEY column is an alias for it, unless the
// table is WITHOUT ROWID.
void read_sqlite_details(const odbc::Connection& connection, SchemaTable& table) {
    if (table.primary_key.size() != 1) return;
    const auto rows = connection.query("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", {table.name});
    const std::string sql = rows.empty() ? std::string() : lower(text_at(rows.front(), 0));
    if (sql.find("without rowid") != std::string::npos) return;
    for (auto& column : table.columns) {
        if (column.name == table.primary_key.front() && column.type == "integer") column.auto_increment = true;
    }
}

}  // namespace

const SchemaTable* Schema::find(std::string_view table) const {
    const auto found = std::find_if(tables.begin(), tables.end(),
                                    [&](const SchemaTable& candidate) { return candidate.name == table; });
    return found == tables.end() ? nullptr : &*found;
}

std::string type_text(const SchemaColumn& column) {
    if (!column.size) return column.type;
    if (column.scale) return fmt::format("{}({},{})", column.type, *column.size, *column.scale);
    return fmt::format("{}({})", column.type, *column.size);
}

std::string definition_text(const SchemaColumn& column) {
    return fmt::format("{} {}{}{}", type_text(column), column.nullable ? "NULL" : "NOT NULL",
                       column.default_value ? " DEFAULT " + *column.default_value : std::string(),
                       column.auto_increment ? " AUTO_INCREMENT" : "");
}

bool is_host_table(std::string_view table) {
    return table == "migrate_version" || table.rfind("migration_host_", 0) == 0;
}

std::vector<std::string> list_tables(const odbc::Connection& connection, const DatabaseInfo& database) {
    const Scope scope = scope_of(connection, database);
    const std::optional<std::string> all = std::string("%");
    const std::optional<std::string> type = std::string("TABLE");
    const auto rows = connection.catalog("SQLTables", [&](SQLHSTMT statement) {
        return SQLTables(statement, argument(scope.catalog), argument_length(scope.catalog), argument(scope.schema),
                         argument_length(scope.schema), argument(all), argument_length(all), argument(type),
                         argument_length(type));
    });
    std::vector<std::string> tables;
    for (const auto& row : rows) {
        // A driver that takes the scope as a pattern may return neighbours of it.
        if (scope.schema && text_at(row, 1) != *scope.schema) continue;
        if (scope.catalog && text_at(row, 0) != *scope.catalog) continue;
        if (text_at(row, 3) != "TABLE") continue;
        tables.push_back(text_at(row, 2));
    }
    std::sort(tables.begin(), tables.end());
    tables.erase(std::unique(tables.begin(), tables.end()), tables.end());
    return tables;
}

Schema read_schema(const odbc::Connection& connection, const DatabaseInfo& database,
                   const std::vector<std::string>& tables) {
    std::vector<std::string> names = tables;
    if (names.empty()) {
        for (auto& table : list_tables(connection, database)) {
            if (!is_host_table(table)) names.push_back(std::move(table));
        }
    }
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    const Scope scope = scope_of(connection, database);
    Schema schema;
    for (const auto& name : names) {
        SchemaTable table;
        table.name = name;
        table.columns = read_columns(connection, scope, name);
        PrimaryKey primary_key = read_primary_key(connection, scope, name);
        table.foreign_keys = read_foreign_keys(connection, scope, name);
        table.indexes = read_indexes(connection, scope, name, primary_key);
        table.primary_key = primary_key.columns;
        if (database.dialect == "mysql") read_mysql_details(connection, table);
        if (database.dialect == "postgresql") read_postgresql_details(connection, table);
        if (database.dialect == "sqlite") read_sqlite_details(connection, table);
        schema.tables.push_back(std::move(table));
    }
    return schema;
}

}  // namespace migration_host
