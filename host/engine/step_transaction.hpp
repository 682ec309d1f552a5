// The host's transaction around one step where DDL is transactional, and whether the step itself ended it.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "database/database.hpp"
#include "database/odbc.hpp"
#include "engine/version_state.hpp"

namespace migration_host {

// The host's transaction around one step where DDL is transactional, and whether the step ended it. A step must
// not COMMIT or ROLLBACK (the plugin contract), but nothing stops one, and psqlODBC rolls the whole transaction back
// itself when a statement fails and the step goes on. Either way a savepoint taken before the step is gone after
// it, and statements the step ran may have been committed on their own.
class StepTransaction {
public:
    StepTransaction(odbc::Connection& connection, const DatabaseInfo& database)
        : connection_(connection), database_(database), transaction_(std::in_place, connection) {
        connection_.execute(fmt::format("SAVEPOINT {}", savepoint));
        // PostgreSQL can say afterwards whether this transaction was committed (by the step, then).
        if (database_.dialect == schema::Dialect::postgresql) {
            const auto rows = connection_.query("SELECT txid_current()");
            if (!rows.empty() && rows.front().at(0)) transaction_id_ = parse_stored_version(*rows.front().at(0));
        }
    }

    // After the step returned success: nothing when the host's transaction is still the one it opened, else why
    // not. Only a savepoint the database no longer has means the step ended the transaction; any other failure of
    // the release (the connection lost, the server refusing) is the database's, and is reported as it is.
    std::optional<std::string> broken() {
        auto released = connection_.try_execute(fmt::format("RELEASE SAVEPOINT {}", savepoint));
        const auto* error = std::get_if<odbc::Diagnostic>(&released);
        released_ = error == nullptr;
        if (released_) return std::nullopt;
        if (!savepoint_missing(*error)) {
            return fmt::format("the host could not release its savepoint after the step: {}", error->to_string());
        }
        ended_ = true;
        return "it ended the host's transaction before returning (a step must not COMMIT or ROLLBACK, and must not "
               "go on after a failed statement, which the driver may answer with a rollback)";
    }

    void commit() {
        transaction_->commit();
        transaction_.reset();
    }

    // Whether the commit happened, also when commit() threw after it (restoring autocommit failed): nothing can
    // undo the step then.
    bool committed() const { return transaction_ && transaction_->committed(); }

    // Rolls the host's transaction back; returns true when the step had ended it first, so that statements it ran
    // may have persisted.
    bool roll_back() {
        if (!ended_ && !released_ && database_.dialect == schema::Dialect::sqlite) {
            // SQLite never rolls a transaction back behind the host's back for a failed statement, so a missing
            // savepoint means the step ended the transaction.
            ended_ = std::holds_alternative<odbc::Diagnostic>(
                connection_.try_execute(fmt::format("ROLLBACK TO SAVEPOINT {}", savepoint)));
        }
        transaction_.reset();
        if (!ended_ && transaction_id_) {
            const auto rows = connection_.try_query(fmt::format("SELECT txid_status({})", *transaction_id_), {},
                                                    [this](const odbc::Row& row) {
                                                        ended_ = row.at(0) == std::optional<std::string>("committed");
                                                        return false;
                                                    });
            if (rows) spdlog::debug("cannot ask whether the step committed: {}", rows->to_string());
        }
        return ended_;
    }

private:
    static constexpr const char* savepoint = "migration_host_step";

    // The database's answer to releasing a savepoint that is gone: SQLite's "no such savepoint"; PostgreSQL's
    // 3B001 (a new transaction without it), 25P01 (no transaction at all) or 25P02 (the transaction failed and waits
    // for its rollback).
    bool savepoint_missing(const odbc::Diagnostic& error) const {
        if (database_.dialect == schema::Dialect::sqlite) {
            return error.message.find("no such savepoint") != std::string::npos;
        }
        return error.sqlstate == "3B001" || error.sqlstate == "25P01" || error.sqlstate == "25P02";
    }
    odbc::Connection& connection_;
    const DatabaseInfo& database_;
    std::optional<odbc::Transaction> transaction_;
    std::optional<std::int64_t> transaction_id_;
    bool released_ = false;  // the savepoint, once the step is known to have left the transaction intact
    bool ended_ = false;
};

}  // namespace migration_host
