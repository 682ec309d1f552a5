// The config command: every global option's effective value and where it comes from, passwords hidden.
// SPDX-License-Identifier: Apache-2.0
#include <cstdio>

#include "command_line/cli.hpp"

namespace migration_host {

ExitCode run_config(const Invocation& invocation) {
    // Resolved (and each line escaped and redacted) by parse_command_line, as for every command.
    std::fputs(invocation.text.c_str(), stdout);
    return ExitCode::success;
}

}  // namespace migration_host
