// Makes a schema of the catalog's rows: plain, canonical data of tables, columns, keys, indexes and views.
// SPDX-License-Identifier: Apache-2.0
#include "database/schema_catalog.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <tuple>

#include "database/catalog_rows.hpp"

namespace migration_host {
namespace {

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
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

std::vector<SchemaColumn> canonical_columns(std::vector<catalog::ColumnRow> rows, const DatabaseInfo& database) {
    std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.position < b.position; });
    std::vector<SchemaColumn> columns;
    for (auto& row : rows) {
        SchemaColumn column;
        column.name = std::move(row.name);
        ColumnType type = canonical_type(row.type_name, row.column_size, row.decimal_digits);
        column.type = std::move(type.name);
        column.size = type.size;
        column.scale = type.scale;
        column.nullable = row.nullable;
        column.default_value = canonical_default(row.default_value);
        column.auto_increment = row.auto_increment;
        // The sequence's name in a SERIAL's default is not part of the schema worth comparing: it is made up from
        // the table's name when the table is created. psqlODBC calls a SERIAL's type "serial" (bigserial): the
        // column is an integer whose auto-increment is said on its own.
        if (database.dialect == schema::Dialect::postgresql && column.auto_increment) {
            column.default_value.reset();
            if (column.type == "serial") column.type = "int4";
            if (column.type == "bigserial") column.type = "int8";
            if (column.type == "smallserial") column.type = "int2";
        }
        columns.push_back(std::move(column));
    }
    return columns;
}

// In key order; the name is the database's (MySQL's PRIMARY, PostgreSQL's <table>_pkey, none on SQLite).
struct PrimaryKey {
    std::string name;
    std::vector<std::string> columns;
};

PrimaryKey canonical_primary_key(std::vector<catalog::KeyColumnRow> rows) {
    std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.sequence < b.sequence; });
    PrimaryKey key;
    for (auto& row : rows) {
        key.name = row.key;
        key.columns.push_back(std::move(row.column));
    }
    return key;
}

std::vector<SchemaForeignKey> canonical_foreign_keys(const std::vector<catalog::ForeignKeyRow>& rows) {
    // A key's rows share its FK_NAME; where the driver gives no name (SQLite), a key starts at KEY_SEQ 1.
    std::vector<std::pair<SchemaForeignKey, std::vector<std::int64_t>>> keys;
    std::map<std::string, std::size_t> by_name;
    for (const auto& row : rows) {
        const std::string& key_name = row.column.key;
        const auto sequence = row.column.sequence;
        std::size_t index = keys.size();
        if (!key_name.empty() && by_name.count(key_name)) {
            index = by_name[key_name];
        } else if (key_name.empty() && sequence != 1 && !keys.empty()) {
            index = keys.size() - 1;
        }
        if (index == keys.size()) {
            keys.emplace_back();
            keys.back().first.name = key_name;
            keys.back().first.referenced_table = row.referenced_table;
            if (!key_name.empty()) by_name[key_name] = index;
        }
        auto& [key, sequences] = keys[index];
        const auto at = std::upper_bound(sequences.begin(), sequences.end(), sequence) - sequences.begin();
        sequences.insert(sequences.begin() + at, sequence);
        key.columns.insert(key.columns.begin() + at, row.column.column);
        key.referenced_columns.insert(key.referenced_columns.begin() + at, row.referenced_column);
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
std::vector<SchemaIndex> canonical_indexes(const std::vector<catalog::IndexRow>& rows, PrimaryKey& primary_key) {
    std::map<std::string, std::pair<SchemaIndex, std::vector<std::int64_t>>> by_name;
    for (const auto& row : rows) {
        auto& [index, positions] = by_name[row.column.key];
        index.name = row.column.key;
        index.unique = row.unique;
        const auto position = row.column.sequence;
        const auto at = std::upper_bound(positions.begin(), positions.end(), position) - positions.begin();
        positions.insert(positions.begin() + at, position);
        index.columns.insert(index.columns.begin() + at, row.column.column);
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

SchemaTable canonical_table(catalog::RelationRows&& rows, const DatabaseInfo& database) {
    SchemaTable table;
    table.name = std::move(rows.name);
    table.columns = canonical_columns(std::move(rows.columns), database);
    PrimaryKey primary_key = canonical_primary_key(std::move(rows.primary_key));
    table.foreign_keys = canonical_foreign_keys(rows.foreign_keys);
    table.indexes = canonical_indexes(rows.indexes, primary_key);
    table.primary_key = std::move(primary_key.columns);
    table.engine = std::move(rows.engine);
    table.collation = std::move(rows.collation);
    table.charset = std::move(rows.charset);
    // SQLite's auto-increment is the rowid: a rowid table's single INTEGER PRIMARY KEY column is an alias for it.
    if (database.dialect == schema::Dialect::sqlite && rows.rowid && table.primary_key.size() == 1) {
        for (auto& column : table.columns) {
            if (column.name == table.primary_key.front() && column.type == "integer") column.auto_increment = true;
        }
    }
    return table;
}

}  // namespace

const SchemaTable* Schema::find(std::string_view table) const {
    const auto found = std::find_if(tables.begin(), tables.end(),
                                    [&](const SchemaTable& candidate) { return candidate.name == table; });
    return found == tables.end() ? nullptr : &*found;
}

const SchemaView* Schema::find_view(std::string_view view) const {
    const auto found =
        std::find_if(views.begin(), views.end(), [&](const SchemaView& candidate) { return candidate.name == view; });
    return found == views.end() ? nullptr : &*found;
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

Relations list_relations(const odbc::Connection& connection, const DatabaseInfo& database, CatalogReader reader) {
    if (reader == CatalogReader::queries && database.dialect != schema::Dialect::sqlite) {
        return catalog::list_relations_with_queries(connection, database);
    }
    return catalog::list_relations_with_functions(connection, database);
}

Schema read_schema(const odbc::Connection& connection, const DatabaseInfo& database,
                   const std::vector<std::string>& names, CatalogReader reader) {
    const Relations existing = list_relations(connection, database, reader);
    Relations wanted;
    const auto is_wanted = [&](const std::string& name) {
        return names.empty() || std::find(names.begin(), names.end(), name) != names.end();
    };
    for (const auto& table : existing.tables) {
        if (names.empty() ? !is_host_table(table) : is_wanted(table)) wanted.tables.push_back(table);
    }
    for (const auto& view : existing.views) {
        if (is_wanted(view)) wanted.views.push_back(view);
    }
    std::vector<catalog::RelationRows> relations = reader == CatalogReader::queries && database.dialect != schema::Dialect::sqlite
                                                       ? catalog::read_with_queries(connection, database, wanted)
                                                       : catalog::read_with_functions(connection, database, wanted);
    Schema schema;
    for (auto& relation : relations) {
        if (relation.view) {
            schema.views.push_back({relation.name, canonical_columns(std::move(relation.columns), database)});
        } else {
            schema.tables.push_back(canonical_table(std::move(relation), database));
        }
    }
    std::sort(schema.tables.begin(), schema.tables.end(),
              [](const SchemaTable& a, const SchemaTable& b) { return a.name < b.name; });
    std::sort(schema.views.begin(), schema.views.end(),
              [](const SchemaView& a, const SchemaView& b) { return a.name < b.name; });
    return schema;
}

}  // namespace migration_host
