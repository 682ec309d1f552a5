// The statement journal of a step where DDL commits implicitly (MySQL/MariaDB): data statements grouped into one
// SPDX-License-Identifier: Apache-2.0
// transaction with the count of statements done, and the statements a resumed step's earlier attempt applied skipped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include "database/odbc.hpp"
#include "engine/history.hpp"
#include "plugins/host_api.hpp"

namespace migration_host {

// How the journal treats a statement, by its first keyword.
enum class StatementKind {
    // INSERT, UPDATE, DELETE, REPLACE, SELECT, WITH, VALUES, TABLE: rolled back with the transaction they run in, so
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

// The journal of one step attempt, kept in its history row's statements_done (HistoryStore::journal_column), as the
// step's statements pass through it (StatementGate). The invariant: the committed count says how many statements
// completed, except that after a kill the statement following them may have completed too when it is of kind
// `other` (it commits by itself, before the next count can be written). Costs: nothing for a step of one statement;
// one UPDATE before each `other` statement that follows a statement not yet counted; START TRANSACTION and COMMIT
// around each run of data statements.
class StepJournal final : public StatementGate {
public:
    // `row_id` is the attempt's history row, appended with statements_done = `already_done`: the statements that an
    // earlier attempt applied and that this one skips (0 for a step run from its start).
    StepJournal(const odbc::Connection& connection, const HistoryStore& history, std::int64_t row_id,
                std::size_t already_done);

    std::variant<Decision, odbc::Diagnostic> before(std::size_t number, std::string_view sql) noexcept override;
    void after(std::size_t number) noexcept override;

    // Whether data statements ran since the last commit: the step's version update and history row must then join
    // them and commit() them, so that all commit together.
    bool in_transaction() const noexcept { return in_transaction_; }
    // Commits the open transaction.
    void commit();
    // After a failure: rolls back the open transaction; from then on done() is what is committed.
    void roll_back() noexcept;
    // The statements done so far (counting the skipped ones).
    std::size_t done() const noexcept { return done_; }

private:
    const odbc::Connection& connection_;
    const HistoryStore& history_;
    std::int64_t row_id_;
    std::size_t skip_;          // statements 1..skip_ were applied by an earlier attempt
    std::size_t done_;          // statements completed, committed or not
    std::size_t counted_;       // the count the row holds (committed, or pending in the open transaction)
    std::size_t committed_;     // statements completed and committed
    bool in_transaction_ = false;
};

}  // namespace migration_host
