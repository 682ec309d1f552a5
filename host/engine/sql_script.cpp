// Computes, as data, the SQL script an upgrade or downgrade would run: the host's tables, then each step's statements.
// SPDX-License-Identifier: Apache-2.0
#include "engine/sql_script.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <regex>
#include <stdexcept>

#include "engine/history.hpp"
#include "engine/offline.hpp"
#include "engine/utf8.hpp"
#include "engine/version_state.hpp"

namespace migration_host {
namespace {

// The host's ISO 8601 UTC timestamps ("2026-11-25T12:00:00.123Z"), taken from the database's clock when the
// script runs.
std::string utc_now_expression(const Dialect& dialect) {
    if (dialect == schema::Dialect::sqlite) return "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";
    if (dialect == schema::Dialect::mysql) return "CONCAT(LEFT(DATE_FORMAT(UTC_TIMESTAMP(3), '%Y-%m-%dT%H:%i:%s.%f'), 23), 'Z')";
    return "to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";
}

// MySQL cannot read the table an INSERT writes in a subquery of its VALUES (error 1093): the id goes through a
// session variable there, which the row's completion then names as well.
constexpr const char* mysql_history_id = "@migration_host_history_id";

std::string next_history_id_query() {
    return fmt::format("(SELECT COALESCE(MAX(id), 0) + 1 FROM {})", HistoryStore::table_name);
}

std::string text_or_null(const Dialect& dialect, const std::string& text) {
    return sql_literal_for(dialect, text.empty() ? std::nullopt : std::optional<std::string>(text));
}

// Who a history row names, as the run names the user and machine it runs as: here the database's session user and
// the client's host, taken when the script runs; SQLite has no user, so its rows name whoever rendered the script.
std::pair<std::string, std::string> run_by_expressions(const Dialect& dialect, const RunBy& rendered_by) {
    if (dialect == schema::Dialect::mysql) {
        // USER() is the session's user@client-host as the client connected, CURRENT_USER() the account it matched.
        return {"SUBSTRING_INDEX(USER(), '@', 1)", "SUBSTRING_INDEX(USER(), '@', -1)"};
    }
    if (dialect == schema::Dialect::postgresql) {
        // session_user stays the user who connected through a SET ROLE; a Unix-socket client has no address.
        return {"session_user", "COALESCE(host(inet_client_addr()), 'localhost')"};
    }
    return {text_or_null(dialect, rendered_by.os_user), text_or_null(dialect, rendered_by.host_name)};
}

// Fills a statement whose markers the host's own code wrote, and whose fragments it made: a mismatch is a bug here.
std::string filled(const std::string& sql, const Dialect& dialect, const std::vector<std::string>& fragments) {
    auto result = replace_markers(sql, dialect, fragments);
    if (!result) throw std::logic_error("marker count mismatch in the host's own statement: " + sql);
    return *result;
}

bool is_blank(char c) {
    return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}

bool is_identifier_char(char c) {
    const auto byte = static_cast<unsigned char>(c);
    return std::isalnum(byte) != 0 || c == '_' || c == '$' || byte >= 0x80;
}

// The length of the PostgreSQL dollar quote ($$ or $tag$) that opens at `at`, or 0 when none does.
std::size_t dollar_quote_length(std::string_view sql, std::size_t at) {
    if (at > 0 && is_identifier_char(sql[at - 1])) return 0;  // a '$' inside a name
    std::size_t end = at + 1;
    if (end < sql.size() && is_identifier_char(sql[end]) && std::isdigit(static_cast<unsigned char>(sql[end])) == 0 &&
        sql[end] != '$') {
        while (end < sql.size() && is_identifier_char(sql[end]) && sql[end] != '$') ++end;
    }
    return end < sql.size() && sql[end] == '$' ? end + 1 - at : 0;
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
    bool fails = false;
    std::string reason;
    std::vector<std::string> statements;
};

// The start of `sql`, to name a statement in one line.
std::string excerpt(std::string_view sql) {
    constexpr std::size_t most = 60;
    const std::string first_line(sql.substr(0, std::min(sql.find('\n'), most)));
    return first_line.size() < sql.size() ? first_line + "..." : first_line;
}

// Why the server would refuse `issued` before running it, when it is text the dialect does not take: MySQL and
// PostgreSQL refuse what is not UTF-8 (the connection's encoding), SQLite stores it as it is.
std::optional<std::string> refused_text(const Dialect& dialect, const RecordedStatement& issued) {
    if (dialect != schema::Dialect::mysql && dialect != schema::Dialect::postgresql) return std::nullopt;
    const char* server = dialect == schema::Dialect::mysql ? "MySQL" : "PostgreSQL";
    if (!utf8::is_valid(issued.sql)) return fmt::format("its text is not valid UTF-8, which {} refuses", server);
    if (!issued.bound_values) return std::nullopt;
    for (std::size_t i = 0; i < issued.bound_values->size(); ++i) {
        const auto& value = (*issued.bound_values)[i];
        if (value && !utf8::is_valid(*value)) {
            return fmt::format("its bound value {} is not valid UTF-8, which {} refuses", i + 1, server);
        }
    }
    return std::nullopt;
}

// Whether statement `index` starts a SQLite table rebuild of the SDK's (render::sqlite_rebuild: its holding table)
// that no guard precedes: the SDK's guards (render::sqlite_rebuild_guards) come right before it since they exist,
// and a script without them would rebuild a table that the run refuses to (one with a trigger, say).
bool starts_unguarded_rebuild(const std::vector<RecordedStatement>& issued, std::size_t index) {
    static const std::regex holding_table(R"re(^CREATE TEMPORARY TABLE "?_mh_rebuild_)re");
    if (!std::regex_search(issued[index].sql, holding_table)) return false;
    return index == 0 || !is_offline_guard(issued[index - 1].sql);
}

// Whether quoted text among `pieces` holds a CR LF line end, which the sqlite3 and mariadb clients read as LF alone
// (psql keeps it). Bound values are written so that they have none (sql_literal_for); a step's own text cannot be.
bool quotes_crlf(const std::vector<SqlPiece>& pieces) {
    return std::any_of(pieces.begin(), pieces.end(), [](const SqlPiece& piece) {
        return piece.kind == SqlPiece::Kind::quoted && piece.text.find("\r\n") != std::string_view::npos;
    });
}

// The step's own statements, bound values written as literals.
StepSql step_statements(const Migration& migration, Direction direction, const ScriptStart& start) {
    const OfflineRender render = direction == Direction::upgrade
                                     ? render_upgrade_offline(migration, start.database, start.database_name)
                                     : render_downgrade_offline(migration, start.database, start.database_name);
    StepSql result;
    if (!render.succeeded) {
        // A step that asked for a query could not see what it needed; any other failure is its own.
        result.needs_connection = render.query_refused;
        result.fails = !render.query_refused;
        result.reason = render.error;
        return result;
    }
    std::size_t number = 0;
    for (const auto& issued : render.issued) {
        ++number;
        if (start.database.dialect == schema::Dialect::sqlite && starts_unguarded_rebuild(render.issued, number - 1)) {
            result.reason = fmt::format(
                "its statement {} ({}) rebuilds a table without the guards that make a script stop where the run "
                "would refuse (its plugin was built with an older SDK)",
                number, excerpt(issued.sql));
            result.statements.clear();
            return result;
        }
        if (const auto refusal = refused_text(start.database.dialect, issued)) {
            result.fails = true;
            result.reason = fmt::format("its statement {} ({}): {}", number, excerpt(issued.sql), *refusal);
            result.statements.clear();
            return result;
        }
        const std::vector<SqlPiece> pieces = sql_pieces(issued.sql, start.database.dialect);
        if (!pieces.empty() && !pieces.back().closed) {
            result.reason = fmt::format(
                "its statement {} ({}) ends inside a quoted text or a comment, which would take in the script's "
                "terminator and what follows",
                number, excerpt(issued.sql));
            result.statements.clear();
            return result;
        }
        if (start.database.dialect != schema::Dialect::postgresql && quotes_crlf(pieces)) {
            result.reason = fmt::format(
                "its statement {} ({}) has a carriage return before a line feed inside quoted text, which the {} "
                "client drops",
                number, excerpt(issued.sql), start.database.dialect == schema::Dialect::mysql ? "mariadb" : "sqlite3");
            result.statements.clear();
            return result;
        }
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

std::vector<std::string> session_statements(const Dialect& dialect) {
    if (dialect == schema::Dialect::mysql) return {"SET NAMES utf8mb4"};
    if (dialect == schema::Dialect::postgresql) return {"SET client_encoding = 'UTF8'"};
    return {};
}

std::vector<SqlPiece> sql_pieces(std::string_view sql, const Dialect& dialect) {
    const bool mysql = dialect == schema::Dialect::mysql;
    const bool postgresql = dialect == schema::Dialect::postgresql;
    std::vector<SqlPiece> pieces;
    std::size_t code_start = 0;
    const auto add = [&](SqlPiece::Kind kind, std::size_t from, std::size_t to, bool closed) {
        if (code_start < from) pieces.push_back({SqlPiece::Kind::code, sql.substr(code_start, from - code_start)});
        pieces.push_back({kind, sql.substr(from, to - from), closed});
        code_start = to;
    };
    for (std::size_t at = 0; at < sql.size(); at = std::max(at + 1, code_start)) {
        const char c = sql[at];
        const std::string_view two = sql.substr(at, 2);
        if (c == '\'' || c == '"' || c == '`') {
            // A doubled quote stays inside. A backslash escapes the next character in MySQL's strings, and in
            // PostgreSQL's E'...' strings.
            const bool escape_string = postgresql && c == '\'' && at > 0 &&
                                       (sql[at - 1] == 'E' || sql[at - 1] == 'e') &&
                                       (at < 2 || !is_identifier_char(sql[at - 2]));
            const bool backslashes = (mysql && c != '`') || escape_string;
            std::size_t end = at + 1;
            bool closed = false;
            while (end < sql.size() && !closed) {
                if (backslashes && sql[end] == '\\' && end + 1 < sql.size()) {
                    end += 2;
                } else if (sql[end] == c && end + 1 < sql.size() && sql[end + 1] == c) {
                    end += 2;
                } else {
                    closed = sql[end++] == c;
                }
            }
            add(SqlPiece::Kind::quoted, at, end, closed);
        } else if (dialect == schema::Dialect::sqlite && c == '[') {
            // SQLite also takes [name] for a quoted name, as Access and SQL Server write it.
            const auto close = sql.find(']', at + 1);
            const bool closed = close != std::string_view::npos;
            add(SqlPiece::Kind::quoted, at, closed ? close + 1 : sql.size(), closed);
        } else if (const std::size_t tag = postgresql && c == '$' ? dollar_quote_length(sql, at) : 0; tag > 0) {
            const auto close = sql.find(sql.substr(at, tag), at + tag);
            const bool closed = close != std::string_view::npos;
            add(SqlPiece::Kind::quoted, at, closed ? close + tag : sql.size(), closed);
        } else if ((two == "--" &&
                    (!mysql || at + 2 == sql.size() || static_cast<unsigned char>(sql[at + 2]) <= ' ')) ||
                   (mysql && c == '#')) {
            // MySQL reads "--" as a comment only before a blank or a control character ("1--1" is 2).
            add(SqlPiece::Kind::line_comment, at, std::min(sql.find('\n', at), sql.size()), true);
        } else if (two == "/*") {
            // PostgreSQL's block comments nest.
            std::size_t depth = 1;
            std::size_t end = at + 2;
            while (end < sql.size() && depth > 0) {
                const std::string_view next = sql.substr(end, 2);
                if (next == "*/") {
                    --depth;
                    end += 2;
                } else if (postgresql && next == "/*") {
                    ++depth;
                    end += 2;
                } else {
                    ++end;
                }
            }
            add(SqlPiece::Kind::block_comment, at, end, depth == 0);
        }
    }
    if (code_start < sql.size()) pieces.push_back({SqlPiece::Kind::code, sql.substr(code_start)});
    return pieces;
}

std::string sql_literal_for(const Dialect& dialect, const std::optional<std::string>& value) {
    if (!value) return "NULL";
    const auto hex = [&value] {
        std::string digits;
        for (const char c : *value) digits += fmt::format("{:02X}", static_cast<unsigned char>(c));
        return digits;
    };
    const bool has_backslash = value->find('\\') != std::string::npos;
    // The sqlite3 and mariadb clients read a line that ends in CR LF as ending in LF.
    const bool has_crlf = value->find("\r\n") != std::string::npos;
    if ((has_backslash || has_crlf) && dialect == schema::Dialect::mysql) return "_utf8mb4 X'" + hex() + "'";
    if (dialect == schema::Dialect::sqlite && (has_crlf || !utf8::is_valid(*value))) return "CAST(X'" + hex() + "' AS TEXT)";
    const bool escape_backslashes = has_backslash && dialect == schema::Dialect::postgresql;
    std::string literal = escape_backslashes ? "E'" : "'";
    for (const char c : *value) {
        if (c == '\'' || (escape_backslashes && c == '\\')) literal += c;
        literal += c;
    }
    return literal + "'";
}

std::optional<std::string> replace_markers(std::string_view sql, const Dialect& dialect,
                                           const std::vector<std::string>& fragments) {
    std::string result;
    std::size_t next = 0;
    for (const SqlPiece& piece : sql_pieces(sql, dialect)) {
        if (piece.kind != SqlPiece::Kind::code) {
            result.append(piece.text);
            continue;
        }
        for (const char c : piece.text) {
            if (c != '?') {
                result += c;
                continue;
            }
            if (next == fragments.size()) return std::nullopt;
            result += fragments[next++];
        }
    }
    if (next != fragments.size()) return std::nullopt;
    return result;
}

std::string script_statement(std::string_view statement, const Dialect& dialect) {
    const std::vector<SqlPiece> pieces = sql_pieces(statement, dialect);
    std::string text(statement);
    if (!pieces.empty() && pieces.back().kind == SqlPiece::Kind::line_comment) text += '\n';
    const bool holds_separator = std::any_of(pieces.begin(), pieces.end(), [](const SqlPiece& piece) {
        return piece.kind == SqlPiece::Kind::code && piece.text.find(';') != std::string_view::npos;
    });
    if (dialect != schema::Dialect::mysql || !holds_separator) return text + ";";
    std::string delimiter = "$$";
    while (statement.find(delimiter) != std::string_view::npos) delimiter += '$';
    return "DELIMITER " + delimiter + "\n" + text + delimiter + "\nDELIMITER ;";
}

bool SqlScript::complete() const {
    return std::all_of(steps.begin(), steps.end(), [](const ScriptStep& step) { return step.rendered; });
}

SqlScript render_sql_script(const Catalog& catalog, const std::vector<Step>& steps, Direction direction,
                            const ScriptStart& start) {
    const Dialect& dialect = start.database.dialect;
    SqlScript script;
    script.direction = direction;
    script.dialect = dialect;
    script.database_name = start.database_name;
    if (dialect == schema::Dialect::sqlite) script.rows_name = start.rendered_by;
    for (const auto& [track, migrations] : catalog.tracks()) script.from[track] = version_of(start.stored, track);
    for (const auto& [track, version] : start.stored) script.from[track] = version;
    if (!steps.empty()) {
        script.session = session_statements(dialect);
        if (!start.version_table_exists) script.preamble.push_back(VersionStore::create_table_sql(dialect));
        if (!start.history_table_exists) script.preamble.push_back(HistoryStore::create_table_sql(dialect));
    }

    const bool transactional = start.database.dialect.transactional_ddl();
    const std::string now = utc_now_expression(dialect);
    const auto run_by = run_by_expressions(dialect, start.rendered_by);
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
            entry.fails = own.fails;
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
                 run_by.first, run_by.second, now, finished, "NULL", sql_literal_for(dialect, outcome), "NULL"});
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
