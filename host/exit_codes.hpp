// The host's exit codes and the exception that carries one to the top level.
#pragma once

#include <stdexcept>
#include <string>

namespace migration_host {

// Documented in README.md; tests assert each one.
enum class ExitCode : int {
    success = 0,
    step_failed = 1,   // a migration step (or its version update) failed
    usage = 2,         // bad command line
    cannot_connect = 3,
    plugin_error = 4,  // load, ABI, unknown track or version, inconsistent catalog
    refused = 5,       // refused by the state of the database
};

// An error with the exit code it maps to. The message is one line, names the
// cause, and never contains a secret.
class HostError : public std::runtime_error {
public:
    HostError(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
    ExitCode code() const noexcept { return code_; }

private:
    ExitCode code_;
};

}  // namespace migration_host
