// Parses the command line (Boost.Program_options) into one invocation: global options, a command and its arguments.
// SPDX-License-Identifier: Apache-2.0
#include "command_line/cli.hpp"

#include <migration_host/plugin.h>

#include <boost/program_options.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <set>
#include <sstream>
#include <utility>

#include "bounded_list.hpp"
#include "exit_codes.hpp"
#include "command_line/command_table.hpp"
#include "command_line/config.hpp"
#include "command_line/logging.hpp"
#include "command_line/settings.hpp"
#include "command_line/terminal_text.hpp"
#include "database/redact.hpp"

#ifndef MIGRATION_HOST_VERSION
#error "MIGRATION_HOST_VERSION must be defined by the build"
#endif

namespace po = boost::program_options;

namespace migration_host {
namespace {

// A paragraph without a hanging indent: help2man, which makes the manual page from --help, would take indented lines
// for an option's description.
const char* const exit_code_help =
    "Exit codes: 0 success, 1 a migration step failed, 2 usage error (command line, environment or configuration\n"
    "file), 3 cannot connect, 4 plugin error, 5 refused by the state of the database (or drift, for verify);\n"
    "status --check: 6 pending, 7 dirty, 8 ahead of the plugins, 9 track without a plugin, 12 tables without a\n"
    "version (stamp first); sql: 10 the script stops before a step that needs a live connection; 11 the run lock\n"
    "did not come within --lock-timeout (retry later).\n";

const char* const configuration_help =
    "Every global option can also be set by its environment variable (shown with it) or in an INI file:\n"
    "--config FILE, else MIGRATION_HOST_CONFIG, else ./migration-host.ini when present. The file's top level\n"
    "and its [target.NAME] sections (chosen with --target NAME) take the options' names, plus password-file\n"
    "or password-env for the DSN's password. The command line wins over the environment, the environment\n"
    "over the file, the target section over the file's top level. 'migration-host config' shows the result.\n"
    "A file with [target.NAME] sections and none chosen, and no dsn, is refused (exit 2) by every command that\n"
    "connects, rather than using the SQLite default.\n"
    "The file and a password-file are refused (exit 2) if anyone but root and you could change them: owned by\n"
    "another user, writable by group or others, or in a directory others can write to, unless sticky like /tmp.\n";

// Wide enough for the options' descriptions to read as sentences rather than narrow columns.
constexpr unsigned help_line_length = 110;
constexpr unsigned help_min_description_length = 60;

// --format's values: the check in read_command_options, and the completion scripts' list.
constexpr std::array<std::pair<std::string_view, OutputFormat>, 2> output_formats = {
    {{"text", OutputFormat::text}, {"json", OutputFormat::json}}};

// Options that some commands take and others refuse.
const std::set<std::string> command_option_names = {"format", "check", "dialect", "database", "table", "force",
                                                     "targets", "jobs", "shard"};

// The variable on a line of its own, under the description: a name cut in two by the wrapping is hard to find.
std::string with_environment(const std::string& description, const char* option) {
    return fmt::format("{}\nenv {}", description, environment_variable_for(option));
}

po::options_description global_options_description() {
    po::options_description options("Global options", help_line_length, help_min_description_length);
    const auto add = [&](const char* name, const po::value_semantic* semantic, const std::string& description) {
        options.add_options()(name, semantic, with_environment(description, name).c_str());
    };
    options.add_options()
        ("help,h", "show help (after a command: that command's help)")
        ("version", "show the host's version and plugin ABI version");
    add("config", po::value<std::string>()->value_name("FILE"),
        "INI file to read options from (default: ./migration-host.ini when present)");
    add("target", po::value<std::string>()->value_name("NAME"),
        "use the configuration file's [target.NAME] section, over its top level");
    add("dsn", po::value<std::string>()->value_name("DSN"),
        "ODBC DSN name or full connection string (default: SQLite file ./migration-host.sqlite through the "
        "SQLite3 driver, unless a configuration file defines targets and none is chosen: exit 2); its keys, and "
        "those of its odbc.ini section, must be ones the driver reads (exit 2 naming the nearest)");
    add("expect-database", po::value<std::string>()->value_name("NAME"),
        "refuse (exit 5) before anything is read or written unless the connection reaches the database NAME: "
        "MySQL/MariaDB's and PostgreSQL's current database, SQLite's file (as a path)");
    add("scratch-dsn", po::value<std::string>()->value_name("DSN"),
        "verify only: an empty database of the live one's kind (MySQL/MariaDB, PostgreSQL) to build the expected "
        "schema in, emptied again afterwards, instead of a scratch database verify creates (for a user who may "
        "not create databases); never the live database");
    add("allow-connection-key", po::value<std::vector<std::string>>()->value_name("KEY"),
        "pass KEY to the driver although the host does not know it: a connection string or odbc.ini DSN that gives "
        "a key its driver (SQLite3, MariaDB, psqlODBC) does not read is refused (exit 2), as the driver would "
        "ignore it; repeatable; comma-separated in the environment");
    add("plugin-path", po::value<std::vector<std::string>>()->value_name("DIR"),
        "directory to load plugins from, after the default one (../lib/migration-host/plugins beside the "
        "executable); repeatable; colon-separated in the environment");
    add("no-default-plugins", po::bool_switch(),
        "do not load plugins from the default directory, only from --plugin-path");
    add("log-level", po::value<std::string>()->value_name("LEVEL"),
        "trace, debug, info (default), warn, error or off; logs go to stderr");
    add("log-format", po::value<std::string>()->value_name("FORMAT"),
        "text (default) or json: one JSON object per log line (time, level, message; target, track and version "
        "where known), the error line included (see docs/output-formats.md)");
    add("connect-timeout", po::value<std::string>()->value_name("SECONDS"),
        "login timeout for the database connection, 1 to 3600 (default 15)");
    add("lock-timeout", po::value<std::string>()->value_name("SECONDS"),
        "how long to wait for another migration-host run against the same database, 0 to 86400 (default 60; "
        "0: do not wait)");
    add("statement-timeout", po::value<std::string>()->value_name("SECONDS"),
        "longest any one statement may run, a step's included, before the step fails, 0 to 86400 (default 0: "
        "no limit)");
    add("skip-broken-plugins", po::bool_switch(),
        "warn about libraries in the plugin path that cannot be used, instead of failing (exit 4)");
    add("allow-insecure-plugins", po::bool_switch(),
        "load plugin libraries that users other than root and you could change, with a warning, instead of "
        "refusing them (exit 4)");
    return options;
}

po::options_description command_options_description(CommandOptions& options) {
    po::options_description description("Command options", help_line_length, help_min_description_length);
    description.add_options()
        ("format", po::value<std::string>()->value_name("FORMAT"), "text (default) or json")
        ("check", po::bool_switch(&options.check),
         "exit non-zero when a step is pending (6), a track is dirty (7), the database is ahead of the plugins "
         "(8), a track is provided by no plugin (9) or a track's tables exist without a version (12)")
        ("dialect", po::value<std::string>()->value_name("DIALECT"),
         "render for sqlite, mysql or postgresql with no connection, from an empty database")
        ("database", po::value<std::string>()->value_name("NAME"),
         "the database name statements about the current database should name (default: none, so they apply "
         "to whichever database the script is run on)")
        ("table", po::value<std::vector<std::string>>(&options.tables)->value_name("TABLE")->composing(),
         "only this table or view; repeatable")
        ("force", po::bool_switch(&options.force),
         "clear the lock at once, even while its holder's lease is alive (that run stops before its next step)")
        ("targets", po::value<std::string>()->value_name("FILE"),
         "run on every database FILE lists, one per line: a DSN name, a connection string or a configuration "
         "file target (see docs/operations.md, Fleet runs); exit code: the worst of theirs")
        ("jobs", po::value<std::string>()->value_name("N"),
         "with --targets: how many databases to work on at once, 1 to 64 (default 1)")
        ("shard", po::value<std::string>()->value_name("INDEX/COUNT"),
         with_environment(fmt::format("with --targets: run only shard INDEX (from 0) of COUNT (1 to {}), for COUNT "
                                      "machines splitting one targets file; a target's shard follows from its name "
                                      "alone (rendezvous hashing), the same on every machine; also the file's "
                                      "top-level key shard",
                                      max_shard_count),
                          "shard")
             .c_str());
    return description;
}

// The options of `all` that `spec` uses, in the order `all` lists them.
po::options_description options_used_by(const CommandSpec& spec, const po::options_description& all) {
    po::options_description used("Options", help_line_length, help_min_description_length);
    for (const auto& option : all.options()) {
        const auto& name = option->long_name();
        if (name == "help" || name == "config" || name == "target" ||
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
    for (const auto& spec : command_table()) {
        if (spec.listed) out << fmt::format("  {:<10} {}\n", spec.name, spec.summary);
    }
    out << "\n" << global << "\n"
        << configuration_help << "\n"
        << "Run 'migration-host COMMAND --help' for a command's help.\n"
        << exit_code_help;
    return out.str();
}

std::string command_help(const CommandSpec& spec, const po::options_description& all) {
    std::ostringstream out;
    out << fmt::format("Usage: migration-host [global options] {}{}{}\n\n{}.\n\n{}\n\n", spec.name,
                       *spec.arguments ? " " : "", spec.arguments, spec.summary, spec.details)
        << options_used_by(spec, all) << "\n"
        << configuration_help << "\n"
        << exit_code_help;
    return out.str();
}

void read_command_options(const po::variables_map& values, CommandOptions& options) {
    if (values.count("format")) {
        options.format_given = true;
        const auto& format = values["format"].as<std::string>();
        const auto known = std::find_if(output_formats.begin(), output_formats.end(),
                                        [&](const auto& entry) { return entry.first == format; });
        if (known == output_formats.end()) {
            throw usage_error(fmt::format("invalid --format '{}': expected text or json", format));
        }
        options.format = known->second;
    }
    if (values.count("dialect")) options.dialect = values["dialect"].as<std::string>();
    if (values.count("database")) options.database_name = values["database"].as<std::string>();
    if (values.count("targets")) options.targets_file = values["targets"].as<std::string>();
    if (values.count("jobs")) {
        const auto& text = values["jobs"].as<std::string>();
        const auto jobs = parse_bounded_number(text, 1, 64);
        if (!jobs) throw usage_error(fmt::format("invalid --jobs '{}': expected a whole number from 1 to 64", text));
        if (!options.targets_file) throw usage_error("--jobs needs --targets FILE");
        options.jobs = *jobs;
    }
}

// --- Configuration: the sources, their precedence, and what each option becomes ---------------------------------

// What the command line says about the global options that other sources can also set.
SourcedValues command_line_values(const po::variables_map& values) {
    SourcedValues given;
    auto options = environment_options();
    for (const auto& name : options) {
        if (!values.count(name) || values[name].defaulted()) continue;
        const auto& value = values[name].value();
        SourcedValue sourced{{}, "--" + name, {}};
        if (const auto* flag = boost::any_cast<bool>(&value)) {
            if (!*flag) continue;  // a bool_switch not given
            sourced.values = {"true"};
        } else if (const auto* list = boost::any_cast<std::vector<std::string>>(&value)) {
            sourced.values = *list;
        } else {
            sourced.values = {boost::any_cast<std::string>(value)};
        }
        given.emplace(name, std::move(sourced));
    }
    return given;
}

std::vector<OptionSummary> option_summaries(const po::options_description& description) {
    std::vector<OptionSummary> summaries;
    for (const auto& option : description.options()) {
        const std::string& text = option->description();
        summaries.push_back({option->long_name(), option->format_parameter(), text.substr(0, text.find('\n'))});
    }
    return summaries;
}

}  // namespace

std::vector<OptionSummary> global_option_summaries() {
    return option_summaries(global_options_description());
}

std::vector<OptionSummary> command_option_summaries() {
    CommandOptions unused;
    return option_summaries(command_options_description(unused));
}

std::vector<std::string> output_format_names() {
    std::vector<std::string> names;
    for (const auto& [name, format] : output_formats) names.emplace_back(name);
    return names;
}

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
    auto global = global_options_description();
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
        const po::parsed_options parsed =
            po::command_line_parser(argc, argv).options(all).positional(positional).run();
        po::store(parsed, values);
        po::notify(values);
        for (const auto& option : parsed.options) {
            invocation.given.push_back({option.string_key, option.original_tokens});
        }
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
    }
    if (values.count("command")) {
        invocation.command = values["command"].as<std::string>();
    }
    const CommandSpec* spec = invocation.command.empty() ? nullptr : find_command(invocation.command);
    if (spec != nullptr && help) {
        po::options_description shown;
        shown.add(global).add(command_options);
        invocation.action = Invocation::Action::show_text;
        invocation.text = command_help(*spec, shown);
        return invocation;
    }

    // Before the command is checked: a bad environment or configuration file is reported whatever the command.
    std::vector<std::string> effective;
    invocation.command_line_sources = command_line_values(values);
    resolve_global_options(invocation.command_line_sources, invocation.global, effective);
    spdlog::set_level(*parse_log_level(invocation.global.log_level));
    set_log_format(*parse_log_format(invocation.global.log_format));
    for (const auto& line : effective) spdlog::debug("option {}", line);

    if (invocation.command.empty()) throw usage_error("no command given");
    if (spec == nullptr) throw usage_error(fmt::format("unknown command '{}'", invocation.command));
    for (const auto& name : command_option_names) {
        if (values.count(name) && !values[name].defaulted() &&
            std::find(spec->options.begin(), spec->options.end(), name) == spec->options.end()) {
            throw usage_error(fmt::format("{} does not take --{}", spec->name, name));
        }
    }
    read_command_options(values, invocation.options);
    // From the environment or the file, a shard only applies to fleet runs: a single-database run in the same pod is
    // not refused for it.
    if (invocation.command_line_sources.count("shard") && !invocation.options.targets_file) {
        throw usage_error("--shard needs --targets FILE");
    }
    if (invocation.options.targets_file && invocation.command_line_sources.count("dsn")) {
        throw usage_error("--targets and --dsn: a fleet run takes each database from its targets file");
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
    if (invocation.command == "config") {
        for (const auto& line : effective) invocation.text += line + "\n";
    }
    return invocation;
}

}  // namespace migration_host
