// The command table: one entry per command, from which --help, dispatch and the option checks all come.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "command_line/cli.hpp"
#include "exit_codes.hpp"

namespace migration_host {

struct CommandSpec {
    // Whether the command may change the database it connects to.
    enum class Access { reads, writes };

    const char* name;
    const char* arguments;  // as shown in usage
    std::size_t min_arguments;
    std::size_t max_arguments;
    const char* summary;
    const char* details;
    // The options the command uses, by long name: its --help shows these only. A command option (see cli.cpp's
    // command_option_names) given to a command that does not list it is a usage error; a global option it does not
    // use is accepted and ignored, so one environment or configuration serves every command.
    std::vector<std::string> options;
    Access access;
    // Carries the command out; throws HostError (or odbc::Error) for failures, which the top level reports.
    ExitCode (*handler)(const Invocation& invocation);
    // Whether --help and the completion scripts list it; not for a command that only those scripts run.
    bool listed = true;
};

inline constexpr std::size_t unlimited_arguments = 1000;

// Every command, in the order --help lists them.
const std::vector<CommandSpec>& command_table();
// The command of that name, or nullptr.
const CommandSpec* find_command(std::string_view name);

}  // namespace migration_host
