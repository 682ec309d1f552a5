// Reads and writes each track's version in sqlalchemy-migrate's migrate_version table, refusing what it cannot read
// SPDX-License-Identifier: Apache-2.0
// exactly.
#include "engine/version_state.hpp"

#include <fmt/format.h>
#include <migration_host/render.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>

#include "exit_codes.hpp"

namespace migration_host {
namespace {

constexpr std::string_view sqlalchemy_migrate_layout =
    "sqlalchemy-migrate's table (repository_id VARCHAR(250) NOT NULL, repository_path TEXT, version INTEGER, "
    "PRIMARY KEY (repository_id))";

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

// Integer affinity on SQLite (its rule: the declared type contains "INT"); the integer types elsewhere.
bool is_integer_type(const DatabaseInfo& database, const std::string& declared) {
    if (database.dialect == schema::Dialect::sqlite) return declared.find("int") != std::string::npos;
    if (database.dialect == schema::Dialect::mysql) {
        return declared == "tinyint" || declared == "smallint" || declared == "mediumint" || declared == "int" ||
               declared == "integer" || declared == "bigint";
    }
    return declared == "smallint" || declared == "integer" || declared == "bigint";
}

// Lower-case column name -> lower-case declared type, from the database's own catalog; empty when the host does
// not know how to ask it.
std::map<std::string, std::string> declared_columns(const odbc::Connection& connection, const DatabaseInfo& database,
                                                    const std::string& table) {
    std::string sql;
    if (database.dialect == schema::Dialect::sqlite) {
        sql = "SELECT name, type FROM pragma_table_info(?)";
    } else if (database.dialect == schema::Dialect::mysql) {
        sql =
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = DATABASE() AND "
            "table_name = ?";
    } else if (database.dialect == schema::Dialect::postgresql) {
        sql =
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name = ?";
    } else {
        return {};
    }
    std::map<std::string, std::string> columns;
    for (const auto& row : connection.query(sql, {table})) {
        if (row.size() >= 2 && row[0]) columns[lower(*row[0])] = lower(row[1].value_or(""));
    }
    return columns;
}

// What `table` is in the connection's current database/schema, in information_schema's words ("BASE TABLE", "VIEW",
// MariaDB's "SYSTEM VERSIONED", ...); nullopt when nothing has that name. Databases whose catalog the host does not
// know answer "BASE TABLE" for any table a probe finds.
std::optional<std::string> table_type(const odbc::Connection& connection, const DatabaseInfo& database,
                                      const std::string& table) {
    std::string sql;
    if (database.dialect == schema::Dialect::sqlite) {
        sql =
            "SELECT CASE type WHEN 'table' THEN 'BASE TABLE' ELSE 'VIEW' END FROM sqlite_master WHERE type IN "
            "('table', 'view') AND name = ?";
    } else if (database.dialect == schema::Dialect::mysql) {
        sql = "SELECT table_type FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?";
    } else if (database.dialect == schema::Dialect::postgresql) {
        sql =
            "SELECT table_type FROM information_schema.tables WHERE table_schema = current_schema() AND "
            "table_name = ?";
    } else {
        if (!table_exists(connection, database, table)) return std::nullopt;
        return std::string("BASE TABLE");
    }
    const auto rows = connection.query(sql, {table});
    if (rows.empty() || rows.front().empty()) return std::nullopt;
    return rows.front().front().value_or("");
}

std::string trim_trailing_spaces(std::string_view text) {
    while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
    return std::string(text);
}

// A row that holds no usable version: nothing is planned from it, and the operator is told how to set it.
[[noreturn]] void refuse_version(const std::string& track, const std::string& problem) {
    throw HostError(
        ExitCode::refused,
        fmt::format("{} row '{}' holds version {}: nothing was run; find the version its schema is at "
                    "and record that: DELETE FROM {} WHERE repository_id = {}, then 'migration-host "
                    "stamp {}@N'",
                    VersionStore::table_name, track, problem, VersionStore::table_name, sql_literal(track), track));
}

}  // namespace

std::optional<std::int64_t> parse_stored_version(std::string_view text) {
    const std::string_view digits = !text.empty() && text.front() == '-' ? text.substr(1) : text;
    if (digits.empty() || (digits.front() == '0' && text.size() > 1)) return std::nullopt;  // "", "-", "007", "-0"
    if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
    std::int64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;  // out of range
    return value;
}

std::vector<ExpectedColumn> expected_columns_of(const schema::Table& table) {
    std::vector<ExpectedColumn> columns;
    for (const auto& column : table.columns()) {
        const auto kind = column.type().kind();
        columns.push_back(
            {column.name().c_str(), kind == schema::TypeKind::integer || kind == schema::TypeKind::big_integer});
    }
    return columns;
}

std::string host_table_sql(const schema::Table& table, const Dialect& dialect) {
    // One line, as the host has always sent its statements (and the offline script prints them).
    return render::create_table(dialect.own_tables_spelling(), table, render::CreateTableLayout::one_line);
}

std::string sql_literal(std::string_view text) {
    std::string literal = "'";
    for (const char c : text) literal += c == '\'' ? std::string("''") : std::string(1, c);
    return literal + "'";
}

std::set<std::string> require_columns(const odbc::Connection& connection, const DatabaseInfo& database,
                                      const std::string& table, const std::vector<ExpectedColumn>& columns,
                                      std::string_view layout) {
    const auto declared = declared_columns(connection, database, table);
    std::set<std::string> names;
    for (const auto& [name, type] : declared) names.insert(name);
    if (declared.empty()) return names;
    for (const auto& column : columns) {
        const auto found = declared.find(column.name);
        if (found == declared.end()) {
            throw HostError(ExitCode::refused, fmt::format("{} has no column {}: it is not {}; nothing was run", table,
                                                           column.name, layout));
        }
        if (column.integer && !is_integer_type(database, found->second)) {
            throw HostError(
                ExitCode::refused,
                fmt::format("{} column {} is declared {}, not an integer type: it is not {}; nothing was run", table,
                            column.name, found->second.empty() ? "without a type" : found->second, layout));
        }
    }
    return names;
}

bool VersionStore::table_exists() const {
    const auto type = table_type(connection_, database_, table_name);
    if (!type) return false;
    if (*type == "BASE TABLE" || *type == "SYSTEM VERSIONED") return true;
    // Every command finds the table through here, so all refuse anything else alike: a view may read well enough
    // for status, but its rows are not the host's to update with each step (nor, on SQLite, a table to create).
    const std::string what = type->find("VIEW") != std::string::npos ? "a view" : "a " + lower(*type);
    throw HostError(ExitCode::refused, fmt::format("{} is {}, not a table: the host needs a table to keep each track's "
                                                   "version in (sqlalchemy-migrate's); nothing was run",
                                                   table_name, what));
}

const schema::Table& VersionStore::table() {
    // As sqlalchemy-migrate declares it, so that the original tool can take over a database the host made, and back:
    // Table('migrate_version', meta, Column('repository_id', String(250), primary_key=True),
    //       Column('repository_path', Text), Column('version', Integer))
    static const schema::Table declared(table_name,
                                        {
                                            schema::Column("repository_id", schema::String(250)).primary_key(),
                                            schema::Column("repository_path", schema::Text()),
                                            schema::Column("version", schema::Integer()),
                                        });
    return declared;
}

std::string VersionStore::create_table_sql(const Dialect& dialect) {
    return host_table_sql(table(), dialect);
}

std::string VersionStore::add_track_sql() {
    return fmt::format("INSERT INTO {} (repository_id, repository_path, version) VALUES (?, ?, 0)", table_name);
}

std::string VersionStore::set_version_sql() {
    return fmt::format("UPDATE {} SET version = ? WHERE repository_id = ? AND version = ?", table_name);
}

bool VersionStore::create_table_if_missing() const {
    if (table_exists()) return false;
    connection_.execute(create_table_sql(database_.dialect));
    return true;
}

std::vector<TrackVersion> VersionStore::rows() const {
    std::vector<TrackVersion> result;
    if (!table_exists()) return result;
    require_columns(connection_, database_, table_name, expected_columns_of(table()), sqlalchemy_migrate_layout);
    std::map<std::string, std::vector<std::int64_t>> versions_by_track;
    for (const auto& row : connection_.query(
             fmt::format("SELECT repository_id, repository_path, version FROM {} ORDER BY repository_id", table_name))) {
        if (!row.at(0)) {
            throw HostError(ExitCode::refused,
                            fmt::format("{} holds a row whose repository_id is NULL (version {}): nothing was run; "
                                        "delete that row by hand",
                                        table_name, row.at(2) ? sql_literal(*row.at(2)) : "NULL"));
        }
        TrackVersion entry;
        entry.track = *row.at(0);
        entry.repository_path = row.at(1);
        // sqlalchemy-migrate never leaves a version NULL; a guessed version must never drive a step.
        if (!row.at(2)) refuse_version(entry.track, "NULL, which is not a version");
        const auto version = parse_stored_version(*row.at(2));
        if (!version) refuse_version(entry.track, sql_literal(*row.at(2)) + ", which is not an integer");
        if (*version < 0)
            refuse_version(entry.track, std::to_string(*version) + ", which is impossible (versions start at 0)");
        entry.version = *version;
        versions_by_track[entry.track].push_back(entry.version);
        result.push_back(std::move(entry));
    }
    for (const auto& [track, versions] : versions_by_track) {
        if (versions.size() == 1) continue;
        std::string list;
        for (const auto version : versions) list += (list.empty() ? "" : ", ") + std::to_string(version);
        throw HostError(ExitCode::refused,
                        fmt::format("{} holds {} rows for '{}' (versions {}), where sqlalchemy-migrate keeps one per "
                                    "track: nothing was run; delete all but the right one by hand (the table lacks "
                                    "its PRIMARY KEY (repository_id))",
                                    table_name, versions.size(), track, list));
    }
    return result;
}

VersionMap VersionStore::versions() const {
    VersionMap versions;
    for (const auto& row : rows()) versions[row.track] = row.version;
    return versions;
}

void VersionStore::require_exact_track_rows(const VersionMap& stored, const Catalog& catalog) const {
    const auto refuse = [](const std::string& row, const std::string& track, std::string_view why) {
        throw HostError(ExitCode::refused,
                        fmt::format("{} row '{}' is not exactly track {}, but {}: nothing was run; rename the row to "
                                    "{} or delete it by hand",
                                    table_name, row, track, why, sql_literal(track)));
    };
    bool table_checked = false;
    bool table_present = false;
    for (const auto& [track, migrations] : catalog.tracks()) {
        if (stored.count(track)) continue;
        for (const auto& [row, version] : stored) {
            if (lower(trim_trailing_spaces(row)) == lower(track)) {
                refuse(row, track, "differs from it only in case or trailing spaces");
            }
        }
        if (!table_checked) {
            table_present = table_exists();
            table_checked = true;
        }
        if (!table_present) continue;
        const auto rows =
            connection_.query(fmt::format("SELECT repository_id FROM {} WHERE repository_id = ?", table_name), {track});
        for (const auto& row : rows) {
            if (row.at(0) && *row.at(0) != track) refuse(*row.at(0), track, "the database compares the two as equal");
        }
    }
}

void VersionStore::add_track(const std::string& track, const std::string& repository_path) const {
    connection_.execute(add_track_sql(), {track, repository_path});
}

std::optional<std::string> VersionStore::compare_and_set(const std::string& track, std::int64_t from,
                                                         std::int64_t to) const {
    const auto result = connection_.try_execute(set_version_sql(), {to, track, from});
    if (const auto* error = std::get_if<odbc::Diagnostic>(&result)) {
        return fmt::format("the version update of {} failed: {}", track, error->to_string());
    }
    if (std::get<std::int64_t>(result) != 1) {
        return fmt::format("the version of {} was not {} any more (another process moved it)", track, from);
    }
    return std::nullopt;
}

}  // namespace migration_host
