// Parses the command line (Boost.Program_options) into one invocation: global options, a command and its arguments.
// SPDX-License-Identifier: Apache-2.0
#include "command_line/cli.hpp"

#include <migration_host/plugin.h>

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
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
};

constexpr std::size_t unlimited = 1000;

const CommandSpec commands[] = {
    {"plugins", "", 0, 0, "List the plugins found in the plugin path, their tracks and versions",
     "Loads every library in the plugin path and lists each plugin (id, version, library) and its\n"
     "migrations. Libraries that cannot be used are listed with the reason; they make the command exit 4."},
    {"status", "", 0, 0, "Show each track's version in the database, the latest available, and what is pending",
     "Reads migrate_version (without creating it) and compares it with the loaded plugins."},
    {"upgrade", "[TRACK[@VERSION]...]", 0, unlimited, "Apply pending migrations (default: every track to its latest)",
     "Applies, in dependency order, every step the targets need, requirements on other tracks included.\n"
     "TRACK alone means its latest version. Each step and its version update commit together where the\n"
     "database has transactional DDL (SQLite, PostgreSQL)."},
    {"downgrade", "TRACK@VERSION", 1, 1, "Undo migrations of one track down to VERSION",
     "Runs the downgrade steps from the current version down to VERSION, newest first. Refused (exit 5,\n"
     "nothing changed) when a step is irreversible or an applied step of another track requires it."},
    {"plan", "[TRACK[@VERSION]...]", 0, unlimited, "Print the steps an upgrade to the targets would run, in order",
     "Reads the database's versions and prints the ordered steps without running anything."},
    {"stamp", "TRACK@VERSION", 1, 1, "Record a track's version without running any step",
     "Baselines an existing schema: sets the track's version (which must exist in the loaded plugins,\n"
     "or be 0) and records the stamp in the history. Nothing else is changed."},
    {"history", "[TRACK]", 0, 1, "List every recorded step attempt, oldest first",
     "Shows migration_host_history: step, direction, outcome, duration, plugin and who ran it."},
    {"validate", "", 0, 0, "Check that applied steps still match the loaded plugins (checksums)",
     "Compares each applied step's recorded checksum with the loaded plugin's. Exit 5 when one changed."},
    {"repair", "TRACK@VERSION", 1, 1, "Mark a dirty track's unfinished step as done or not done",
     "After a step failed or was interrupted where DDL is not transactional (MySQL/MariaDB), fix the\n"
     "schema by hand, then give the step's target version (its changes are in place) or its starting\n"
     "version (they are not). Recorded in the history."},
};

const CommandSpec* find_command(const std::string& name) {
    const auto it = std::find_if(std::begin(commands), std::end(commands),
                                 [&](const CommandSpec& spec) { return name == spec.name; });
    return it == std::end(commands) ? nullptr : &*it;
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

std::string general_help(const po::options_description& global) {
    std::ostringstream out;
    out << "Usage: migration-host [global options] COMMAND [arguments]\n\n"
        << "Applies versioned schema migrations from plugin libraries to a database reached through ODBC.\n\n"
        << "Commands:\n";
    for (const auto& spec : commands) out << fmt::format("  {:<10} {}\n", spec.name, spec.summary);
    out << "\n" << global << "\n"
        << "Run 'migration-host COMMAND --help' for a command's help.\n"
        << "Exit codes: 0 success, 1 a migration step failed, 2 usage error, 3 cannot connect,\n"
        << "            4 plugin error, 5 refused by the state of the database.\n";
    return out.str();
}

std::string command_help(const CommandSpec& spec, const po::options_description& global) {
    std::ostringstream out;
    out << fmt::format("Usage: migration-host [global options] {} {}\n\n{}.\n\n{}\n\n", spec.name, spec.arguments,
                       spec.summary, spec.details)
        << global;
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
    po::options_description hidden;
    hidden.add_options()("command", po::value<std::string>())(
        "arguments", po::value<std::vector<std::string>>()->multitoken());
    po::options_description all;
    all.add(global).add(hidden);
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
        invocation.action = Invocation::Action::show_text;
        invocation.text = command_help(*spec, global);
        return invocation;
    }
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
