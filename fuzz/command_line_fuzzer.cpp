// Fuzz target: the whole command-line parser; any argv is a usage error (exit 2) or a valid invocation, never a crash.
// SPDX-License-Identifier: Apache-2.0
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "command_line/cli.hpp"
#include "command_line/config.hpp"
#include "exit_codes.hpp"
#include "fuzz_check.hpp"

using namespace migration_host;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // Arguments are separated by NUL bytes, as in /proc/PID/cmdline.
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    std::vector<std::string> arguments{"migration-host"};
    std::size_t start = 0;
    while (start <= input.size() && arguments.size() < 64) {
        const auto end = std::min(input.find('\0', start), input.size());
        arguments.emplace_back(input.substr(start, end - start));
        start = end + 1;
    }
    std::vector<const char*> argv;
    for (const auto& argument : arguments) argv.push_back(argument.c_str());
    argv.push_back(nullptr);

    try {
        const Invocation invocation = parse_command_line(static_cast<int>(arguments.size()), argv.data());
        if (invocation.action == Invocation::Action::run) {
            const auto& global = invocation.global;
            fuzz::require(!invocation.command.empty(), "a run names a command", input);
            fuzz::require(global.connect_timeout_seconds >= 1 && global.connect_timeout_seconds <= 3600,
                          "--connect-timeout in 1..3600", input);
            fuzz::require(global.lock_timeout_seconds <= 86400, "--lock-timeout in 0..86400", input);
            fuzz::require(global.statement_timeout_seconds <= 86400, "--statement-timeout in 0..86400", input);
            if (global.dsn) {
                const bool carried = [&] {
                    try {
                        static_cast<void>(ConnectionTarget::parse(*global.dsn));
                        return true;
                    } catch (const HostError&) {
                        return false;
                    }
                }();
                fuzz::require(carried, "an accepted --dsn is one ODBC can carry", input);
            }
        }
    } catch (const HostError& error) {
        fuzz::require(error.code() == ExitCode::usage, "a bad command line is a usage error", input);
    }
    return 0;
}
