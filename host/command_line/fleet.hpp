// Fleet runs: one command on every database a targets file lists, each in a forked child process, N at a time.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
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
    // The target as the file writes it, a connection string with its password redacted: what --shard hashes, and
    // the JSON summary's "target".
    std::string label;
    // What the relayed log lines, the progress lines, the live status line and the summary table call it: a DSN
    // or configured target name as the file writes it; for a connection string, a short label that holds no
    // secret, driver:database@host (sqlite:FILE for SQLite), at most fleet_name_columns wide (connection_string_label).
    // Two targets the same short label would name get their line number after it ("#7").
    std::string name;
    std::size_t line = 0;  // in the targets file
    GlobalOptions global;  // the run's options, with this database's DSN (and, for a configured target, its section)
    // How the targets file names it: a configured target's name, or else the DSN name or connection string (which
    // holds its password, if any).
    std::optional<std::string> configured_name;
    std::string dsn;
};

// The widest a connection-string target's short label is, so that the summary table fits 100 columns.
inline constexpr std::size_t fleet_name_columns = 40;

// A connection string's short label, at most fleet_name_columns wide: DRIVER-KIND:DATABASE@HOST (mariadb, postgresql,
// else the driver's name; a long database name cut in its middle, a long host at its end), or sqlite:PATH (cut at its
// start). Made of where the string connects only, never of a password: the whole string is hundreds of columns of
// keys, options and credentials.
std::string connection_string_label(const std::string& connection_string);

// Reads the targets file (--targets): one target per line, blank lines and lines starting with '#' ignored. A line
// holding '=' is a connection string; `target:NAME`, or a NAME the configuration file has a [target.NAME] section
// for, is that configured target; any other line is a DSN name from odbc.ini. Throws HostError(usage) naming the file
// and line for a file that cannot be read, lists no target, lists one twice, names an unknown `target:`, or a
// configured target that loads other plugins than the run (the plugins are loaded once for every database).
std::vector<FleetTarget> read_fleet_targets(const Invocation& invocation);

// Loads the plugins once, then runs `run_one` (the host's top level for one invocation: it returns an exit code
// and reports its own errors on stderr) for every target in a child process of its own, at most --jobs at a time,
// each child's stdout captured. Relays every line each database logs on stderr as it comes, under its name (on a
// terminal below a live status line), and a progress line as each ends; then prints every database's own output
// (text) and a summary table at most 100 columns wide, or one JSON document (--format json). Returns the worst
// exit code of the databases.
int run_fleet(const Invocation& invocation, const std::function<int(const Invocation&)>& run_one);

}  // namespace migration_host
