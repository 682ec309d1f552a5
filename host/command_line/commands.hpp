// Carries out the CLI commands; results go to stdout, logs to stderr.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

#include "command_line/cli.hpp"
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

// Commands that change the database, under the run lock (migrate.cpp).
ExitCode upgrade(const Invocation& invocation);
ExitCode downgrade(const Invocation& invocation);
ExitCode stamp(const Invocation& invocation);
ExitCode repair(const Invocation& invocation);

// Writes one line to stdout, secrets redacted and escaped (escape_nonprintable) so that a stored text can neither
// drive the terminal nor forge another line, then flushes, so results interleave sanely with stderr logs.
void print_line(std::string_view line);

}  // namespace migration_host
