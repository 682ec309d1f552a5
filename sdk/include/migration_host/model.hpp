// Header-only schema model after SQLAlchemy's Table/Column: columns, constraints, indexes and tables (types.hpp the types), checked as they are built.
// SPDX-License-Identifier: Apache-2.0
#pragma once

// Plain C++17, standard library only. Nothing here writes SQL: render.hpp writes a
// definition for each dialect, and schema.hpp includes both (see its example).
//
// Supported: Integer, BigInteger, String(n), Text, Float, Numeric, Date, DateTime,
// Boolean and Boolean's CHECK (CheckedBoolean), a String's or Text's MySQL character
// set and collation (types.hpp); primary keys, nullability, autoincrement(false),
// server defaults (raw SQL text), UNIQUE (per column or named, composite), named and
// composite foreign keys with ON DELETE; MySQL engine and charset; indexes. Not
// supported: schemas, ON UPDATE, CHECKs other than a Boolean's, client-side defaults.
// Every constructor checks its input and throws std::invalid_argument when it is wrong.
//
// The members that render SQL (Type::sql, Table::create_sql, drop_sql,
// create_index_sql, column_sql) are declared here for the plugins that call them and
// defined in render.hpp, so that all DDL is written in one place: include schema.hpp
// (or render.hpp) to call them.

#include <migration_host/dialect.hpp>
#include <migration_host/identifiers.hpp>
#include <migration_host/types.hpp>

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace migration_host::schema {

namespace detail {

// Python's repr() of a str, near enough for log lines: 'abc', "it's", '\n'.
inline std::string py_repr(std::string_view text) {
    const bool double_quoted = text.find('\'') != std::string_view::npos &&
                               text.find('"') == std::string_view::npos;
    const char quote = double_quoted ? '"' : '\'';
    std::string out(1, quote);
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '\\') {
            out += "\\\\";
        } else if (c == quote) {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else if (byte < 0x20 || byte == 0x7f) {
            static constexpr char hex[] = "0123456789abcdef";
            out += "\\x";
            out += hex[byte >> 4];
            out += hex[byte & 0x0f];
        } else {
            out += c;
        }
    }
    out += quote;
    return out;
}

}  // namespace detail

// What happens to referencing rows when the referenced row is deleted.
// Rendered as `ON DELETE <action>`; empty means the database's default (NO ACTION).
struct ReferentialAction {
    static constexpr const char* cascade = "CASCADE";
    static constexpr const char* set_null = "SET NULL";
    static constexpr const char* restrict_ = "RESTRICT";
    static constexpr const char* no_action = "NO ACTION";
};

namespace detail {
inline void check_action(const std::string& action) {
    if (action.empty() || action == "CASCADE" || action == "SET NULL" || action == "SET DEFAULT" ||
        action == "RESTRICT" || action == "NO ACTION") {
        return;
    }
    throw std::invalid_argument("unknown ON DELETE action '" + action + "'");
}
}  // namespace detail

// A reference to another table's column, "table.column" (no schema). Rendered as
// a table constraint `[CONSTRAINT name ]FOREIGN KEY(col) REFERENCES table (column)[ ON DELETE x]`.
class ForeignKey {
public:
    explicit ForeignKey(std::string target) : target_(std::move(target)) {
        const auto dot = target_.find('.');
        if (dot == std::string::npos || target_.find('.', dot + 1) != std::string::npos) {
            throw std::invalid_argument("ForeignKey target '" + target_ +
                                        "' is not of the form 'table.column'");
        }
        table_ = target_.substr(0, dot);
        column_ = target_.substr(dot + 1);
        detail::check_name(table_, "ForeignKey target table");
        detail::check_name(column_, "ForeignKey target column");
    }

    // The constraint's name; unnamed (the database picks one) by default.
    ForeignKey named(std::string name) const {
        detail::check_name(name, "foreign key name");
        ForeignKey copy = *this;
        copy.name_ = std::move(name);
        return copy;
    }
    ForeignKey on_delete(std::string action) const {
        detail::check_action(action);
        ForeignKey copy = *this;
        copy.on_delete_ = std::move(action);
        return copy;
    }

    const std::string& target() const noexcept { return target_; }
    const std::string& table() const noexcept { return table_; }
    const std::string& column() const noexcept { return column_; }
    const std::string& name() const noexcept { return name_; }
    const std::string& on_delete_action() const noexcept { return on_delete_; }

private:
    std::string target_;
    std::string table_;
    std::string column_;
    std::string name_;
    std::string on_delete_;
};

// A foreign key over one or more columns, declared on the table (composite keys,
// or any key added to an existing table). `name` may be empty (the database picks one).
struct ForeignKeyConstraint {
    std::string name{};
    std::vector<std::string> columns{};
    std::string referenced_table{};
    std::vector<std::string> referenced_columns{};
    std::string on_delete{};  // empty, or a ReferentialAction
};

// A UNIQUE constraint over one or more columns; `name` may be empty.
struct UniqueConstraint {
    std::string name{};
    std::vector<std::string> columns{};
};

// A column: name, type, optional foreign key, and the flags set by chaining:
//     Column("id", Integer()).primary_key()
//     Column("flavor_id", Integer(), ForeignKey("sm_flavors.id")).nullable(false)
//     Column("status", String(32)).server_default("'new'")
// As in SQLAlchemy, a primary-key column is NOT NULL unless told otherwise, and every
// other column is nullable unless told otherwise. A primary-key column that is
// explicitly nullable(true) is refused by Table.
class Column {
public:
    Column(std::string name, Type type) : name_(std::move(name)), type_(type) {
        detail::check_name(name_, "column name");
    }
    Column(std::string name, Type type, ForeignKey foreign_key)
        : name_(std::move(name)), type_(type), foreign_key_(std::move(foreign_key)) {
        detail::check_name(name_, "column name");
    }

    Column& primary_key(bool on = true) & {
        primary_key_ = on;
        return *this;
    }
    Column primary_key(bool on = true) && {
        primary_key_ = on;
        return std::move(*this);
    }
    Column& nullable(bool on) & {
        nullable_ = on;
        return *this;
    }
    Column nullable(bool on) && {
        nullable_ = on;
        return std::move(*this);
    }
    // A server default: SQL text the database evaluates ("0", "'new'", "CURRENT_TIMESTAMP"),
    // rendered after DEFAULT as given. Write string literals with their quotes.
    Column& server_default(std::string sql) & {
        detail::check_name(sql, "server default");
        server_default_ = std::move(sql);
        return *this;
    }
    Column server_default(std::string sql) && {
        server_default(std::move(sql));
        return std::move(*this);
    }
    // A single-column UNIQUE constraint (unnamed).
    Column& unique(bool on = true) & {
        unique_ = on;
        return *this;
    }
    Column unique(bool on = true) && {
        unique_ = on;
        return std::move(*this);
    }
    // SQLAlchemy's autoincrement=False: the column is never the one the database numbers
    // by itself (Table::autoincrement_column), even as a table's lone Integer primary key,
    // which then renders INTEGER NOT NULL, not SERIAL or AUTO_INCREMENT. true, the default,
    // is SQLAlchemy's "auto".
    Column& autoincrement(bool on) & {
        autoincrement_ = on;
        return *this;
    }
    Column autoincrement(bool on) && {
        autoincrement_ = on;
        return std::move(*this);
    }

    // Copies with one thing changed, for operations that rebuild a definition.
    Column renamed(std::string name) const {
        Column copy = *this;
        detail::check_name(name, "column name");
        copy.name_ = std::move(name);
        return copy;
    }
    Column with_type(Type type) const {
        Column copy = *this;
        copy.type_ = type;
        return copy;
    }
    Column with_foreign_key(std::optional<ForeignKey> foreign_key) const {
        Column copy = *this;
        copy.foreign_key_ = std::move(foreign_key);
        return copy;
    }
    Column with_server_default(std::optional<std::string> sql) const {
        Column copy = *this;
        if (sql) detail::check_name(*sql, "server default");
        copy.server_default_ = std::move(sql);
        return copy;
    }

    const std::string& name() const noexcept { return name_; }
    const Type& type() const noexcept { return type_; }
    const std::optional<ForeignKey>& foreign_key() const noexcept { return foreign_key_; }
    const std::optional<std::string>& default_sql() const noexcept { return server_default_; }
    bool is_primary_key() const noexcept { return primary_key_; }
    bool is_unique() const noexcept { return unique_; }
    // False after autoincrement(false).
    bool allows_autoincrement() const noexcept { return autoincrement_; }
    // What nullable(...) said, or else: not nullable for a primary-key column.
    bool is_nullable() const noexcept { return nullable_.value_or(!primary_key_); }
    // Whether nullable(...) was called at all.
    bool nullable_is_explicit() const noexcept { return nullable_.has_value(); }

private:
    std::string name_;
    Type type_;
    std::optional<ForeignKey> foreign_key_;
    std::optional<std::string> server_default_;
    bool primary_key_ = false;
    bool unique_ = false;
    bool autoincrement_ = true;
    std::optional<bool> nullable_;
};

// A CREATE [UNIQUE] INDEX name ON table (columns...) to run after CREATE TABLE.
struct Index {
    std::string name{};
    std::vector<std::string> columns{};  // names of the table's columns, in index order
    bool unique = false;
};

// Members have default initializers, so TableOptions{"InnoDB"} compiles cleanly with -Wextra.
struct TableOptions {
    std::string mysql_engine{};   // e.g. "InnoDB" -> `)ENGINE=InnoDB`; MySQL only
    std::string mysql_charset{};  // e.g. "utf8" -> `DEFAULT CHARSET=utf8`; MySQL only
    std::vector<Index> indexes{};  // created by create_index_sql(), not by create_sql()
    std::vector<ForeignKeyConstraint> foreign_keys{};  // besides the columns' own
    std::vector<UniqueConstraint> unique_constraints{};
};

class Table {
public:
    // Throws std::invalid_argument for: an empty table name; no columns; two columns
    // of the same name; a primary-key column set nullable(true); an index with an
    // empty or repeated name, no columns, or a column the table lacks; a foreign key
    // or unique constraint without columns or on a column the table lacks, or whose
    // column counts differ; a mysql_engine or mysql_charset with characters other
    // than [A-Za-z0-9_].
    Table(std::string name, std::vector<Column> columns, TableOptions options = {})
        : name_(std::move(name)), columns_(std::move(columns)), options_(std::move(options)) {
        detail::check_name(name_, "table name");
        if (columns_.empty()) throw std::invalid_argument("table '" + name_ + "' has no columns");
        for (const Column& column : columns_) {
            if (find_column(column.name()) != &column) {
                throw std::invalid_argument("table '" + name_ + "' has two columns named '" +
                                            column.name() + "'");
            }
            if (column.is_primary_key() && column.is_nullable()) {
                throw std::invalid_argument("primary-key column '" + name_ + "." + column.name() +
                                            "' cannot be nullable");
            }
        }
        for (std::size_t i = 0; i < options_.indexes.size(); ++i) {
            const Index& index = options_.indexes[i];
            detail::check_name(index.name, "index name");
            for (std::size_t j = 0; j < i; ++j) {
                if (options_.indexes[j].name == index.name) {
                    throw std::invalid_argument("table '" + name_ + "' has two indexes named '" +
                                                index.name + "'");
                }
            }
            check_columns(index.columns, "index '" + index.name + "'");
        }
        for (const ForeignKeyConstraint& fk : options_.foreign_keys) {
            check_columns(fk.columns, "a foreign key");
            detail::check_name(fk.referenced_table, "foreign key's referenced table");
            if (fk.referenced_columns.size() != fk.columns.size()) {
                throw std::invalid_argument("a foreign key of table '" + name_ +
                                            "' names a different number of columns on each side");
            }
            for (const auto& c : fk.referenced_columns) detail::check_name(c, "foreign key's referenced column");
            detail::check_action(fk.on_delete);
        }
        for (const UniqueConstraint& unique : options_.unique_constraints) {
            check_columns(unique.columns, "a unique constraint");
        }
        detail::check_option_word(options_.mysql_engine, "mysql_engine");
        detail::check_option_word(options_.mysql_charset, "mysql_charset");
    }

    const std::string& name() const noexcept { return name_; }
    const std::vector<Column>& columns() const noexcept { return columns_; }
    const TableOptions& options() const noexcept { return options_; }

    const Column* find_column(std::string_view column_name) const noexcept {
        for (const Column& column : columns_) {
            if (column.name() == column_name) return &column;
        }
        return nullptr;
    }

    // Every foreign key, the columns' own first (as ForeignKeyConstraint), in rendering order.
    std::vector<ForeignKeyConstraint> all_foreign_keys() const {
        std::vector<ForeignKeyConstraint> out;
        for (const Column& column : columns_) {
            if (!column.foreign_key()) continue;
            const ForeignKey& fk = *column.foreign_key();
            out.push_back({fk.name(), {column.name()}, fk.table(), {fk.column()}, fk.on_delete_action()});
        }
        out.insert(out.end(), options_.foreign_keys.begin(), options_.foreign_keys.end());
        return out;
    }

    // The column that the database numbers by itself (SQLAlchemy's autoincrement="auto"):
    // the table's only primary-key column, when it is an Integer without a foreign key and
    // not autoincrement(false). nullptr when there is none.
    const Column* autoincrement_column() const noexcept {
        const Column* found = nullptr;
        for (const Column& column : columns_) {
            if (!column.is_primary_key()) continue;
            if (found != nullptr) return nullptr;  // composite primary key
            found = &column;
        }
        if (found == nullptr || found->type().kind() != TypeKind::integer || found->foreign_key() ||
            !found->allows_autoincrement()) {
            return nullptr;
        }
        return found;
    }

    // The statements for this table, kept as members for the plugins that call them;
    // defined in render.hpp through render::create_table, drop_table, create_index and
    // column_sql.

    // One CREATE TABLE statement, laid out as SQLAlchemy lays it out (leading and
    // trailing newlines, a tab before each element), without a semicolon.
    std::string create_sql(Dialect dialect) const;

    // "\nDROP TABLE name", as SQLAlchemy renders it.
    std::string drop_sql(Dialect dialect) const;

    // One `CREATE [UNIQUE] INDEX name ON table (a, b)` per TableOptions::indexes entry, in order.
    std::vector<std::string> create_index_sql(Dialect dialect) const;

    // `CREATE [UNIQUE] INDEX name ON table (a, b)` for one index of this table.
    std::string create_index_sql(const Index& index, Dialect dialect) const;

    // Column SQL as CREATE TABLE and ADD COLUMN write it: `name TYPE [DEFAULT x][ NOT NULL]`,
    // plus SERIAL / AUTO_INCREMENT for the autoincrement column.
    static std::string column_sql(const Column& column, Dialect dialect, bool autoincrement = false);

    // As SQLAlchemy's repr(table), for a log line when creating the table fails:
    // Table('t', MetaData(), Column('id', Integer(), table=<t>, primary_key=True,
    // nullable=False), ..., schema=None)
    std::string repr() const {
        std::string out = "Table(" + detail::py_repr(name_) + ", MetaData()";
        for (const Column& column : columns_) {
            out += ", Column(" + detail::py_repr(column.name()) + ", " + column.type().repr();
            if (column.foreign_key()) {
                out += ", ForeignKey(" + detail::py_repr(column.foreign_key()->target()) + ")";
            }
            out += ", table=<" + name_ + ">";
            if (column.is_primary_key()) out += ", primary_key=True";
            if (!column.is_nullable()) out += ", nullable=False";
            out += ")";
        }
        out += ", schema=None)";
        return out;
    }

private:
    void check_columns(const std::vector<std::string>& columns, const std::string& what) const {
        if (columns.empty()) throw std::invalid_argument(what + " of table '" + name_ + "' has no columns");
        for (const std::string& column : columns) {
            if (find_column(column) == nullptr) {
                throw std::invalid_argument(what + " names column '" + column + "', which table '" + name_ +
                                            "' does not have");
            }
        }
    }

    std::string name_;
    std::vector<Column> columns_;
    TableOptions options_;
};

}  // namespace migration_host::schema
