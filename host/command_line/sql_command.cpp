// Prints the SQL an upgrade or downgrade would run, rendered offline, for a DBA to review or run (the sql command).
// SPDX-License-Identifier: Apache-2.0
#include "command_line/commands.hpp"

namespace migration_host {

ExitCode print_sql(const Invocation&) {
    throw HostError(ExitCode::usage, "sql: not built yet");
}

}  // namespace migration_host
