// Parses the command line (Boost.Program_options) into one invocation: global options, a command and its arguments.
// SPDX-License-Identifier: Apache-2.0
#include "command_line/cli.hpp"

#include <migration_host/plugin.h>

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <set>
#include <sstream>

#include "exit_codes.hpp"
#include "command_line/config.hpp"
#include "command_line/logging.hpp"

#ifndef MIGRATION_HOST_VERSION
#error "MIGRATION_HOST_VERSION must be defined by the build"
#endif

namespace po = boost::program_options;

namespace migration_host {
namespace {

struct CommandSpec {
    const char* name;
    const char* arguments;  // as shown in usage
    std::size_t min_arguments;
    std::size_t max_arguments;
    const char* summary;
    const char* details;
    // The options the command uses, by long name: its --help shows these only. A command option (see
    // command_option_names) given to a command that does not list it is a usage error; a global option it does not
    // use is accepted and ignored, so one environment or configuration serves every command.
    std::vector<std::string> options;
};

constexpr std::size_t unlimited = 1000;

const char* const exit_code_help =
    "Exit codes: 0 success, 1 a migration step failed, 2 usage error, 3 cannot connect,\n"
    "            4 plugin error, 5 refused by the state of the database (or drift, for verify);\n"
    "            status --check: 6 pending, 7 dirty, 8 ahead of the plugins, 9 track without a plugin.\n";

// Options that some commands take and others refuse.
const std::set<std::string> command_option_names = {"format", "check", "dialect", "database", "table"};

// Global options by what they serve.
#define MH_PLUGIN_OPTIONS "plugin-path", "skip-broken-plugins", "allow-insecure-plugins"
#define MH_CONNECTION_OPTIONS "dsn", "connect-timeout", "statement-timeout"

const std::vector<CommandSpec> commands = {
    {"plugins", "", 0, 0, "List the plugins found in the plugin path, their tracks and versions",
     "Loads every library in the plugin path and lists each plugin (id, version, library) and its\n"
     "migrations. Libraries that cannot be used are listed with the reason; they make the command exit 4.",
     {MH_PLUGIN_OPTIONS, "log-level", "format"}},
    {"status", "", 0, 0, "Show each track's version in the database, the latest available, and what is pending",
     "Reads migrate_version (without creating it) and compares it with the loaded plugins.",
     {MH_CONNECTION_OPTIONS, MH_PLUGIN_OPTIONS, "log-level", "format", "check"}},
    {"upgrade", "[TRACK[@VERSION]...]", 0, unlimited, "Apply pending migrations (default: every track to its latest)",
     "Applies, in dependency order, every step the targets need, requirements on other tracks included.\n"
     "TRACK alone means its latest version. Each step and its version update commit together where the\n"
     "database has transactional DDL (SQLite, PostgreSQL).",
     {MH_CONNECTION_OPTIONS, "lock-timeout", MH_PLUGIN_OPTIONS, "log-level"}},
    {"downgrade", "TRACK@VERSION", 1, 1, "Undo migrations of one track down to VERSION",
     "Runs the downgrade steps from the current version down to VERSION, newest first. Refused (exit 5,\n"
     "nothing changed) when a step is irreversible or an applied step of another track requires it.",
     {MH_CONNECTION_OPTIONS, "lock-timeout", MH_PLUGIN_OPTIONS, "log-level"}},
    {"plan", "[TRACK[@VERSION]...]", 0, unlimited, "Print the steps an upgrade to the targets would run, in order",
     "Reads the database's versions and prints the ordered steps without running anything.",
     {MH_CONNECTION_OPTIONS, MH_PLUGIN_OPTIONS, "log-level", "format"}},
    {"sql", "upgrade|downgrade [TRACK[@VERSION]...]", 1, unlimited,
     "Print the SQL an upgrade or downgrade would run, without running it",
     "Renders every step of the plan offline, in order, for a DBA to review or run: with --dialect and no\n"
     "connection, from an empty database; with --dsn, from that database's versions (read only).",
     {"dialect", "database", MH_CONNECTION_OPTIONS, MH_PLUGIN_OPTIONS, "log-level", "format"}},
    {"stamp", "TRACK@VERSION", 1, 1, "Record a track's version without running any step",
     "Baselines an existing schema: sets the track's version (which must exist in the loaded plugins,\n"
     "or be 0) and records the stamp in the history. Nothing else is changed.",
     {MH_CONNECTION_OPTIONS, "lock-timeout", MH_PLUGIN_OPTIONS, "log-level"}},
    {"history", "[TRACK]", 0, 1, "List every recorded step attempt, oldest first",
     "Shows migration_host_history: step, direction, outcome, duration, plugin and who ran it.",
     {MH_CONNECTION_OPTIONS, MH_PLUGIN_OPTIONS, "log-level", "format"}},
    {"validate", "", 0, 0, "Check that applied steps still match the loaded plugins (checksums)",
     "Compares each applied step's recorded checksum with the loaded plugin's. Exit 5 when one changed.",
     {MH_CONNECTION_OPTIONS, MH_PLUGIN_OPTIONS, "log-level", "format"}},
    {"inspect", "", 0, 0, "Print the live schema: tables, columns, keys and indexes",
     "Reads the schema through the ODBC catalog functions, canonical and sorted, leaving out the host's own tables.\n"
     "A --table the database does not have: exit 5.",
     {MH_CONNECTION_OPTIONS, "log-level", "format", "table"}},
    {"verify", "", 0, 0, "Compare the live schema with what the applied steps should have left",
     "Runs the applied steps on a scratch database of the same kind (a temporary SQLite file, a MySQL database or a\n"
     "PostgreSQL schema migration_host_verify_*, which the user must be allowed to create; always dropped again) and\n"
     "lists every difference from the live schema, tables added by hand included. Exit 5 on drift, 1 when the\n"
     "scratch cannot be created. The database itself is only read.",
     {MH_CONNECTION_OPTIONS, MH_PLUGIN_OPTIONS, "log-level", "format"}},
    {"repair", "TRACK@VERSION", 1, 1, "Mark a dirty track's unfinished step as done or not done",
     "After a step failed or was interrupted where DDL is not transactional (MySQL/MariaDB), fix the\n"
     "schema by hand, then give the step's target version (its changes are in place) or its starting\n"
     "version (they are not). Recorded in the history.",
     {MH_CONNECTION_OPTIONS, "lock-timeout", MH_PLUGIN_OPTIONS, "log-level"}},
};

#undef MH_PLUGIN_OPTIONS
#undef MH_CONNECTION_OPTIONS

const CommandSpec* find_command(const std::string& name) {
    const auto it = std::find_if(commands.begin(), commands.end(),
                                 [&](const CommandSpec& spec) { return name == spec.name; });
    return it == commands.end() ? nullptr : &*it;
}

// A numeric option: taken as text and parsed strictly here, because Boost.Program_options reads "-1" into an
// unsigned type as 4294967295.
struct SecondsOption {
    const char* name;
    std::uint32_t min;
    std::uint32_t max;
    std::uint32_t GlobalOptions::*field;
};

const SecondsOption seconds_options[] = {
    {"connect-timeout", 1, 3600, &GlobalOptions::connect_timeout_seconds},
    {"lock-timeout", 0, 86400, &GlobalOptions::lock_timeout_seconds},
    {"statement-timeout", 0, 86400, &GlobalOptions::statement_timeout_seconds},
};

po::typed_value<std::string>* seconds_value(std::uint32_t default_seconds) {
    return po::value<std::string>()->value_name("SECONDS")->default_value(std::to_string(default_seconds));
}

po::options_description global_options_description(GlobalOptions& global) {
    po::options_description options("Global options");
    options.add_options()
        ("help,h", "show help (after a command: that command's help)")
        ("version", "show the host's version and plugin ABI version")
        ("dsn", po::value<std::string>()->value_name("DSN"),
         "ODBC DSN name or full connection string (env MIGRATION_HOST_DSN; default: SQLite file "
         "./migration-host.sqlite through the SQLite3 driver)")
        ("plugin-path", po::value<std::vector<std::string>>(&global.plugin_paths)->value_name("DIR")->composing(),
         "directory to load plugins from; repeatable (env MIGRATION_HOST_PLUGIN_PATH, colon-separated; "
         "default: ../lib/migration-host/plugins beside the executable)")
        ("log-level", po::value<std::string>(&global.log_level)->value_name("LEVEL")->default_value("info"),
         "trace, debug, info, warn, error or off (logs go to stderr)")
        ("connect-timeout", seconds_value(global.connect_timeout_seconds),
         "login timeout for the database connection (1 to 3600)")
        ("lock-timeout", seconds_value(global.lock_timeout_seconds),
         "how long to wait for another migration-host run against the same database (0 to 86400; 0: do not wait)")
        ("statement-timeout", seconds_value(global.statement_timeout_seconds),
         "longest any one statement may run, a step's included, before the step fails (0 to 86400; 0: no limit)")
        ("skip-broken-plugins", po::bool_switch(&global.skip_broken_plugins),
         "warn about libraries in the plugin path that cannot be used, instead of failing (exit 4)")
        ("allow-insecure-plugins", po::bool_switch(&global.allow_insecure_plugins),
         "load plugin libraries that users other than root and you could change, with a warning, instead of "
         "refusing them (exit 4)");
    return options;
}

po::options_description command_options_description(CommandOptions& options) {
    po::options_description description("Command options");
    description.add_options()
        ("format", po::value<std::string>()->value_name("FORMAT"), "text (default) or json")
        ("check", po::bool_switch(&options.check),
         "exit non-zero when a step is pending (6), a track is dirty (7), the database is ahead of the plugins "
         "(8) or a track is provided by no plugin (9)")
        ("dialect", po::value<std::string>()->value_name("DIALECT"),
         "render for sqlite, mysql or postgresql with no connection, from an empty database")
        ("database", po::value<std::string>()->value_name("NAME"),
         "the database name statements about the current database should name (default: none, so they apply "
         "to whichever database the script is run on)")
        ("table", po::value<std::vector<std::string>>(&options.tables)->value_name("TABLE")->composing(),
         "only this table; repeatable");
    return description;
}

// The options of `all` that `spec` uses, in the order `all` lists them.
po::options_description options_used_by(const CommandSpec& spec, const po::options_description& all) {
    po::options_description used("Options");
    for (const auto& option : all.options()) {
        const auto& name = option->long_name();
        if (name == "help" ||
            std::find(spec.options.begin(), spec.options.end(), name) != spec.options.end()) {
            used.add(option);
        }
    }
    return used;
}

std::string general_help(const po::options_description& global) {
    std::ostringstream out;
    out << "Usage: migration-host [global options] COMMAND [arguments]\n\n"
        << "Applies versioned schema migrations from plugin libraries to a database reached through ODBC.\n\n"
        << "Commands:\n";
    for (const auto& spec : commands) out << fmt::format("  {:<10} {}\n", spec.name, spec.summary);
    out << "\n" << global << "\n"
        << "Run 'migration-host COMMAND --help' for a command's help.\n"
        << exit_code_help;
    return out.str();
}

std::string command_help(const CommandSpec& spec, const po::options_description& all) {
    std::ostringstream out;
    out << fmt::format("Usage: migration-host [options] {} {}\n\n{}.\n\n{}\n\n", spec.name, spec.arguments,
                       spec.summary, spec.details)
        << options_used_by(spec, all) << "\n"
        << exit_code_help;
    return out.str();
}

HostError usage_error(const std::string& message) {
    return HostError(ExitCode::usage, message + " (see 'migration-host --help')");
}

void read_seconds_options(const po::variables_map& values, GlobalOptions& global) {
    for (const auto& option : seconds_options) {
        const auto& text = values[option.name].as<std::string>();
        const auto seconds = parse_bounded_number(text, option.min, option.max);
        if (!seconds) {
            throw usage_error(fmt::format("invalid --{} '{}': expected a whole number of seconds from {} to {}",
                                          option.name, text, option.min, option.max));
        }
        global.*option.field = *seconds;
    }
}

void read_command_options(const po::variables_map& values, CommandOptions& options) {
    if (values.count("format")) {
        const auto& format = values["format"].as<std::string>();
        if (format == "text") {
            options.format = OutputFormat::text;
        } else if (format == "json") {
            options.format = OutputFormat::json;
        } else {
            throw usage_error(fmt::format("invalid --format '{}': expected text or json", format));
        }
    }
    if (values.count("dialect")) options.dialect = values["dialect"].as<std::string>();
    if (values.count("database")) options.database_name = values["database"].as<std::string>();
}

}  // namespace

std::optional<std::uint32_t> parse_bounded_number(std::string_view text, std::uint32_t min, std::uint32_t max) {
    // from_chars alone would accept a leading '-' and stop at the first non-digit.
    if (text.empty() || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return std::nullopt;
    }
    std::uint32_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || value < min || value > max) return std::nullopt;
    return value;
}

Invocation parse_command_line(int argc, const char* const argv[]) {
    Invocation invocation;
    auto global = global_options_description(invocation.global);
    auto command_options = command_options_description(invocation.options);
    po::options_description hidden;
    hidden.add_options()("command", po::value<std::string>())(
        "arguments", po::value<std::vector<std::string>>()->multitoken());
    po::options_description all;
    all.add(global).add(command_options).add(hidden);
    po::positional_options_description positional;
    positional.add("command", 1).add("arguments", -1);

    po::variables_map values;
    try {
        // Global options may stand before or after the command; anything
        // after "--" is positional.
        po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), values);
        po::notify(values);
    } catch (const po::error_with_option_name& error) {
        // Boost 1.74 builds this message by replacing each %placeholder% until none is left, so an option that
        // holds one in its own text ("--x%canonical_option%") never gets a message: what() loops forever. No
        // option of ours has a '%'; name such a token without asking Boost for its text.
        const std::string option = error.get_option_name();
        if (option.find('%') != std::string::npos) throw usage_error(fmt::format("unrecognised option '{}'", option));
        throw usage_error(error.what());
    } catch (const po::error& error) {
        throw usage_error(error.what());
    }
    if (values.count("dsn")) {
        invocation.global.dsn = values["dsn"].as<std::string>();
        if (const auto problem = connection_string_problem(connection_string_for(*invocation.global.dsn))) {
            throw usage_error("invalid --dsn: " + *problem);
        }
    }
    if (!parse_log_level(invocation.global.log_level)) {
        throw usage_error(fmt::format("invalid --log-level '{}'", invocation.global.log_level));
    }
    read_seconds_options(values, invocation.global);

    if (values.count("version")) {
        invocation.action = Invocation::Action::show_text;
        invocation.text = fmt::format("migration-host {} (plugin ABI {}.{})\n", MIGRATION_HOST_VERSION, MH_ABI_VERSION_MAJOR,
                                        MH_ABI_VERSION_MINOR);
        return invocation;
    }
    const bool help = values.count("help") > 0;
    if (!values.count("command")) {
        if (help) {
            invocation.action = Invocation::Action::show_text;
            invocation.text = general_help(global);
            return invocation;
        }
        throw usage_error("no command given");
    }
    invocation.command = values["command"].as<std::string>();
    const CommandSpec* spec = find_command(invocation.command);
    if (spec == nullptr) throw usage_error(fmt::format("unknown command '{}'", invocation.command));
    if (help) {
        po::options_description shown;
        shown.add(global).add(command_options);
        invocation.action = Invocation::Action::show_text;
        invocation.text = command_help(*spec, shown);
        return invocation;
    }
    for (const auto& name : command_option_names) {
        if (values.count(name) && !values[name].defaulted() &&
            std::find(spec->options.begin(), spec->options.end(), name) == spec->options.end()) {
            throw usage_error(fmt::format("{} does not take --{}", spec->name, name));
        }
    }
    read_command_options(values, invocation.options);
    if (values.count("arguments")) invocation.arguments = values["arguments"].as<std::vector<std::string>>();
    const auto count = invocation.arguments.size();
    if (count < spec->min_arguments || count > spec->max_arguments) {
        throw usage_error(count < spec->min_arguments
                              ? fmt::format("{} needs {}", spec->name, spec->arguments)
                              : fmt::format("{} takes {}", spec->name,
                                            spec->max_arguments == 0 ? std::string("no arguments")
                                                                     : "at most " + std::string(spec->arguments)));
    }
    return invocation;
}

}  // namespace migration_host
