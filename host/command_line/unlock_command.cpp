// The unlock command: releases the lease lock a crashed run left behind, once its holder is seen dead.
// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>

#include "command_line/cli.hpp"
#include "command_line/output.hpp"
#include "command_line/result_json.hpp"
#include "engine/lease_lock.hpp"
#include "engine/session.hpp"
#include "exit_codes.hpp"

namespace migration_host {

ExitCode run_unlock(const Invocation& invocation) {
    // Creates nothing: a lock table that is not there holds no lock.
    const auto session = open_session(connection_options(invocation.global), Access::read_only);
    print_line(database_line(session->database));  // before anything is released, as every writing command does
    const UnlockOutcome outcome = unlock_lease_lock(*session->connection, session->database, invocation.options.force);
    if (outcome.kind == UnlockOutcome::Kind::refused) throw HostError(ExitCode::refused, outcome.message);
    print_line(outcome.message);
    const Dialect& dialect = session->database.dialect;
    if (outcome.kind == UnlockOutcome::Kind::not_locked && !portable_lock_forced() &&
        dialect.run_lock() != Dialect::RunLockKind::lease) {
        // The lock runs really take here is the database's own, which nothing can leave behind.
        print_line(
            fmt::format("Runs against this {} database use its own lock, which the {} frees when its holder "
                        "ends: there is never one to release by hand.",
                        dialect, dialect.run_lock() == Dialect::RunLockKind::file_lock ? "kernel" : "server"));
    }
    return ExitCode::success;
}

}  // namespace migration_host
