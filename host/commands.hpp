// Carries out the CLI commands: plugins, status, upgrade, downgrade.
#pragma once

#include "cli.hpp"
#include "exit_codes.hpp"

namespace migration_host {

// Runs a parsed invocation; results go to stdout, logs to stderr. Throws
// HostError (or odbc::Error) for failures, which the top level reports.
ExitCode run_command(const Invocation& invocation);

}  // namespace migration_host
