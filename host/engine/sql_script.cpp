// Computes, as data, the SQL script an upgrade or downgrade would run: the host's tables, then each step's statements.
// SPDX-License-Identifier: Apache-2.0
#include "engine/sql_script.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "engine/history.hpp"
#include "engine/offline.hpp"
#include "engine/version_state.hpp"

namespace migration_host {
namespace {

// The host's ISO 8601 UTC timestamps ("2026-11-25T12:00:00.123Z"), taken from the database's clock when the
// script runs.
std::string utc_now_expression(std::string_view dialect) {
    if (dialect == "sqlite") return "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";
    if (dialect == "mysql") return "CONCAT(LEFT(DATE_FORMAT(UTC_TIMESTAMP(3), '%Y-%m-%dT%H:%i:%s.%f'), 23), 'Z')";
    return "to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";
}

// MySQL cannot read the table an INSERT writes in a subquery of its VALUES (error 1093): the id goes through a
// session variable there, which the row's completion then names as well.
constexpr const char* mysql_history_id = "@migration_host_history_id";

std::string next_history_id_query() {
    return fmt::format("(SELECT COALESCE(MAX(id), 0) + 1 FROM {})", HistoryStore::table_name);
}

std::string text_or_null(std::string_view dialect, const std::string& text) {
    return sql_literal_for(dialect, text.empty() ? std::nullopt : std::optional<std::string>(text));
}

// Fills a statement whose markers the host's own code wrote, and whose fragments it made: a mismatch is a bug here.
std::string filled(const std::string& sql, std::string_view dialect, const std::vector<std::string>& fragments) {
    auto result = replace_markers(sql, dialect, fragments);
    if (!result) throw std::logic_error("marker count mismatch in the host's own statement: " + sql);
    return *result;
}

bool is_blank(char c) {
    return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}

// The statement as the script prints it: no blanks around it and no terminator, which the script adds.
std::string without_terminator(std::string statement) {
    while (!statement.empty() && (statement.back() == ';' || is_blank(statement.back()))) statement.pop_back();
    const auto first = std::find_if(statement.begin(), statement.end(), [](char c) { return !is_blank(c); });
    statement.erase(statement.begin(), first);
    return statement;
}

struct StepSql {
    bool rendered = false;
    bool needs_connection = false;
    std::string reason;
    std::vector<std::string> statements;
};

// The step's own statements, bound values written as literals.
StepSql step_statements(const Migration& migration, Direction direction, const ScriptStart& start) {
    const OfflineRender render = direction == Direction::upgrade
                                     ? render_upgrade_offline(migration, start.database, start.database_name)
                                     : render_downgrade_offline(migration, start.database, start.database_name);
    StepSql result;
    if (!render.succeeded) {
        result.needs_connection = true;
        result.reason = render.error;
        return result;
    }
    std::size_t number = 0;
    for (const auto& issued : render.issued) {
        ++number;
        if (!issued.bound_values) {
            result.statements.push_back(without_terminator(issued.sql));
            continue;
        }
        std::vector<std::string> literals;
        for (const auto& value : *issued.bound_values)
            literals.push_back(sql_literal_for(start.database.dialect, value));
        auto statement = replace_markers(issued.sql, start.database.dialect, literals);
        if (!statement) {
            result.reason = fmt::format(
                "its statement {} binds {} value{} but does not have as many ? markers, so "
                "its values cannot be written into it",
                number, literals.size(), literals.size() == 1 ? "" : "s");
            result.statements.clear();
            return result;
        }
        result.statements.push_back(without_terminator(*statement));
    }
    result.rendered = true;
    return result;
}

}  // namespace

bool is_script_dialect(std::string_view dialect) {
    return dialect == "sqlite" || dialect == "mysql" || dialect == "postgresql";
}

std::string sql_literal_for(std::string_view dialect, const std::optional<std::string>& value) {
    if (!value) return "NULL";
    const bool has_backslash = value->find('\\') != std::string::npos;
    if (has_backslash && dialect == "mysql") {
        std::string hex;
        for (const char c : *value) hex += fmt::format("{:02X}", static_cast<unsigned char>(c));
        return "_utf8mb4 X'" + hex + "'";
    }
    const bool escape_backslashes = has_backslash && dialect == "postgresql";
    std::string literal = escape_backslashes ? "E'" : "'";
    for (const char c : *value) {
        if (c == '\'' || (escape_backslashes && c == '\\')) literal += c;
        literal += c;
    }
    return literal + "'";
}

std::optional<std::string> replace_markers(std::string_view sql, std::string_view dialect,
                                           const std::vector<std::string>& fragments) {
    std::string result;
    std::size_t next = 0;
    const bool mysql = dialect == "mysql";
    for (std::size_t at = 0; at < sql.size();) {
        const char c = sql[at];
        // Quoted text: copied to its closing quote (a doubled quote stays inside; in MySQL's strings a backslash
        // escapes the next character).
        if (c == '\'' || c == '"' || c == '`') {
            std::size_t end = at + 1;
            while (end < sql.size()) {
                if (mysql && c != '`' && sql[end] == '\\' && end + 1 < sql.size()) {
                    end += 2;
                } else if (sql[end] == c) {
                    if (end + 1 < sql.size() && sql[end + 1] == c) {
                        end += 2;
                    } else {
                        break;
                    }
                } else {
                    ++end;
                }
            }
            end = std::min(end + 1, sql.size());
            result.append(sql.substr(at, end - at));
            at = end;
        } else if ((c == '-' && sql.substr(at, 2) == "--") || (mysql && c == '#')) {
            const auto end = std::min(sql.find('\n', at), sql.size());
            result.append(sql.substr(at, end - at));
            at = end;
        } else if (c == '/' && sql.substr(at, 2) == "/*") {
            const auto close = sql.find("*/", at + 2);
            const auto end = close == std::string_view::npos ? sql.size() : close + 2;
            result.append(sql.substr(at, end - at));
            at = end;
        } else if (c == '?') {
            if (next == fragments.size()) return std::nullopt;
            result += fragments[next++];
            ++at;
        } else {
            result += c;
            ++at;
        }
    }
    if (next != fragments.size()) return std::nullopt;
    return result;
}

bool SqlScript::complete() const {
    return std::all_of(steps.begin(), steps.end(), [](const ScriptStep& step) { return step.rendered; });
}

SqlScript render_sql_script(const Catalog& catalog, const std::vector<Step>& steps, Direction direction,
                            const ScriptStart& start) {
    const std::string& dialect = start.database.dialect;
    SqlScript script;
    script.direction = direction;
    script.dialect = dialect;
    script.database_name = start.database_name;
    for (const auto& [track, migrations] : catalog.tracks()) script.from[track] = version_of(start.stored, track);
    for (const auto& [track, version] : start.stored) script.from[track] = version;
    if (!steps.empty()) {
        if (!start.version_table_exists) script.preamble.push_back(VersionStore::create_table_sql());
        if (!start.history_table_exists) script.preamble.push_back(HistoryStore::create_table_sql(dialect));
    }

    const bool transactional = has_transactional_ddl(start.database);
    const std::string now = utc_now_expression(dialect);
    VersionMap rows = start.stored;
    bool blocked = false;
    for (const auto& step : steps) {
        const Migration& migration = *step.migration;
        const std::string& track = migration.ref.track;
        ScriptStep entry;
        entry.step = step;
        if (blocked) {
            entry.reason = "it follows a step that cannot be rendered offline";
            script.steps.push_back(std::move(entry));
            continue;
        }
        StepSql own = step_statements(migration, direction, start);
        if (!own.rendered) {
            entry.needs_connection = own.needs_connection;
            entry.reason = std::move(own.reason);
            script.steps.push_back(std::move(entry));
            blocked = true;
            continue;
        }
        auto& statements = entry.statements;
        if (!rows.count(track)) {
            // As the run registers a track: named after the library of its first version.
            const Migration* first = catalog.find({track, 1});
            statements.push_back(filled(VersionStore::add_track_sql(), dialect,
                                        {sql_literal_for(dialect, track),
                                         sql_literal_for(dialect, first ? first->plugin->path().string() : "")}));
            rows[track] = 0;
        }
        const bool upgrading = direction == Direction::upgrade;
        const std::string checksum = upgrading ? step_checksum(migration, start.database) : "";
        const auto history_row = [&](const std::string& id, const std::string& outcome, const std::string& finished) {
            return filled(
                HistoryStore::append_sql(), dialect,
                {id, sql_literal_for(dialect, track), std::to_string(migration.ref.version),
                 sql_literal_for(dialect, upgrading ? "upgrade" : "downgrade"), std::to_string(step.from_version()),
                 std::to_string(step.to_version()), text_or_null(dialect, migration.plugin->id()),
                 text_or_null(dialect, migration.plugin->version()),
                 text_or_null(dialect, migration.plugin->path().string()), text_or_null(dialect, checksum),
                 // Who runs the script, and where from, is not known when it is rendered.
                 "NULL", "NULL", now, finished, "NULL", sql_literal_for(dialect, outcome), "NULL"});
        };
        const std::string version_update = filled(
            VersionStore::set_version_sql(), dialect,
            {std::to_string(step.to_version()), sql_literal_for(dialect, track), std::to_string(step.from_version())});
        if (transactional) {
            // The step, its version update and its history row commit together, as in the run.
            statements.push_back("BEGIN");
            statements.insert(statements.end(), own.statements.begin(), own.statements.end());
            statements.push_back(version_update);
            statements.push_back(history_row(next_history_id_query(), "succeeded", now));
            statements.push_back("COMMIT");
        } else {
            // A "started" row first, as in the run: a script that stops inside the step leaves the track dirty, and
            // the host refuses to go on until 'repair'.
            statements.push_back(fmt::format("SET {} = {}", mysql_history_id, next_history_id_query()));
            statements.push_back(history_row(mysql_history_id, "started", "NULL"));
            statements.insert(statements.end(), own.statements.begin(), own.statements.end());
            statements.push_back(version_update);
            statements.push_back(
                filled(HistoryStore::finish_sql(), dialect,
                       {sql_literal_for(dialect, "succeeded"), now, "NULL", "NULL", mysql_history_id}));
        }
        entry.rendered = true;
        script.steps.push_back(std::move(entry));
    }
    return script;
}

}  // namespace migration_host
