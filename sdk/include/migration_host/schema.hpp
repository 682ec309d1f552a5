// Header-only schema DSL after SQLAlchemy's Table/Column: renders CREATE TABLE, DROP TABLE and CREATE INDEX as SQLAlchemy 1.4 does for SQLite, MySQL and PostgreSQL.
// SPDX-License-Identifier: Apache-2.0
#pragma once

// Plain C++17, standard library only, so that any plugin can use it.
//
// Example (SQLAlchemy's `Table('t', meta, Column('id', Integer, primary_key=True), ...)`):
//
//     using namespace migration_host::schema;
//     Table volumes("volumes", {
//         Column("id", String(36)).primary_key(),
//         Column("size", Integer()),
//         Column("volume_type_id", Integer(), ForeignKey("volume_types.id")).nullable(false),
//     }, TableOptions{"InnoDB"});
//     std::string ddl = volumes.create_sql(Dialect::mysql);
//
// What is rendered is what SQLAlchemy 1.4 renders for the same definition (checked
// against SQLAlchemy 1.4.46), with two deliberate differences, both only ever adding
// quotes or words that the database reads the same way:
// - identifiers are quoted a little more often (see quote_identifier), and
// - TableOptions::mysql_charset renders as `DEFAULT CHARSET=x` (SQLAlchemy's
//   mysql_charset renders `CHARSET=x`; MySQL reads both as the table's default).
//
// Also: server defaults (raw SQL text), UNIQUE (per column or named, composite),
// named and composite foreign keys with ON DELETE, Boolean's CHECK (CheckedBoolean),
// BigInteger, Float, Numeric, Date. Not supported: schemas, ON UPDATE, CHECKs other
// than a Boolean's, client-side defaults.
// Every constructor checks its input and throws std::invalid_argument when it is wrong.

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace migration_host::schema {

enum class Dialect { sqlite, mysql, postgresql };

// "sqlite", "mysql" or "postgresql" (SQLAlchemy's dialect names); nullopt otherwise.
inline std::optional<Dialect> dialect_from_name(std::string_view name) {
    if (name == "sqlite") return Dialect::sqlite;
    if (name == "mysql") return Dialect::mysql;
    if (name == "postgresql") return Dialect::postgresql;
    return std::nullopt;
}

// dialect_from_name for steps that only know these three: throws
// std::invalid_argument naming the dialect otherwise (the SDK guard turns that
// into the step's error message).
inline Dialect require_dialect(std::string_view name) {
    if (const auto dialect = dialect_from_name(name)) return *dialect;
    throw std::invalid_argument("this step supports sqlite, mysql and postgresql, not '" + std::string(name) + "'");
}

// The inverse of dialect_from_name.
inline std::string_view dialect_name(Dialect dialect) {
    switch (dialect) {
        case Dialect::sqlite: return "sqlite";
        case Dialect::mysql: return "mysql";
        case Dialect::postgresql: return "postgresql";
    }
    return "unknown";
}

namespace detail {

// Reserved words, lower case. Quoted in every dialect: the SQL-92 reserved words
// (END-EXEC, with its hyphen, is quoted anyway) and k_reserved_always.
inline constexpr std::string_view k_reserved_sql92[] = {
    "absolute", "action", "add", "all", "allocate", "alter", "and", "any", "are", "as", "asc",
    "assertion", "at", "authorization", "avg", "begin", "between", "bit", "bit_length", "both",
    "by", "cascade", "cascaded", "case", "cast", "catalog", "char", "char_length", "character",
    "character_length", "check", "close", "coalesce", "collate", "collation", "column",
    "commit", "connect", "connection", "constraint", "constraints", "continue", "convert",
    "corresponding", "count", "create", "cross", "current", "current_date", "current_time",
    "current_timestamp", "current_user", "cursor", "date", "day", "deallocate", "dec",
    "decimal", "declare", "default", "deferrable", "deferred", "delete", "desc", "describe",
    "descriptor", "diagnostics", "disconnect", "distinct", "domain", "double", "drop", "else",
    "end", "escape", "except", "exception", "exec", "execute", "exists", "external", "extract",
    "false", "fetch", "first", "float", "for", "foreign", "found", "from", "full", "get",
    "global", "go", "goto", "grant", "group", "having", "hour", "identity", "immediate", "in",
    "indicator", "initially", "inner", "input", "insensitive", "insert", "int", "integer",
    "intersect", "interval", "into", "is", "isolation", "join", "key", "language", "last",
    "leading", "left", "level", "like", "local", "lower", "match", "max", "min", "minute",
    "module", "month", "names", "national", "natural", "nchar", "next", "no", "not", "null",
    "nullif", "numeric", "octet_length", "of", "on", "only", "open", "option", "or", "order",
    "outer", "output", "overlaps", "pad", "partial", "position", "precision", "prepare",
    "preserve", "primary", "prior", "privileges", "procedure", "public", "read", "real",
    "references", "relative", "restrict", "revoke", "right", "rollback", "rows", "schema",
    "scroll", "second", "section", "select", "session", "session_user", "set", "size",
    "smallint", "some", "space", "sql", "sqlcode", "sqlerror", "sqlstate", "substring", "sum",
    "system_user", "table", "temporary", "then", "time", "timestamp", "timezone_hour",
    "timezone_minute", "to", "trailing", "transaction", "translate", "trim", "true", "union",
    "unique", "unknown", "update", "upper", "usage", "user", "using", "value", "values",
    "varchar", "varying", "view", "when", "whenever", "where", "with", "work", "write", "year",
    "zone"};
// Quoted in one dialect: SQLAlchemy 1.4's IdentifierPreparer.reserved_words for it.
inline constexpr std::string_view k_reserved_sqlite[] = {
    "add", "after", "all", "alter", "analyze", "and", "as", "asc", "attach", "autoincrement",
    "before", "begin", "between", "by", "cascade", "case", "cast", "check", "collate", "column",
    "commit", "conflict", "constraint", "create", "cross", "current_date", "current_time",
    "current_timestamp", "database", "default", "deferrable", "deferred", "delete", "desc",
    "detach", "distinct", "drop", "each", "else", "end", "escape", "except", "exclusive",
    "exists", "explain", "fail", "false", "for", "foreign", "from", "full", "glob", "group",
    "having", "if", "ignore", "immediate", "in", "index", "indexed", "initially", "inner",
    "insert", "instead", "intersect", "into", "is", "isnull", "join", "key", "left", "like",
    "limit", "match", "natural", "not", "notnull", "null", "of", "offset", "on", "or", "order",
    "outer", "plan", "pragma", "primary", "query", "raise", "references", "reindex", "rename",
    "replace", "restrict", "right", "rollback", "row", "select", "set", "table", "temp",
    "temporary", "then", "to", "transaction", "trigger", "true", "union", "unique", "update",
    "using", "vacuum", "values", "view", "virtual", "when", "where"};
inline constexpr std::string_view k_reserved_mysql[] = {
    "accessible", "add", "admin", "all", "alter", "analyze", "and", "array", "as", "asc",
    "asensitive", "before", "between", "bigint", "binary", "blob", "both", "by", "call",
    "cascade", "case", "change", "char", "character", "check", "collate", "column", "condition",
    "constraint", "continue", "convert", "create", "cross", "cube", "cume_dist", "current_date",
    "current_time", "current_timestamp", "current_user", "cursor", "database", "databases",
    "day_hour", "day_microsecond", "day_minute", "day_second", "dec", "decimal", "declare",
    "default", "delayed", "delete", "dense_rank", "desc", "describe", "deterministic",
    "distinct", "distinctrow", "div", "double", "drop", "dual", "each", "else", "elseif",
    "empty", "enclosed", "escaped", "except", "exists", "exit", "explain", "false", "fetch",
    "first_value", "float", "float4", "float8", "for", "force", "foreign", "from", "fulltext",
    "function", "general", "generated", "get", "get_master_public_key", "grant", "group",
    "grouping", "groups", "having", "high_priority", "hour_microsecond", "hour_minute",
    "hour_second", "if", "ignore", "ignore_server_ids", "in", "index", "infile", "inner",
    "inout", "insensitive", "insert", "int", "int1", "int2", "int3", "int4", "int8", "integer",
    "interval", "into", "io_after_gtids", "io_before_gtids", "is", "iterate", "join",
    "json_table", "key", "keys", "kill", "lag", "last_value", "lateral", "lead", "leading",
    "leave", "left", "like", "limit", "linear", "lines", "load", "localtime", "localtimestamp",
    "lock", "long", "longblob", "longtext", "loop", "low_priority", "master_bind",
    "master_heartbeat_period", "master_ssl_verify_server_cert", "match", "maxvalue",
    "mediumblob", "mediumint", "mediumtext", "member", "middleint", "minute_microsecond",
    "minute_second", "mod", "modifies", "natural", "no_write_to_binlog", "not", "nth_value",
    "ntile", "null", "numeric", "of", "on", "optimize", "optimizer_costs", "option",
    "optionally", "or", "order", "out", "outer", "outfile", "over", "parse_gcol_expr",
    "partition", "percent_rank", "persist", "persist_only", "precision", "primary", "procedure",
    "purge", "range", "rank", "read", "read_write", "reads", "real", "recursive", "references",
    "regexp", "release", "rename", "repeat", "replace", "require", "resignal", "restrict",
    "return", "revoke", "right", "rlike", "role", "row", "row_number", "rows", "schema",
    "schemas", "second_microsecond", "select", "sensitive", "separator", "set", "show",
    "signal", "slow", "smallint", "spatial", "specific", "sql", "sql_after_gtids",
    "sql_before_gtids", "sql_big_result", "sql_calc_found_rows", "sql_small_result",
    "sqlexception", "sqlstate", "sqlwarning", "ssl", "starting", "stored", "straight_join",
    "system", "table", "terminated", "then", "tinyblob", "tinyint", "tinytext", "to",
    "trailing", "trigger", "true", "undo", "union", "unique", "unlock", "unsigned", "update",
    "usage", "use", "using", "utc_date", "utc_time", "utc_timestamp", "values", "varbinary",
    "varchar", "varcharacter", "varying", "virtual", "when", "where", "while", "window", "with",
    "write", "xor", "year_month", "zerofill"};
inline constexpr std::string_view k_reserved_postgresql[] = {
    "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric",
    "authorization", "between", "binary", "both", "case", "cast", "check", "collate", "column",
    "constraint", "create", "cross", "current_catalog", "current_date", "current_role",
    "current_schema", "current_time", "current_timestamp", "current_user", "default",
    "deferrable", "desc", "distinct", "do", "else", "end", "except", "false", "fetch", "for",
    "foreign", "freeze", "from", "full", "grant", "group", "having", "ilike", "in", "initially",
    "inner", "intersect", "into", "is", "isnull", "join", "leading", "left", "like", "limit",
    "localtime", "localtimestamp", "natural", "new", "not", "notnull", "null", "of", "off",
    "offset", "old", "on", "only", "or", "order", "outer", "over", "overlaps", "placing",
    "primary", "references", "returning", "right", "select", "session_user", "similar", "some",
    "symmetric", "table", "then", "to", "trailing", "true", "union", "unique", "user", "using",
    "variadic", "verbose", "when", "where", "window", "with"};
// Not SQL-92 words, nor reserved in every dialect's list above, but quoted everywhere.
inline constexpr std::string_view k_reserved_always[] = {"binary", "index"};

template <std::size_t N>
bool contains(const std::string_view (&words)[N], std::string_view word) {
    return std::find(std::begin(words), std::end(words), word) != std::end(words);
}

inline bool is_reserved(std::string_view lower_word, Dialect dialect) {
    if (contains(k_reserved_sql92, lower_word) || contains(k_reserved_always, lower_word)) return true;
    switch (dialect) {
        case Dialect::sqlite: return contains(k_reserved_sqlite, lower_word);
        case Dialect::mysql: return contains(k_reserved_mysql, lower_word);
        case Dialect::postgresql: return contains(k_reserved_postgresql, lower_word);
    }
    return true;
}

inline void check_name(std::string_view name, const char* what) {
    if (name.empty()) throw std::invalid_argument(std::string(what) + " must not be empty");
    if (name.find('\0') != std::string_view::npos) {
        throw std::invalid_argument(std::string(what) + " must not contain a NUL character");
    }
}

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

template <typename Range, typename Fn>
std::string join(const Range& items, std::string_view separator, Fn&& render) {
    std::string out;
    bool first = true;
    for (const auto& item : items) {
        if (!first) out += separator;
        first = false;
        out += render(item);
    }
    return out;
}

}  // namespace detail

// `name` as the dialect needs it written in SQL: unchanged when it is a plain
// lower-case identifier, otherwise in the dialect's quotes (`x` for MySQL, "x" for
// SQLite and PostgreSQL) with every quote character inside doubled.
// Quoted when: it is a reserved word of the dialect (SQLAlchemy 1.4's list for it,
// plus every SQL-92 reserved word, "binary" and "index"); it has a character other
// than [a-z0-9_] (upper case, '$', space, quotes, non-ASCII...); or it starts with
// a digit. SQLAlchemy 1.4 quotes the same way, only less often: it leaves unquoted a
// '$' that is not the first character, and the words of SQL-92, "binary" and "index"
// that its list for the dialect lacks (such as size and value everywhere, key on
// PostgreSQL, binary on SQLite). A quoted lower-case name means the same as unquoted.
// Throws std::invalid_argument for an empty name or one with a NUL character.
inline std::string quote_identifier(std::string_view name, Dialect dialect) {
    detail::check_name(name, "identifier");
    const auto plain = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; };
    const bool needs_quotes = !std::all_of(name.begin(), name.end(), plain) ||
                              (name.front() >= '0' && name.front() <= '9') ||
                              detail::is_reserved(name, dialect);
    if (!needs_quotes) return std::string(name);
    const char quote = dialect == Dialect::mysql ? '`' : '"';
    std::string out(1, quote);
    for (const char c : name) {
        out += c;
        if (c == quote) out += c;
    }
    out += quote;
    return out;
}
// A column type. Make one with the factories below: Integer(), BigInteger(),
// String(n), Text(), Float(), Numeric(p, s), Date(), DateTime(), Boolean().
enum class TypeKind { integer, string, datetime, boolean, text, big_integer, float_, numeric, date };

class Type {
public:
    // `length` is for strings only (and must then be > 0); 0 for every other kind.
    explicit Type(TypeKind kind, std::size_t length = 0) : kind_(kind), length_(length) {
        if (kind == TypeKind::string && length == 0) {
            throw std::invalid_argument("String length must be greater than 0");
        }
        if (kind != TypeKind::string && length != 0) {
            throw std::invalid_argument("only String has a length");
        }
    }

    // Numeric(precision, scale): 0 < precision, scale <= precision.
    static Type numeric(std::size_t precision, std::size_t scale) {
        if (precision == 0 || scale > precision) {
            throw std::invalid_argument("Numeric needs 0 < precision and scale <= precision");
        }
        Type type(TypeKind::numeric);
        type.precision_ = precision;
        type.scale_ = scale;
        return type;
    }
    // Boolean(create_constraint=True): a CHECK (name IN (0, 1)) where the dialect has no
    // native boolean (SQLite, MySQL), as SQLAlchemy 1.4 renders it.
    static Type boolean_with_check() {
        Type type(TypeKind::boolean);
        type.check_ = true;
        return type;
    }

    TypeKind kind() const noexcept { return kind_; }
    std::size_t length() const noexcept { return length_; }
    std::size_t precision() const noexcept { return precision_; }
    std::size_t scale() const noexcept { return scale_; }
    bool creates_check() const noexcept { return check_; }

    // The type as the dialect's DDL writes it: INTEGER, BIGINT, VARCHAR(255), TEXT, FLOAT,
    // NUMERIC(p, s), DATE, DATETIME (MySQL, SQLite) or TIMESTAMP WITHOUT TIME ZONE
    // (PostgreSQL), BOOLEAN or BOOL (MySQL).
    std::string sql(Dialect dialect) const {
        switch (kind_) {
            case TypeKind::integer: return "INTEGER";
            case TypeKind::string: return "VARCHAR(" + std::to_string(length_) + ")";
            case TypeKind::datetime:
                return dialect == Dialect::postgresql ? "TIMESTAMP WITHOUT TIME ZONE" : "DATETIME";
            case TypeKind::boolean: return dialect == Dialect::mysql ? "BOOL" : "BOOLEAN";
            case TypeKind::text: return "TEXT";
            case TypeKind::big_integer: return "BIGINT";
            case TypeKind::float_: return "FLOAT";
            case TypeKind::numeric:
                return "NUMERIC(" + std::to_string(precision_) + ", " + std::to_string(scale_) + ")";
            case TypeKind::date: return "DATE";
        }
        return "";
    }

    // As SQLAlchemy's repr(): Integer(), String(length=255), DateTime(), Boolean(), Text(), ...
    std::string repr() const {
        switch (kind_) {
            case TypeKind::integer: return "Integer()";
            case TypeKind::string: return "String(length=" + std::to_string(length_) + ")";
            case TypeKind::datetime: return "DateTime()";
            case TypeKind::boolean: return check_ ? "Boolean(create_constraint=True)" : "Boolean()";
            case TypeKind::text: return "Text()";
            case TypeKind::big_integer: return "BigInteger()";
            case TypeKind::float_: return "Float()";
            case TypeKind::numeric:
                return "Numeric(precision=" + std::to_string(precision_) + ", scale=" + std::to_string(scale_) + ")";
            case TypeKind::date: return "Date()";
        }
        return "";
    }

    friend bool operator==(const Type& a, const Type& b) noexcept {
        return a.kind_ == b.kind_ && a.length_ == b.length_ && a.precision_ == b.precision_ &&
               a.scale_ == b.scale_ && a.check_ == b.check_;
    }
    friend bool operator!=(const Type& a, const Type& b) noexcept { return !(a == b); }

private:
    TypeKind kind_;
    std::size_t length_;
    std::size_t precision_ = 0;
    std::size_t scale_ = 0;
    bool check_ = false;
};

inline Type Integer() { return Type(TypeKind::integer); }
inline Type BigInteger() { return Type(TypeKind::big_integer); }
inline Type String(std::size_t length) { return Type(TypeKind::string, length); }
inline Type Text() { return Type(TypeKind::text); }
inline Type Float() { return Type(TypeKind::float_); }
inline Type Numeric(std::size_t precision, std::size_t scale) { return Type::numeric(precision, scale); }
inline Type Date() { return Type(TypeKind::date); }
inline Type DateTime() { return Type(TypeKind::datetime); }
inline Type Boolean() { return Type(TypeKind::boolean); }  // renders no CHECK constraint
// Boolean(create_constraint=True): CHECK (col IN (0, 1)) on SQLite and MySQL.
inline Type CheckedBoolean() { return Type::boolean_with_check(); }

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

namespace detail {
inline std::string column_list(const std::vector<std::string>& columns, Dialect dialect) {
    return join(columns, ", ", [&](const std::string& c) { return quote_identifier(c, dialect); });
}
}  // namespace detail

// `[CONSTRAINT name ]FOREIGN KEY(a, b) REFERENCES t (x, y)[ ON DELETE action]`
inline std::string foreign_key_sql(const ForeignKeyConstraint& fk, Dialect dialect) {
    std::string out;
    if (!fk.name.empty()) out += "CONSTRAINT " + quote_identifier(fk.name, dialect) + " ";
    out += "FOREIGN KEY(" + detail::column_list(fk.columns, dialect) + ") REFERENCES " +
           quote_identifier(fk.referenced_table, dialect) + " (" +
           detail::column_list(fk.referenced_columns, dialect) + ")";
    if (!fk.on_delete.empty()) out += " ON DELETE " + fk.on_delete;
    return out;
}

// `[CONSTRAINT name ]UNIQUE (a, b)`
inline std::string unique_sql(const UniqueConstraint& unique, Dialect dialect) {
    std::string out;
    if (!unique.name.empty()) out += "CONSTRAINT " + quote_identifier(unique.name, dialect) + " ";
    return out + "UNIQUE (" + detail::column_list(unique.columns, dialect) + ")";
}

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
        check_option(options_.mysql_engine, "mysql_engine");
        check_option(options_.mysql_charset, "mysql_charset");
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
    // the table's only primary-key column, when it is an Integer without a foreign key.
    // nullptr when there is none.
    const Column* autoincrement_column() const noexcept {
        const Column* found = nullptr;
        for (const Column& column : columns_) {
            if (!column.is_primary_key()) continue;
            if (found != nullptr) return nullptr;  // composite primary key
            found = &column;
        }
        if (found == nullptr || found->type().kind() != TypeKind::integer || found->foreign_key()) {
            return nullptr;
        }
        return found;
    }

    // One CREATE TABLE statement, laid out as SQLAlchemy lays it out (leading and
    // trailing newlines, a tab before each element), without a semicolon.
    std::string create_sql(Dialect dialect) const {
        const Column* autoincrement = autoincrement_column();
        std::string out = "\nCREATE TABLE " + quote_identifier(name_, dialect) + " (";
        std::string_view separator = "\n";
        for (const Column& column : columns_) {
            out += separator;
            out += '\t';
            out += column_sql(column, dialect, &column == autoincrement);
            separator = ", \n";
        }
        std::vector<std::string> constraints;
        std::vector<const Column*> primary_key;
        for (const Column& column : columns_) {
            if (column.is_primary_key()) primary_key.push_back(&column);
        }
        if (!primary_key.empty()) {
            constraints.push_back("PRIMARY KEY (" +
                                  detail::join(primary_key, ", ",
                                               [&](const Column* column) {
                                                   return quote_identifier(column->name(), dialect);
                                               }) +
                                  ")");
        }
        // SQLAlchemy 1.4 puts a Boolean's CHECK right after the primary key, where the
        // dialect has no native boolean.
        if (dialect != Dialect::postgresql) {
            for (const Column& column : columns_) {
                if (column.type().creates_check()) {
                    constraints.push_back("CHECK (" + quote_identifier(column.name(), dialect) + " IN (0, 1))");
                }
            }
        }
        for (const ForeignKeyConstraint& fk : all_foreign_keys()) constraints.push_back(foreign_key_sql(fk, dialect));
        for (const Column& column : columns_) {
            if (column.is_unique()) constraints.push_back(unique_sql({"", {column.name()}}, dialect));
        }
        for (const UniqueConstraint& unique : options_.unique_constraints) {
            constraints.push_back(unique_sql(unique, dialect));
        }
        if (!constraints.empty()) {
            out += separator;
            out += '\t';
            out += detail::join(constraints, ", \n\t", [](const std::string& c) { return c; });
        }
        out += "\n)";
        if (dialect == Dialect::mysql) {
            std::vector<std::string> table_options;
            if (!options_.mysql_engine.empty()) table_options.push_back("ENGINE=" + options_.mysql_engine);
            if (!options_.mysql_charset.empty()) {
                table_options.push_back("DEFAULT CHARSET=" + options_.mysql_charset);
            }
            out += detail::join(table_options, " ", [](const std::string& o) { return o; });
        }
        out += "\n\n";
        return out;
    }

    // "\nDROP TABLE name", as SQLAlchemy renders it.
    std::string drop_sql(Dialect dialect) const {
        return "\nDROP TABLE " + quote_identifier(name_, dialect);
    }

    // One `CREATE [UNIQUE] INDEX name ON table (a, b)` per TableOptions::indexes entry, in order.
    std::vector<std::string> create_index_sql(Dialect dialect) const {
        std::vector<std::string> out;
        for (const Index& index : options_.indexes) out.push_back(create_index_sql(index, dialect));
        return out;
    }

    // `CREATE [UNIQUE] INDEX name ON table (a, b)` for one index of this table.
    std::string create_index_sql(const Index& index, Dialect dialect) const {
        return std::string("CREATE ") + (index.unique ? "UNIQUE " : "") + "INDEX " +
               quote_identifier(index.name, dialect) + " ON " + quote_identifier(name_, dialect) + " (" +
               detail::column_list(index.columns, dialect) + ")";
    }

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

    // Column SQL as CREATE TABLE and ADD COLUMN write it: `name TYPE [DEFAULT x][ NOT NULL]`,
    // plus SERIAL / AUTO_INCREMENT for the autoincrement column.
    static std::string column_sql(const Column& column, Dialect dialect, bool autoincrement = false) {
        std::string out = quote_identifier(column.name(), dialect) + " ";
        out += (autoincrement && dialect == Dialect::postgresql) ? "SERIAL" : column.type().sql(dialect);
        if (column.default_sql()) out += " DEFAULT " + *column.default_sql();
        if (!column.is_nullable()) out += " NOT NULL";
        if (autoincrement && dialect == Dialect::mysql) out += " AUTO_INCREMENT";
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

    static void check_option(const std::string& value, const char* what) {
        const auto ok = [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        };
        if (!std::all_of(value.begin(), value.end(), ok)) {
            throw std::invalid_argument(std::string(what) + " '" + value +
                                        "' may only contain letters, digits and '_'");
        }
    }

    std::string name_;
    std::vector<Column> columns_;
    TableOptions options_;
};

}  // namespace migration_host::schema
