// The unlock command: releases the lease lock a crashed run left behind, once its holder is seen dead.
// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "command_line/cli.hpp"
#include "command_line/output.hpp"
#include "command_line/result_json.hpp"
#include "database/odbc.hpp"
#include "engine/lease_lock.hpp"
#include "engine/session.hpp"
#include "exit_codes.hpp"

namespace migration_host {
namespace {

const char* outcome_name(UnlockOutcome::Kind kind) {
    switch (kind) {
        case UnlockOutcome::Kind::not_locked: return "not_locked";
        case UnlockOutcome::Kind::released: return "released";
        case UnlockOutcome::Kind::refused: return "refused";
    }
    return "?";
}

// What unlock found and did, for the text lines or the JSON document (docs/schemas/unlock.schema.json).
struct UnlockResult {
    std::optional<DatabaseInfo> database;
    std::optional<UnlockOutcome> outcome;
    std::optional<std::string> note;  // why there is never a lock to release on this database
};

void print_unlock_json(const UnlockResult& result, bool forced, int exit_code, const std::optional<std::string>& error) {
    using nlohmann::json;
    print_json({{"command", "unlock"},
                {"database", result.database ? database_json(*result.database) : json(nullptr)},
                {"forced", forced},
                {"outcome", result.outcome ? outcome_name(result.outcome->kind) : "failed"},
                {"message", result.outcome ? json(result.outcome->message) : json(nullptr)},
                {"note", result.note ? json(*result.note) : json(nullptr)},
                {"exit_code", exit_code},
                {"error", error ? json(*error) : json(nullptr)}});
}

// Fills `result` as it goes, so that a failure's document says what was already known.
void unlock(const Invocation& invocation, bool text, UnlockResult& result) {
    // Creates nothing: a lock table that is not there holds no lock.
    const auto session = open_session(connection_options(invocation.global), Access::read_only);
    result.database = session->database;
    // Before anything is released, as every writing command does.
    if (text) print_line(database_line(session->database));
    result.outcome = unlock_lease_lock(*session->connection, session->database, invocation.options.force);
    const Dialect& dialect = session->database.dialect;
    if (result.outcome->kind == UnlockOutcome::Kind::not_locked && !portable_lock_forced() &&
        dialect.run_lock() != Dialect::RunLockKind::lease) {
        // The lock runs really take here is the database's own, which nothing can leave behind.
        result.note = fmt::format(
            "Runs against this {} database use its own lock, which the {} frees when its holder ends: there is never "
            "one to release by hand.",
            dialect, dialect.run_lock() == Dialect::RunLockKind::file_lock ? "kernel" : "server");
    }
}

}  // namespace

ExitCode run_unlock(const Invocation& invocation) {
    const bool forced = invocation.options.force;
    if (invocation.options.format == OutputFormat::text) {
        UnlockResult result;
        unlock(invocation, true, result);
        if (result.outcome->kind == UnlockOutcome::Kind::refused) {
            throw HostError(ExitCode::refused, result.outcome->message);
        }
        print_line(result.outcome->message);
        if (result.note) print_line(*result.note);
        return ExitCode::success;
    }
    // One document whatever happens, as for the other writing commands; the error line on stderr stays as it is.
    UnlockResult result;
    try {
        unlock(invocation, false, result);
    } catch (const HostError& error) {
        print_unlock_json(result, forced, static_cast<int>(error.code()), std::string(error.what()));
        throw;
    } catch (const odbc::Error& error) {
        print_unlock_json(result, forced, static_cast<int>(ExitCode::step_failed),
                          std::string("database error: ") + error.what());
        throw;
    }
    if (result.outcome->kind == UnlockOutcome::Kind::refused) {
        print_unlock_json(result, forced, static_cast<int>(ExitCode::refused), result.outcome->message);
        throw HostError(ExitCode::refused, result.outcome->message);
    }
    print_unlock_json(result, forced, 0, std::nullopt);
    return ExitCode::success;
}

}  // namespace migration_host
