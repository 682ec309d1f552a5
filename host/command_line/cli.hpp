// Parses the command line (Boost.Program_options) into one invocation: global options, a command and its arguments.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "command_line/config.hpp"
#include "engine/fleet_shard.hpp"
#include "engine/session.hpp"
#include "exit_codes.hpp"

namespace migration_host {

// The effective global options: each from the command line, else the environment (MIGRATION_HOST_<OPTION>), else
// the configuration file's target section, else its top level, else the default.
struct GlobalOptions {
    // DSN name or connection string, the password of password-file/password-env appended; none: the SQLite default.
    std::optional<std::string> dsn;
    // verify's scratch: a DSN name or connection string of an empty database to build in (--scratch-dsn); none: a
    // scratch database that verify creates itself.
    std::optional<std::string> scratch_dsn;
    // Connection-string keys to pass to a known driver although the host's table of its keys lacks them
    // (--allow-connection-key, repeatable; comma-separated in the environment).
    std::vector<std::string> allowed_connection_keys;
    // Why there is no dsn although one is needed, when the configuration file defines targets and none is chosen (the
    // SQLite default stands in only when no configuration file names a connection); refused where a command connects.
    std::optional<std::string> default_refused;
    // --expect-database: the database the connection must reach (its current database; for SQLite, its file).
    std::optional<std::string> expect_database;
    // Every directory to load plugins from, in search order: the default one first (unless no_default_plugins),
    // then those given by --plugin-path, MIGRATION_HOST_PLUGIN_PATH or the configuration file.
    std::vector<std::string> plugin_paths;
    bool no_default_plugins = false;
    std::optional<std::filesystem::path> config_file;  // the configuration file read, if any
    std::optional<std::string> target;                 // its [target.NAME] section in use, if any
    std::string log_level = "info";
    std::string log_format = "text";  // --log-format: "text" or "json" (one object per line)
    std::uint32_t connect_timeout_seconds = 15;   // 1..3600
    std::uint32_t lock_timeout_seconds = 60;      // 0..86400
    std::uint32_t statement_timeout_seconds = 0;  // 0..86400, 0: no bound
    bool skip_broken_plugins = false;
    bool allow_insecure_plugins = false;
    // --shard INDEX/COUNT: the share of a fleet's targets file this process runs, when several machines split it;
    // none: all of it. A fleet's only (refused on the command line without --targets, unused by other runs).
    std::optional<FleetShard> shard;
};

// How a command renders its result on stdout (--format).
enum class OutputFormat { text, json };

// Options that only some commands take; each command's entry in the command table lists the ones it uses, and
// giving one to another command is a usage error.
struct CommandOptions {
    // --format: plugins, status, plan, history, validate, inspect, verify, sql, and the writing commands (upgrade,
    // downgrade, stamp, repair, unlock)
    OutputFormat format = OutputFormat::text;
    bool format_given = false;                  // whether --format was given at all
    bool check = false;                         // status --check: exit non-zero when anything needs attention
    std::optional<std::string> dialect;         // sql --dialect sqlite|mysql|postgresql (instead of a connection)
    std::optional<std::string> database_name;   // sql --database NAME
    std::vector<std::string> tables;            // inspect --table T (repeatable)
    bool force = false;                         // unlock --force: clear the lock even while its lease is alive
    // Fleet runs (fleet.cpp): upgrade, status, plan, validate and verify over every database --targets lists,
    // --jobs at a time (1..64).
    std::optional<std::string> targets_file;
    std::uint32_t jobs = 1;
};

struct Invocation {
    enum class Action { run, show_text };
    Action action = Action::run;
    std::string text;  // for show_text: help, version, or the effective options (`config`), printed to stdout
    std::string command;
    GlobalOptions global;
    CommandOptions options;
    std::vector<std::string> arguments;  // the command's positional arguments
    // What the command line said about the configurable global options, so that a fleet run can resolve each
    // configured target listed in its targets file as `--target NAME` would.
    SourcedValues command_line_sources;
    // Each option and positional argument as the command line gave it, in order: its canonical name ("targets",
    // "command", "arguments") and its tokens. A fleet run that executes the host again for each database passes them
    // on, without the fleet's own options.
    struct GivenOption {
        std::string name;
        std::vector<std::string> tokens;
    };
    std::vector<GivenOption> given;
};

// Throws HostError(usage) with a one-line cause for anything malformed, in the command line, the environment or the
// configuration file (naming the variable, or the file and line).
Invocation parse_command_line(int argc, const char* const argv[]);

// The global options for the configuration file's [target.NAME] section, resolved as `--target NAME` would, the
// rest of the command line included (a fleet run's targets file names it; a --dsn given is not used).
GlobalOptions resolve_target_options(const Invocation& invocation, const std::string& target_name,
                                     const std::string& named_by);

// The configuration file's target names ([target.NAME] sections); none without a file.
std::vector<std::string> configured_target_names(const GlobalOptions& global);

// The options the engine takes, from the resolved global options.
PluginOptions plugin_options(const GlobalOptions& global);
ConnectionOptions connection_options(const GlobalOptions& global);

// An option as --help lists it, for the completion scripts.
struct OptionSummary {
    std::string name;         // long name, without "--"
    std::string value_name;   // "FILE", "NAME", ...; empty for a switch, which takes no value
    std::string description;  // its first line in --help
};
// The global options, --help and --version included, in --help's order.
std::vector<OptionSummary> global_option_summaries();
// The options that only some commands take (each command's entry in the command table lists those it uses).
std::vector<OptionSummary> command_option_summaries();

// The values --format takes, as read_command_options checks them.
std::vector<std::string> output_format_names();

// A whole number from `min` to `max`, written in decimal digits only: no sign,
// blank, exponent or fraction. nullopt for anything else.
std::optional<std::uint32_t> parse_bounded_number(std::string_view text, std::uint32_t min, std::uint32_t max);

}  // namespace migration_host
