// Fleet runs: one command on every database a targets file lists, each in a forked child process, N at a time.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "command_line/cli.hpp"

namespace migration_host {

// The variable through which a fleet run that executes the host anew gives each child its target's name (its label),
// which the child's JSON log lines carry as "target". Not an option: the environment's other MIGRATION_HOST_
// variables are left alone.
inline constexpr const char* fleet_log_target_variable = "MIGRATION_HOST_FLEET_TARGET";

// One database of a fleet run.
struct FleetTarget {
    // What the output names it by: the DSN or configured target name as the file writes it, or the connection
    // string with its password redacted.
    std::string label;
    GlobalOptions global;  // the run's options, with this database's DSN (and, for a configured target, its section)
    // How the targets file names it: a configured target's name, or else the DSN name or connection string (which
    // holds its password, if any).
    std::optional<std::string> configured_name;
    std::string dsn;
};

// Reads the targets file (--targets): one target per line, blank lines and lines starting with '#' ignored. A line
// holding '=' is a connection string; `target:NAME`, or a NAME the configuration file has a [target.NAME] section
// for, is that configured target; any other line is a DSN name from odbc.ini. Throws HostError(usage) naming the file
// and line for a file that cannot be read, lists no target, lists one twice, names an unknown `target:`, or a
// configured target that loads other plugins than the run (the plugins are loaded once for every database).
std::vector<FleetTarget> read_fleet_targets(const Invocation& invocation);

// Loads the plugins once, then runs `run_one` (the host's top level for one invocation: it returns an exit code
// and reports its own errors on stderr) for every target in a child process of its own, at most --jobs at a time,
// each child's stdout and stderr captured. Reports each database on stderr as it ends, then prints every
// database's own output (text) and a summary table, or one JSON document (--format json). Returns the worst exit
// code of the databases.
int run_fleet(const Invocation& invocation, const std::function<int(const Invocation&)>& run_one);

}  // namespace migration_host
