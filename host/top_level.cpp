// The migration-host executable's top level: the one place where host exceptions become exit codes.
// SPDX-License-Identifier: Apache-2.0
#include "top_level.hpp"

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "command_line/cli.hpp"
#include "command_line/command_table.hpp"
#include "command_line/fleet.hpp"
#include "exit_codes.hpp"
#include "command_line/logging.hpp"
#include "command_line/output.hpp"
#include "database/odbc.hpp"

namespace {

// The cause first, then what else went wrong on the way out, one line each: redacted, and escaped so that no text
// from a database or plugin can drive the terminal or forge a line of its own (JSON lines in JSON log mode).
int report(migration_host::ExitCode code, const std::string& message, const std::vector<std::string>& further = {}) {
    migration_host::report_error_line(message, static_cast<int>(code));
    for (const auto& line : further) migration_host::report_error_line(line, static_cast<int>(code));
    return static_cast<int>(code);
}

// The top level around `run`: every host exception becomes its exit code and a reported line. A fleet run's
// children go through it too, each for its own database.
int run_reporting_errors(const std::function<int()>& run) {
    using migration_host::ExitCode;
    try {
        return run();
    } catch (const migration_host::HostError& error) {
        return report(error.code(), error.what(), error.further_lines());
    } catch (const migration_host::odbc::Error& error) {
        return report(ExitCode::step_failed, std::string("database error: ") + error.what());
    } catch (const std::exception& error) {
        return report(ExitCode::step_failed, std::string("unexpected error: ") + error.what());
    }
}

// The command's handler, from the command table (parse_command_line has refused an unknown command).
migration_host::ExitCode run_command(const migration_host::Invocation& invocation) {
    return migration_host::find_command(invocation.command)->handler(invocation);
}

}  // namespace

int migration_host::run_host(int argc, char* argv[]) {
    migration_host::setup_logging(spdlog::level::info);
    // A fleet run that executes the host anew for each database names the database here, for its JSON log lines.
    if (const char* target = std::getenv(migration_host::fleet_log_target_variable); target != nullptr && *target) {
        migration_host::set_log_target(target);
    }
    return run_reporting_errors([&] {
        const auto invocation = migration_host::parse_command_line(argc, argv);
        if (invocation.action == migration_host::Invocation::Action::show_text) {
            std::fputs(invocation.text.c_str(), stdout);
            return 0;
        }
        spdlog::set_level(*migration_host::parse_log_level(invocation.global.log_level));
        if (invocation.options.targets_file) {
            return migration_host::run_fleet(invocation, [](const migration_host::Invocation& one) {
                return run_reporting_errors([&] { return static_cast<int>(run_command(one)); });
            });
        }
        return static_cast<int>(run_command(invocation));
    });
}
