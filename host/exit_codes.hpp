// The host's exit codes and the exception that carries one to the top level.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace migration_host {

// Documented in README.md and docs/commands.md; tests assert each one.
enum class ExitCode : int {
    success = 0,
    step_failed = 1,   // a migration step (or its version update) failed
    usage = 2,         // bad command line
    cannot_connect = 3,
    plugin_error = 4,  // load, ABI, unknown track or version, inconsistent catalog
    refused = 5,       // refused by the state of the database (for verify: drift)
    // status --check, when the database needs attention. When several apply, the most severe wins: dirty (a human
    // must look first), then ahead and unversioned (upgrade refuses), then an unknown track, then pending (upgrade
    // fixes it).
    check_pending = 6,        // a step is pending
    check_dirty = 7,          // a track is dirty (a step failed or was killed where DDL is not transactional)
    check_ahead = 8,          // the database is ahead of the loaded plugins
    check_unknown_track = 9,  // a track in the database that no loaded plugin provides
    // sql: the script stops before a step that cannot be rendered offline (it queries the database) or written
    // into a script; what it prints is correct up to there, and says so
    sql_incomplete = 10,
    // another run held the run lock for all of --lock-timeout: nothing was changed, and trying again later is right
    // (unlike 5, whose causes stay until someone acts)
    lock_timeout = 11,
    // status --check: tables a track's first step creates exist, but the track has no version (stamp it; upgrade
    // and plan refuse, 5). Numbered after the codes that came before it, ranked beside ahead.
    check_unversioned = 12,
};

// An error with the exit code it maps to. The message is one line, names the
// cause, and never contains a secret. Further lines, each reported on its own
// after it, say what else went wrong on the way out (e.g. a history row that
// could not be written after a step failed): never instead of the cause.
class HostError : public std::runtime_error {
public:
    HostError(ExitCode code, const std::string& message, std::vector<std::string> further_lines = {})
        : std::runtime_error(message), code_(code), further_lines_(std::move(further_lines)) {}
    ExitCode code() const noexcept { return code_; }
    const std::vector<std::string>& further_lines() const noexcept { return further_lines_; }

private:
    ExitCode code_;
    std::vector<std::string> further_lines_;
};

}  // namespace migration_host
