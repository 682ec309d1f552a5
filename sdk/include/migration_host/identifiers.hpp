// Header-only identifiers: each dialect's reserved words, the checks every name passes, and quoting as SQLAlchemy 1.4 quotes.
// SPDX-License-Identifier: Apache-2.0
#pragma once

// Plain C++17, standard library only. schema.hpp includes it with the rest of the SDK.

#include <migration_host/dialect.hpp>

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace migration_host::schema {

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

namespace detail {
// a, b, c: the names quoted and comma-separated, as column lists are written.
inline std::string column_list(const std::vector<std::string>& columns, Dialect dialect) {
    return join(columns, ", ", [&](const std::string& c) { return quote_identifier(c, dialect); });
}
}  // namespace detail

}  // namespace migration_host::schema
