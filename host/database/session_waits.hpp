// What a server session is waiting for and who blocks it, as another connection to the same server can tell.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>

#include "database/dialect.hpp"
#include "database/odbc.hpp"

namespace migration_host {

// The server's id of `connection`'s own session (MySQL/MariaDB CONNECTION_ID(), PostgreSQL pg_backend_pid()), by
// which another connection finds it; nullopt for other databases, or when the server will not say.
std::optional<std::string> server_session_id(const odbc::Connection& connection, const Dialect& dialect);

// Asked on `observer`, a connection other than the waiting one: what session `session_id` waits for (PostgreSQL's
// wait event; MariaDB's process-list state) and the session blocking it, where the server can tell (PostgreSQL
// pg_blocking_pids(); MariaDB's InnoDB lock waits, or, waiting on a table's metadata lock, the sessions with
// transactions open), e.g. "waiting for Lock/transactionid, blocked by backend 4242 (user app from 10.0.0.7,
// transaction open 20 s, last statement: UPDATE t SET n = ? WHERE id = ?)". String literals in a blocker's
// statement show as `?`: they may hold a password. nullopt when the session waits for nothing the server shows, or
// the server will not say (no privilege on the process list): a courtesy never fails the run.
std::optional<std::string> describe_session_wait(const odbc::Connection& observer, const Dialect& dialect,
                                                 const std::string& session_id);

// `statement` on one line, at most `limit` characters, with every quoted string literal replaced by `?`.
std::string statement_without_literals(const std::string& statement, std::size_t limit = 120);

}  // namespace migration_host
