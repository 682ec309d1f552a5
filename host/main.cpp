// The migration-host executable's top level: the one place where host exceptions become exit codes.
#include <cstdio>
#include <exception>
#include <string>

#include <spdlog/spdlog.h>

#include "command_line/cli.hpp"
#include "command_line/commands.hpp"
#include "exit_codes.hpp"
#include "command_line/logging.hpp"
#include "database/odbc.hpp"
#include "database/redact.hpp"

namespace {

int report(migration_host::ExitCode code, const std::string& message) {
    std::string line = migration_host::redact_secrets(message);
    for (char& c : line) {
        if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    }
    std::fprintf(stderr, "migration-host: error: %s\n", line.c_str());
    return static_cast<int>(code);
}

}  // namespace

int main(int argc, char* argv[]) {
    using migration_host::ExitCode;
    migration_host::setup_logging(spdlog::level::info);
    try {
        const auto invocation = migration_host::parse_command_line(argc, argv);
        if (invocation.action == migration_host::Invocation::Action::show_text) {
            std::fputs(invocation.text.c_str(), stdout);
            return 0;
        }
        spdlog::set_level(*migration_host::parse_log_level(invocation.global.log_level));
        return static_cast<int>(migration_host::run_command(invocation));
    } catch (const migration_host::HostError& error) {
        return report(error.code(), error.what());
    } catch (const migration_host::odbc::Error& error) {
        return report(ExitCode::step_failed, std::string("database error: ") + error.what());
    } catch (const std::exception& error) {
        return report(ExitCode::step_failed, std::string("unexpected error: ") + error.what());
    }
}
