// Carries out the CLI commands; results go to stdout, logs to stderr.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

#include "command_line/cli.hpp"
#include "command_line/output.hpp"
#include "exit_codes.hpp"

namespace migration_host {

// Runs a parsed invocation. Throws HostError (or odbc::Error) for failures,
// which the top level reports.
ExitCode run_command(const Invocation& invocation);

// Read-only commands (commands.cpp).
ExitCode list_plugins(const Invocation& invocation);
ExitCode show_status(const Invocation& invocation);
ExitCode show_plan(const Invocation& invocation);
ExitCode show_history(const Invocation& invocation);
ExitCode validate(const Invocation& invocation);

// Offline SQL for review (sql_command.cpp).
ExitCode print_sql(const Invocation& invocation);

// The live schema and drift against what the applied steps should have left (schema_commands.cpp).
ExitCode inspect_schema(const Invocation& invocation);
ExitCode verify_schema(const Invocation& invocation);

// Commands that change the database, under the run lock (migrate.cpp).
ExitCode upgrade(const Invocation& invocation);
ExitCode downgrade(const Invocation& invocation);
ExitCode stamp(const Invocation& invocation);
ExitCode repair(const Invocation& invocation);

// Clears the portable lease lock's row (unlock_command.cpp).
ExitCode unlock(const Invocation& invocation);

}  // namespace migration_host
