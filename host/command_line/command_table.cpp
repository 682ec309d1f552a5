// The command table: one entry per command, from which --help, dispatch and the option checks all come.
// SPDX-License-Identifier: Apache-2.0
#include "command_line/command_table.hpp"

#include <algorithm>

namespace migration_host {

// Each command's handler, defined in a file of its own (command_line/NAME_command.cpp): it builds the command's
// request from the invocation, hands it to the engine and renders the result.
ExitCode run_complete(const Invocation& invocation);
ExitCode run_completion(const Invocation& invocation);
ExitCode run_config(const Invocation& invocation);
ExitCode run_downgrade(const Invocation& invocation);
ExitCode run_history(const Invocation& invocation);
ExitCode run_inspect(const Invocation& invocation);
ExitCode run_plan(const Invocation& invocation);
ExitCode run_plugins(const Invocation& invocation);
ExitCode run_repair(const Invocation& invocation);
ExitCode run_sql(const Invocation& invocation);
ExitCode run_stamp(const Invocation& invocation);
ExitCode run_status(const Invocation& invocation);
ExitCode run_unlock(const Invocation& invocation);
ExitCode run_upgrade(const Invocation& invocation);
ExitCode run_validate(const Invocation& invocation);
ExitCode run_verify(const Invocation& invocation);

namespace {

// clang-format off: one entry per command, laid out as --help reads
#define MH_PLUGIN_OPTIONS "plugin-path", "no-default-plugins", "skip-broken-plugins", "allow-insecure-plugins"
#define MH_CONNECTION_OPTIONS \
    "dsn", "expect-database", "connect-timeout", "statement-timeout", "allow-connection-key"

const std::vector<CommandSpec> commands = {
    {"plugins", "", 0, 0, "List the plugins found in the plugin path, their tracks and versions",
     "Loads every library in the plugin path and lists each plugin (id, version, library) and its\n"
     "migrations. Libraries that cannot be used are listed with the reason; they make the command exit 4.",
     {MH_PLUGIN_OPTIONS, "log-level", "log-format", "format"},
     CommandSpec::Access::reads, run_plugins},
    {"status", "", 0, 0, "Show each track's version in the database, the latest available, and what is pending",
     "Reads migrate_version (without creating it) and compares it with the loaded plugins.",
     {MH_CONNECTION_OPTIONS, MH_PLUGIN_OPTIONS, "log-level", "log-format", "format", "check", "targets", "jobs",
      "shard"},
     CommandSpec::Access::reads, run_status},
    {"upgrade", "[TRACK[@VERSION|@+N]...]", 0, unlimited_arguments,
     "Apply pending migrations (default: every track to its latest)",
     "Applies, in dependency order, every step the targets need, requirements on other tracks included.\n"
     "TRACK alone means its latest version; TRACK@+N, N steps past the version the database has (exit 2\n"
     "beyond the latest). Each step and its version update commit together where the database has\n"
     "transactional DDL (SQLite, PostgreSQL). --format json: one document for the run, a failed one too\n"
     "(docs/output-formats.md); with --targets, the fleet's.",
     {MH_CONNECTION_OPTIONS, "lock-timeout", MH_PLUGIN_OPTIONS, "log-level", "log-format", "targets", "jobs", "shard",
      "format"},
     CommandSpec::Access::writes, run_upgrade},
    {"downgrade", "TRACK@VERSION|TRACK@-N", 1, 1, "Undo migrations of one track down to VERSION",
     "Runs the downgrade steps from the current version down to VERSION, newest first; TRACK@-N goes N\n"
     "steps back from the version the database has (exit 2 below 0). Refused (exit 5, nothing changed)\n"
     "when a step is irreversible or an applied step of another track requires it. --format json: one\n"
     "document for the run, as upgrade's.",
     {MH_CONNECTION_OPTIONS, "lock-timeout", MH_PLUGIN_OPTIONS, "log-level", "log-format", "format"},
     CommandSpec::Access::writes, run_downgrade},
    {"plan", "[TRACK[@VERSION|@+N]...]", 0, unlimited_arguments,
     "Print the steps an upgrade to the targets would run, in order",
     "Reads the database's versions and prints the ordered steps without running anything; TRACK@+N counts\n"
     "from the version the database has, as upgrade does.",
     {MH_CONNECTION_OPTIONS, MH_PLUGIN_OPTIONS, "log-level", "log-format", "format", "targets", "jobs", "shard"},
     CommandSpec::Access::reads, run_plan},
    {"sql", "upgrade|downgrade [TRACK[@VERSION]...]", 1, unlimited_arguments,
     "Print the SQL an upgrade or downgrade would run, without running it",
     "Renders every step of the plan offline, in order, for a DBA to review or run: with --dialect and no\n"
     "connection, from an empty database (a downgrade: from every track at its latest); with --dsn, from\n"
     "that database's versions (read only), which relative targets (TRACK@+N, TRACK@-N) need: with\n"
     "--dialect they are exit 2. Exit 10 when the script stops before a step that queries.",
     {"dialect", "database", MH_CONNECTION_OPTIONS, MH_PLUGIN_OPTIONS, "log-level", "log-format", "format"},
     CommandSpec::Access::reads, run_sql},
    {"stamp", "TRACK@VERSION", 1, 1, "Record a track's version without running any step",
     "Baselines an existing schema: sets the track's version (which must exist in the loaded plugins,\n"
     "or be 0) and records the stamp in the history. Nothing else is changed. --format json: one document\n"
     "for the run, as upgrade's.",
     {MH_CONNECTION_OPTIONS, "lock-timeout", MH_PLUGIN_OPTIONS, "log-level", "log-format", "format"},
     CommandSpec::Access::writes, run_stamp},
    {"history", "[TRACK]", 0, 1, "List every recorded step attempt, oldest first",
     "Shows migration_host_history: step, direction, outcome, duration, plugin and who ran it.",
     {MH_CONNECTION_OPTIONS, MH_PLUGIN_OPTIONS, "log-level", "log-format", "format"},
     CommandSpec::Access::reads, run_history},
    {"validate", "", 0, 0, "Check that applied steps still match the loaded plugins (checksums)",
     "Compares each applied step's recorded checksum with the loaded plugin's. Exit 5 when one changed.",
     {MH_CONNECTION_OPTIONS, MH_PLUGIN_OPTIONS, "log-level", "log-format", "format", "targets", "jobs", "shard"},
     CommandSpec::Access::reads, run_validate},
    {"inspect", "", 0, 0, "Print the live schema: tables, columns, keys, indexes and views",
     "Reads the schema from the database's catalog, canonical and sorted, leaving out the host's own tables.\n"
     "A --table (a table or a view) the database does not have: exit 5.",
     {MH_CONNECTION_OPTIONS, "log-level", "log-format", "format", "table"},
     CommandSpec::Access::reads, run_inspect},
    {"verify", "", 0, 0, "Compare the live schema with what the applied steps should have left",
     "Runs the applied steps on a scratch database of the same kind, outside the live one, and lists every\n"
     "difference from the live schema, tables and views added by hand included. The scratch: a temporary SQLite\n"
     "file; on MySQL/MariaDB and PostgreSQL a database migration_host_verify_* on the same server, which the user\n"
     "must be allowed to create; or, with --scratch-dsn, the empty database it names (never the live one). Removed\n"
     "or emptied again at the end, on SIGINT/SIGTERM too (exit 130/143); one a killed run left is removed by the\n"
     "next.\n"
     "A dirty track (a step failed or was killed on MySQL/MariaDB): the schema is compared with both outcomes of\n"
     "its step, not done and done (every combination, for up to 3 dirty tracks), naming the one it matches and the\n"
     "'repair TRACK@VERSION' that records it, or each one's differences when it matches neither; exit 5 either way.\n"
     "Exit 5 on drift, 1 when the scratch cannot be created. The database itself is only read.",
     {MH_CONNECTION_OPTIONS, "scratch-dsn", "lock-timeout", MH_PLUGIN_OPTIONS, "log-level", "log-format", "format",
      "targets", "jobs", "shard"},
     CommandSpec::Access::reads, run_verify},
    {"config", "", 0, 0, "Print the effective global options and where each one comes from",
     "Resolves the options as any other command would (command line, environment, configuration file,\n"
     "defaults), then prints each with its value and source, passwords hidden. Connects to nothing.",
     {MH_CONNECTION_OPTIONS, "lock-timeout", MH_PLUGIN_OPTIONS, "log-level", "log-format"},
     CommandSpec::Access::reads, run_config},
    {"repair", "TRACK@VERSION", 1, 1, "Mark a dirty track's unfinished step as done or not done",
     "After a step failed or was interrupted where DDL is not transactional (MySQL/MariaDB), fix the\n"
     "schema by hand, then give the step's target version (its changes are in place) or its starting\n"
     "version (they are not): 'verify' says which one the schema matches. Recorded in the history. --format json:\n"
     "one document for the run, as upgrade's.",
     {MH_CONNECTION_OPTIONS, "lock-timeout", MH_PLUGIN_OPTIONS, "log-level", "log-format", "format"},
     CommandSpec::Access::writes, run_repair},
    {"unlock", "", 0, 0, "Release the portable lock that a crashed run left behind",
     "For databases without a lock of their own (neither SQLite, MySQL/MariaDB nor PostgreSQL), which the host\n"
     "locks with a leased row in migration_host_lock. Watches the holder's heartbeat for one lease and clears\n"
     "the row only if it did not move (exit 5 when it did: a run is alive); --force clears it at once. Prints\n"
     "who held it. A lock whose lease ran out is taken over by the next run anyway; this saves the wait.\n"
     "--format json: one document, a refused or failed unlock's too.",
     {MH_CONNECTION_OPTIONS, "log-level", "log-format", "force", "format"},
     CommandSpec::Access::writes, run_unlock},
    {"completion", "bash|zsh", 1, 1, "Print the shell completion script for bash or zsh",
     "Prints a script that completes commands, options, their values, the configuration file's targets and the\n"
     "loaded plugins' tracks (asking this program, with the --config and plugin options typed on the line).\n"
     "The packages install both; elsewhere: source <(migration-host completion bash) in ~/.bashrc, or in zsh\n"
     "migration-host completion zsh > ~/.zfunc/_migration-host with ~/.zfunc in $fpath before compinit.",
     {},
     CommandSpec::Access::reads, run_completion},
    // What the completion scripts ask at completion time: the words, one a line, that only the configuration and
    // the plugins know.
    {"__complete", "targets|tracks|versions", 1, 1, "List the configuration's targets or the plugins' tracks",
     "For the completion scripts: prints, one a line, the configuration file's target names, the loaded\n"
     "plugins' tracks, or every TRACK@VERSION they can reach. Prints nothing for a library it cannot load.",
     {MH_PLUGIN_OPTIONS, "log-level", "log-format"},
     CommandSpec::Access::reads, run_complete, false},
};

#undef MH_PLUGIN_OPTIONS
#undef MH_CONNECTION_OPTIONS
// clang-format on

}  // namespace

const std::vector<CommandSpec>& command_table() {
    return commands;
}

const CommandSpec* find_command(std::string_view name) {
    const auto it = std::find_if(commands.begin(), commands.end(),
                                 [&](const CommandSpec& spec) { return name == spec.name; });
    return it == commands.end() ? nullptr : &*it;
}

}  // namespace migration_host
