// The global options' sources (command line, environment, configuration file and its target section), resolved.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

#include "command_line/cli.hpp"
#include "command_line/config.hpp"
#include "exit_codes.hpp"

namespace migration_host {

// A usage error (exit 2) whose line ends by pointing to --help.
HostError usage_error(const std::string& message);

// The options the environment may set: the configurable global options, the configuration file and the target.
std::vector<std::string> environment_options();

// Resolves every global option from its sources, the command line's given here; `effective` gets one line per option
// for `migration-host config` (and the debug log): its value, passwords hidden, and where it comes from.
void resolve_global_options(const SourcedValues& command_line, GlobalOptions& global,
                            std::vector<std::string>& effective);

}  // namespace migration_host
