// The statement journal of a step on MySQL/MariaDB: each completed statement counted in its history row, data statements grouped in transactions, and a resumed step's completed statements skipped.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "database/odbc.hpp"
#include "engine/history.hpp"
#include "plugins/host_api.hpp"

namespace migration_host {

// How the journal treats a statement, by its first keyword.
enum class StatementKind {
    // INSERT, UPDATE, DELETE, REPLACE, SELECT, WITH, VALUES: rolled back with the transaction they run in, so
    // consecutive ones share one, which commits together with the journal's count. Never in doubt after a kill.
    data,
    // SET: changes the session only (foreign_key_checks, a variable), which a killed run's session took with it, so
    // a resumed step runs it again even among the statements it skips.
    session,
    // Anything else (DDL, CALL, LOCK TABLES, a step's own COMMIT...): runs on its own after the host committed what
    // came before, and may commit whatever it did by itself. After a kill between its end and the next commit, it
    // is the one statement in doubt.
    other,
};
StatementKind classify_statement(std::string_view sql);

// Where a step attempt starts when it resumes an interrupted one.
struct JournalResume {
    std::size_t completed = 0;  // the statements the interrupted attempt recorded as done: skipped
    // The interrupted attempt never finished (killed, not failed): the statement after `completed` may have
    // completed too when it is of kind `other` (see StepJournal::excused).
    bool next_in_doubt = false;
    // The step's statements as rendered offline (values apart): each skipped one must be what the step issues now.
    std::vector<std::string> expected;
};

// The MariaDB errors that say a statement's effect is already there: a table, column, key or constraint it creates
// exists (1050, 1060, 1061, 1826, and 1005 with InnoDB's errno 121 for a foreign key's name), or one it drops is gone
// (1051, 1091).
bool says_already_applied(const odbc::Diagnostic& diagnostic);

// The journal of one step attempt, kept in its history row's statements_done (HistoryStore::journal_column), as the
// step's statements pass through it (StatementGate). The invariant: the committed count says how many statements
// completed, except that after a kill the statement following them may have completed too when it is of kind
// `other` (it commits by itself, before the next count can be written). Costs: nothing for a step of one statement;
// one UPDATE before each `other` statement that follows a statement not yet counted; START TRANSACTION and COMMIT
// around each run of data statements.
class StepJournal final : public StatementGate {
public:
    // `row_id` is the attempt's history row, appended with statements_done = `resume.completed` (0 for a step run
    // from its start).
    StepJournal(const odbc::Connection& connection, const HistoryStore& history, std::int64_t row_id,
                JournalResume resume = {});

    std::variant<Decision, odbc::Diagnostic> before(std::size_t number, std::string_view sql) noexcept override;
    void after(std::size_t number) noexcept override;
    // The statement in doubt failed saying its effect is there: the interrupted attempt had completed it.
    bool excused(std::size_t number, const odbc::Diagnostic& diagnostic) noexcept override;

    // For the step's end: opens a transaction where none is open, so that the version update and the history row
    // commit together with the step's last data statements.
    void begin_final();
    void commit();
    // After a failure: rolls back the open transaction, so that done() is what persists.
    void roll_back() noexcept;
    // The statements done (counting the skipped ones); after roll_back, those whose effects persist.
    std::size_t done() const noexcept { return done_; }

private:
    // Writes the count of statements done and commits an open transaction: before a statement of kind `other`.
    std::optional<odbc::Diagnostic> settle() noexcept;

    const odbc::Connection& connection_;
    const HistoryStore& history_;
    std::int64_t row_id_;
    JournalResume resume_;
    std::size_t done_;     // statements completed (or failed and passed over by the step), committed or not
    std::size_t counted_;  // the count the row holds (committed, or pending in the open transaction)
    std::size_t transaction_start_ = 0;  // done_ when the open transaction began
    std::size_t in_doubt_ = 0;           // the statement that may have completed in the interrupted attempt (0: none)
    bool in_transaction_ = false;
};

}  // namespace migration_host
