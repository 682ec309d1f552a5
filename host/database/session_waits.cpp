// What a server session is waiting for and who blocks it, as another connection to the same server can tell.
// SPDX-License-Identifier: Apache-2.0
#include "database/session_waits.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cctype>
#include <cstdint>
#include <vector>

namespace migration_host {
namespace {

const std::string& or_unknown(const std::optional<std::string>& value) {
    static const std::string unknown = "?";
    return value ? *value : unknown;
}

// "backend 4242 (user app from 10.0.0.7, transaction open 20 s, last statement: ...)" from the columns id, user,
// client, transaction age in seconds and statement, any of them NULL.
std::string blocker_description(const char* what, const odbc::Row& row) {
    std::string text = fmt::format("{} {} (user {}", what, or_unknown(row.at(0)), or_unknown(row.at(1)));
    if (row.at(2) && !row.at(2)->empty()) text += " from " + *row.at(2);
    if (row.at(3)) text += ", transaction open " + *row.at(3) + " s";
    if (row.at(4) && !row.at(4)->empty()) text += ", last statement: " + statement_without_literals(*row.at(4));
    return text + ")";
}

std::optional<std::string> postgresql_wait(const odbc::Connection& observer, const std::string& session_id) {
    // The first blocker in full; pg_blocking_pids() lists every session whose lock the waiter needs.
    const auto rows = observer.query(
        "SELECT a.wait_event_type, a.wait_event, cardinality(pg_blocking_pids(a.pid)), b.pid, b.usename, "
        "host(b.client_addr), CAST(EXTRACT(EPOCH FROM now() - b.xact_start) AS bigint), b.query "
        "FROM pg_stat_activity a LEFT JOIN pg_stat_activity b ON b.pid = (pg_blocking_pids(a.pid))[1] "
        "WHERE a.pid = CAST(? AS integer)",
        {session_id});
    if (rows.empty()) return std::nullopt;
    const odbc::Row& row = rows.front();
    if (!row.at(0) && !row.at(3)) return std::nullopt;  // running, not waiting
    std::string text = "waiting for " + (row.at(0) ? *row.at(0) + "/" + or_unknown(row.at(1)) : std::string("?"));
    if (row.at(3)) {
        text += ", blocked by " + blocker_description("backend", odbc::Row(row.begin() + 3, row.end()));
        const auto blockers = row.at(2) ? std::stoll(*row.at(2)) : 1;
        if (blockers > 1) text += fmt::format(" and {} other session{}", blockers - 1, blockers > 2 ? "s" : "");
    }
    return text;
}

std::optional<std::string> mysql_wait(const odbc::Connection& observer, const std::string& session_id) {
    const auto state = observer.query("SELECT STATE FROM information_schema.PROCESSLIST WHERE ID = ?", {session_id});
    if (state.empty() || !state.front().at(0) || state.front().at(0)->empty()) return std::nullopt;
    std::string text = "in state '" + *state.front().at(0) + "'";
    // A row lock: InnoDB names the transaction that holds it.
    auto blockers = observer.query(
        "SELECT b.trx_mysql_thread_id, p.USER, p.HOST, TIMESTAMPDIFF(SECOND, b.trx_started, NOW()), "
        "COALESCE(p.INFO, b.trx_query) FROM information_schema.INNODB_LOCK_WAITS w "
        "JOIN information_schema.INNODB_TRX r ON r.trx_id = w.requesting_trx_id "
        "JOIN information_schema.INNODB_TRX b ON b.trx_id = w.blocking_trx_id "
        "LEFT JOIN information_schema.PROCESSLIST p ON p.ID = b.trx_mysql_thread_id "
        "WHERE r.trx_mysql_thread_id = ? ORDER BY b.trx_started",
        {session_id});
    const char* relation = ", blocked by ";
    if (blockers.empty() && state.front().at(0)->find("metadata lock") != std::string::npos) {
        // A table's metadata lock is held by every transaction that used the table until it ends, and without the
        // metadata_lock_info plugin the server does not say which: the open transactions are the suspects.
        blockers = observer.query(
            "SELECT t.trx_mysql_thread_id, p.USER, p.HOST, TIMESTAMPDIFF(SECOND, t.trx_started, NOW()), "
            "COALESCE(p.INFO, t.trx_query) FROM information_schema.INNODB_TRX t "
            "LEFT JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id "
            "WHERE t.trx_mysql_thread_id <> ? ORDER BY t.trx_started",
            {session_id});
        relation = ", perhaps behind a transaction still open in ";
    }
    if (!blockers.empty()) {
        text += relation + blocker_description("connection", blockers.front());
        if (blockers.size() > 1) {
            text += fmt::format(" and {} other session{}", blockers.size() - 1, blockers.size() > 2 ? "s" : "");
        }
    }
    return text;
}

}  // namespace

std::optional<std::string> server_session_id(const odbc::Connection& connection, const Dialect& dialect) {
    const char* query = dialect == schema::Dialect::mysql        ? "SELECT CONNECTION_ID()"
                        : dialect == schema::Dialect::postgresql ? "SELECT pg_backend_pid()"
                                                                 : nullptr;
    if (query == nullptr) return std::nullopt;
    try {
        const auto rows = connection.query(query);
        if (rows.empty() || !rows.front().at(0)) return std::nullopt;
        return rows.front().at(0);
    } catch (const odbc::Error& error) {
        spdlog::debug("cannot tell this connection's session id: {}", error.what());
        return std::nullopt;
    }
}

std::optional<std::string> describe_session_wait(const odbc::Connection& observer, const Dialect& dialect,
                                                 const std::string& session_id) {
    try {
        if (dialect == schema::Dialect::postgresql) return postgresql_wait(observer, session_id);
        if (dialect == schema::Dialect::mysql) return mysql_wait(observer, session_id);
    } catch (const odbc::Error& error) {
        spdlog::debug("cannot tell what session {} waits for: {}", session_id, error.what());
    } catch (const std::exception& error) {  // a number the server wrote oddly
        spdlog::debug("cannot tell what session {} waits for: {}", session_id, error.what());
    }
    return std::nullopt;
}

std::string statement_without_literals(const std::string& statement, std::size_t limit) {
    std::string text;
    bool space = false;
    for (std::size_t i = 0; i < statement.size() && text.size() < limit; ++i) {
        const char c = statement[i];
        if (c == '\'' || c == '"') {
            // To the closing quote, past backslash escapes (MySQL's); a doubled quote inside a literal closes it and
            // opens another, so that either way nothing of it shows. MySQL takes "..." as a literal too.
            std::size_t end = i + 1;
            while (end < statement.size() && statement[end] != c) end += statement[end] == '\\' ? 2 : 1;
            if (space) text += ' ';
            space = false;
            text += '?';
            if (end >= statement.size()) break;
            i = end;
        } else if (std::isspace(static_cast<unsigned char>(c)) != 0) {
            space = !text.empty();
        } else {
            if (space) text += ' ';
            space = false;
            text += c;
        }
    }
    if (text.size() >= limit) text = text.substr(0, limit) + "...";
    return text;
}

}  // namespace migration_host
