// Parses the command line (Boost.Program_options) into one invocation: global options, a command and its arguments.
// SPDX-License-Identifier: Apache-2.0
#include "command_line/cli.hpp"

#include <migration_host/plugin.h>

#include <boost/program_options.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <set>
#include <sstream>

#include "bounded_list.hpp"
#include "exit_codes.hpp"
#include "command_line/command_table.hpp"
#include "command_line/config.hpp"
#include "command_line/logging.hpp"
#include "command_line/terminal_text.hpp"
#include "database/redact.hpp"

#ifndef MIGRATION_HOST_VERSION
#error "MIGRATION_HOST_VERSION must be defined by the build"
#endif

namespace po = boost::program_options;

namespace migration_host {
namespace {

const char* const exit_code_help =
    "Exit codes: 0 success, 1 a migration step failed, 2 usage error (command line, environment or\n"
    "            configuration file), 3 cannot connect, 4 plugin error, 5 refused by the state of the\n"
    "            database (or drift, for verify); status --check: 6 pending, 7 dirty, 8 ahead of the\n"
    "            plugins, 9 track without a plugin; sql: 10 the script stops before a step that needs a live\n"
    "            connection.\n";

const char* const configuration_help =
    "Every global option can also be set by its environment variable (shown with it) or in an INI file:\n"
    "--config FILE, else MIGRATION_HOST_CONFIG, else ./migration-host.ini when present. The file's top level\n"
    "and its [target.NAME] sections (chosen with --target NAME) take the options' names, plus password-file\n"
    "or password-env for the DSN's password. The command line wins over the environment, the environment\n"
    "over the file, the target section over the file's top level. 'migration-host config' shows the result.\n"
    "The file and a password-file are refused (exit 2) if anyone but root and you could change them: owned by\n"
    "another user, writable by group or others, or in a directory others can write to, unless sticky like /tmp.\n";

// Wide enough for the options' descriptions to read as sentences rather than narrow columns.
constexpr unsigned help_line_length = 110;
constexpr unsigned help_min_description_length = 60;

// Options that some commands take and others refuse.
const std::set<std::string> command_option_names = {"format", "check", "dialect", "database", "table", "force",
                                                     "targets", "jobs"};

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

// On/off options: a flag on the command line, a word in the environment and the file.
struct SwitchOption {
    const char* name;
    bool GlobalOptions::*field;
};

const SwitchOption switch_options[] = {
    {"no-default-plugins", &GlobalOptions::no_default_plugins},
    {"skip-broken-plugins", &GlobalOptions::skip_broken_plugins},
    {"allow-insecure-plugins", &GlobalOptions::allow_insecure_plugins},
};

// The global options the environment and the configuration file can set, in the order `config` shows them.
const std::vector<std::string> configurable_options = {
    "dsn",          "plugin-path",       "no-default-plugins", "log-level",           "connect-timeout",
    "lock-timeout", "statement-timeout", "skip-broken-plugins", "allow-insecure-plugins", "scratch-dsn"};

// What a configuration file may say: the options above; password-file or password-env for its DSN; at the top
// level also the target to use when neither --target nor MIGRATION_HOST_TARGET names one.
ConfigKeys config_file_keys() {
    ConfigKeys keys;
    keys.keys.insert(configurable_options.begin(), configurable_options.end());
    keys.keys.insert({"password-file", "password-env"});
    keys.top_level_only.insert("target");
    keys.repeatable.insert("plugin-path");
    return keys;
}

// The environment may also choose the file and the target.
std::vector<std::string> environment_options() {
    std::vector<std::string> options = configurable_options;
    options.push_back("config");
    options.push_back("target");
    return options;
}

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
        "SQLite3 driver)");
    add("scratch-dsn", po::value<std::string>()->value_name("DSN"),
        "verify only: an empty database of the live one's kind (MySQL/MariaDB, PostgreSQL) to build the expected "
        "schema in, emptied again afterwards, instead of a scratch database verify creates (for a user who may "
        "not create databases); never the live database");
    add("plugin-path", po::value<std::vector<std::string>>()->value_name("DIR"),
        "directory to load plugins from, after the default one (../lib/migration-host/plugins beside the "
        "executable); repeatable; colon-separated in the environment");
    add("no-default-plugins", po::bool_switch(),
        "do not load plugins from the default directory, only from --plugin-path");
    add("log-level", po::value<std::string>()->value_name("LEVEL"),
        "trace, debug, info (default), warn, error or off; logs go to stderr");
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
         "(8) or a track is provided by no plugin (9)")
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
         "file target (see README, Fleet runs); exit code: the worst of theirs")
        ("jobs", po::value<std::string>()->value_name("N"),
         "with --targets: how many databases to work on at once, 1 to 64 (default 1)");
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
    for (const auto& spec : command_table()) out << fmt::format("  {:<10} {}\n", spec.name, spec.summary);
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

HostError usage_error(const std::string& message) {
    return HostError(ExitCode::usage, message + " (see 'migration-host --help')");
}

void read_command_options(const po::variables_map& values, CommandOptions& options) {
    if (values.count("format")) {
        options.format_given = true;
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

// The sources in order of precedence; an option takes its value from the first that sets it.
struct Sources {
    std::vector<const SourcedValues*> layers;
    std::vector<bool> from_file;  // per layer
    std::optional<ConfigFile> file;

    const SourcedValue* find(const std::string& name, std::size_t* layer = nullptr) const {
        for (std::size_t i = 0; i < layers.size(); ++i) {
            const auto it = layers[i]->find(name);
            if (it == layers[i]->end()) continue;
            if (layer != nullptr) *layer = i;
            return &it->second;
        }
        return nullptr;
    }
};

std::string invalid(const SourcedValue& sourced, const std::string& value, const std::string& expected) {
    return fmt::format("invalid {} '{}': {}", sourced.label, value, expected);
}

bool parse_switch(const SourcedValue& sourced) {
    const std::string& value = sourced.values.front();
    // The spellings Boost.Program_options itself reads as a bool, lower case only: strict, so that a typo is an
    // error rather than "off".
    if (value == "true" || value == "yes" || value == "on" || value == "1") return true;
    if (value == "false" || value == "no" || value == "off" || value == "0") return false;
    throw usage_error(invalid(sourced, value, "expected true, false, yes, no, on, off, 1 or 0"));
}

std::string log_level_value(const SourcedValue& sourced) {
    const std::string& value = sourced.values.front();
    if (!parse_log_level(value)) {
        throw usage_error(invalid(sourced, value, "expected trace, debug, info, warn, error or off"));
    }
    return value;
}

std::uint32_t seconds_value(const SecondsOption& option, const SourcedValue& sourced) {
    const auto& text = sourced.values.front();
    const auto seconds = parse_bounded_number(text, option.min, option.max);
    if (!seconds) {
        throw usage_error(invalid(
            sourced, text, fmt::format("expected a whole number of seconds from {} to {}", option.min, option.max)));
    }
    return *seconds;
}

// Every section of the file, the targets not in use included: a mistake in [target.prod] is found when the file is
// first used, not the day prod is.
void check_file_values(const ConfigFile& file) {
    std::vector<const SourcedValues*> sections{&file.top_level};
    for (const auto& [name, section] : file.targets) sections.push_back(&section);
    for (const auto* section : sections) {
        if (const auto it = section->find("log-level"); it != section->end()) log_level_value(it->second);
        for (const auto& option : seconds_options) {
            if (const auto it = section->find(option.name); it != section->end()) seconds_value(option, it->second);
        }
        for (const auto& option : switch_options) {
            if (const auto it = section->find(option.name); it != section->end()) parse_switch(it->second);
        }
    }
}

// A path from a configuration file is taken from the file's directory; from elsewhere, as given.
std::string path_from(const SourcedValue& sourced, const std::string& path) {
    if (sourced.base_directory.empty() || std::filesystem::path(path).is_absolute()) return path;
    return (sourced.base_directory / path).lexically_normal().string();
}

std::vector<std::string> plugin_dirs_from(const SourcedValue& sourced) {
    std::vector<std::string> dirs;
    for (const auto& value : sourced.values) {
        if (sourced.label == environment_variable_for("plugin-path")) {
            // The environment's colon-separated list; empty entries are not the current directory, as they would
            // be to a shell: they are ignored.
            std::size_t start = 0;
            while (start <= value.size()) {
                const auto end = std::min(value.find(':', start), value.size());
                if (end > start) dirs.push_back(value.substr(start, end - start));
                start = end + 1;
            }
        } else {
            dirs.push_back(path_from(sourced, value));
        }
    }
    return dirs;
}

std::optional<std::filesystem::path> config_file_path(const SourcedValues& command_line,
                                                      const SourcedValues& environment) {
    for (const auto* layer : {&command_line, &environment}) {
        if (const auto it = layer->find("config"); it != layer->end()) return it->second.values.front();
    }
    std::error_code error;
    if (std::filesystem::exists(default_config_file, error)) return std::filesystem::path(".") / default_config_file;
    return std::nullopt;
}

// The DSN and its password. A password from the configuration file comes from a file or a variable it names: a
// DSN that holds one inline is refused unless the configuration file is private to its owner (mode 0600), as
// OpenSSH and libpq refuse keys and password files others can read.
std::optional<std::string> resolve_dsn(const Sources& sources, std::string& described) {
    std::size_t dsn_layer = 0;
    const SourcedValue* dsn = sources.find("dsn", &dsn_layer);
    if (dsn == nullptr) {
        described = "default";
        return std::nullopt;
    }
    std::string value = dsn->values.front();
    described = dsn->label;
    const bool inline_password = redact_secrets(value) != value;
    if (sources.from_file[dsn_layer]) {
        const SourcedValue* password_file = nullptr;
        const SourcedValue* password_env = nullptr;
        for (std::size_t i = 0; i < sources.layers.size() && !password_file && !password_env; ++i) {
            if (!sources.from_file[i]) continue;
            const auto& layer = *sources.layers[i];
            if (const auto it = layer.find("password-file"); it != layer.end()) password_file = &it->second;
            if (const auto it = layer.find("password-env"); it != layer.end()) password_env = &it->second;
        }
        if (password_file && password_env) {
            throw usage_error(fmt::format("{} and {}: give the password one way", password_file->label,
                                          password_env->label));
        }
        const SourcedValue* password_source = password_file ? password_file : password_env;
        if (password_source && inline_password) {
            throw usage_error(fmt::format("{} holds a password and {} names another: give the password one way",
                                          dsn->label, password_source->label));
        }
        if (inline_password && !sources.file->private_to_owner) {
            throw usage_error(fmt::format(
                "{} holds a password inline, and {} can be read or changed by other users: put the password in "
                "a file (password-file) or a variable (password-env), or make the configuration file private "
                "(chmod 600)",
                dsn->label, sources.file->path.string()));
        }
        if (password_file) {
            const auto file = path_from(*password_file, password_file->values.front());
            value = ConnectionTarget::parse(value, dsn->label)
                        .with_password(read_password_file(file, password_file->label))
                        .connection_string();
            described += "; password from " + password_file->label;
        } else if (password_env) {
            value = ConnectionTarget::parse(value, dsn->label)
                        .with_password(read_password_variable(password_env->values.front(), password_env->label))
                        .connection_string();
            described += "; password from " + password_env->label;
        }
    }
    try {
        static_cast<void>(ConnectionTarget::parse(value, dsn->label));  // refuses what ODBC cannot carry
    } catch (const HostError& error) {
        throw usage_error(error.what());
    }
    return value;
}

// verify's scratch DSN, checked as the DSN is. Its password is inline (password-file and password-env are the
// DSN's), or in its odbc.ini entry; inline in a configuration file only if that file is private to its owner.
std::optional<std::string> resolve_scratch_dsn(const Sources& sources, std::string& described) {
    std::size_t layer = 0;
    const SourcedValue* scratch = sources.find("scratch-dsn", &layer);
    if (scratch == nullptr) {
        described = "default";
        return std::nullopt;
    }
    described = scratch->label;
    const std::string& value = scratch->values.front();
    if (sources.from_file[layer] && redact_secrets(value) != value && !sources.file->private_to_owner) {
        throw usage_error(fmt::format("{} holds a password inline, and {} can be read or changed by other users: "
                                      "make the configuration file private (chmod 600), or keep the password in the "
                                      "scratch DSN's odbc.ini entry",
                                      scratch->label, sources.file->path.string()));
    }
    try {
        static_cast<void>(ConnectionTarget::parse(value, scratch->label));  // refuses what ODBC cannot carry
    } catch (const HostError& error) {
        throw usage_error(error.what());
    }
    return value;
}

// Resolves every global option from its sources; `effective` gets one line per option for `migration-host config`
// (and the debug log): its value, passwords hidden, and where it comes from.
void resolve_global_options(const SourcedValues& command_line, GlobalOptions& global,
                            std::vector<std::string>& effective) {
    const SourcedValues environment = read_environment(environment_options());
    Sources sources;
    sources.layers = {&command_line, &environment};
    sources.from_file = {false, false};
    const auto show = [&](const std::string& name, const std::string& value, const std::string& origin) {
        effective.push_back(escape_nonprintable(
            fmt::format("{} = {}  [{}]", name, value.empty() ? "(none)" : redact_secrets(value), origin)));
    };

    global.config_file = config_file_path(command_line, environment);
    const SourcedValue* target_option = nullptr;
    for (const auto* layer : {&command_line, &environment}) {
        if (const auto it = layer->find("target"); it != layer->end() && !target_option) target_option = &it->second;
    }
    if (global.config_file) {
        sources.file = read_config_file(*global.config_file, config_file_keys());
        check_file_values(*sources.file);
        const auto* config_option = sources.find("config");
        show("config", global.config_file->string(),
             config_option ? config_option->label : std::string("present in the current directory"));
        const auto& top = sources.file->top_level;
        if (const auto it = top.find("target"); it != top.end() && !target_option) target_option = &it->second;
    } else {
        show("config", "", fmt::format("no --config, MIGRATION_HOST_CONFIG or ./{}", default_config_file));
    }
    if (target_option) {
        const std::string& name = target_option->values.front();
        if (!sources.file) {
            throw usage_error(fmt::format("{} names target '{}', but there is no configuration file (--config FILE, "
                                          "MIGRATION_HOST_CONFIG or ./{})",
                                          target_option->label, name, default_config_file));
        }
        const auto it = sources.file->targets.find(name);
        if (it == sources.file->targets.end()) {
            std::vector<std::string> known;
            for (const auto& [target, settings] : sources.file->targets) known.push_back(target);
            throw usage_error(fmt::format(
                "unknown target '{}' ({}): {} has {}", name, target_option->label, sources.file->path.string(),
                known.empty() ? std::string("no [target.NAME] section") : "the targets " + bounded_list(known)));
        }
        global.target = name;
        sources.layers.push_back(&it->second);
        sources.from_file.push_back(true);
        show("target", name, target_option->label);
    } else {
        show("target", "", "no --target, MIGRATION_HOST_TARGET or target in a configuration file");
    }
    if (sources.file) {
        sources.layers.push_back(&sources.file->top_level);
        sources.from_file.push_back(true);
    }
    const auto origin_of = [&](const char* name) {
        const auto* sourced = sources.find(name);
        return sourced ? sourced->label : std::string("default");
    };

    std::string dsn_origin;
    global.dsn = resolve_dsn(sources, dsn_origin);
    show("dsn", connection_options(global).effective_target().connection_string(), dsn_origin);
    std::string scratch_origin;
    global.scratch_dsn = resolve_scratch_dsn(sources, scratch_origin);
    show("scratch-dsn", global.scratch_dsn.value_or(""), scratch_origin);

    if (const auto* level = sources.find("log-level")) global.log_level = log_level_value(*level);
    show("log-level", global.log_level, origin_of("log-level"));

    for (const auto& option : seconds_options) {
        if (const auto* sourced = sources.find(option.name)) global.*option.field = seconds_value(option, *sourced);
        show(option.name, std::to_string(global.*option.field), origin_of(option.name));
    }
    for (const auto& option : switch_options) {
        if (const auto* sourced = sources.find(option.name)) global.*option.field = parse_switch(*sourced);
        show(option.name, global.*option.field ? "true" : "false", origin_of(option.name));
    }

    std::vector<std::string> added;
    if (const auto* sourced = sources.find("plugin-path")) added = plugin_dirs_from(*sourced);
    show("plugin-path", fmt::format("{}", fmt::join(added, ":")), origin_of("plugin-path"));
    global.plugin_paths.clear();
    // A default directory that does not exist (a host copied elsewhere) holds no plugins; one the user names that
    // does not exist is an error where the plugins are loaded.
    std::error_code error;
    if (!global.no_default_plugins && std::filesystem::is_directory(default_plugin_dir(), error)) {
        global.plugin_paths.push_back(default_plugin_dir().string());
    }
    global.plugin_paths.insert(global.plugin_paths.end(), added.begin(), added.end());
    std::vector<std::string> searched;
    for (const auto& dir : resolve_plugin_dirs(global.plugin_paths)) searched.push_back(dir.string());
    show("plugin directories", fmt::format("{}", fmt::join(searched, ":")),
         global.no_default_plugins ? "plugin-path only" : "the default, then plugin-path");
}

}  // namespace

GlobalOptions resolve_target_options(const Invocation& invocation, const std::string& target_name,
                                     const std::string& named_by) {
    SourcedValues command_line = invocation.command_line_sources;
    command_line.erase("dsn");
    command_line["target"] = SourcedValue{{target_name}, named_by, {}};
    GlobalOptions global;
    std::vector<std::string> effective;
    resolve_global_options(command_line, global, effective);
    return global;
}

std::vector<std::string> configured_target_names(const GlobalOptions& global) {
    std::vector<std::string> names;
    if (!global.config_file) return names;
    for (const auto& [name, section] : read_config_file(*global.config_file, config_file_keys()).targets) {
        names.push_back(name);
    }
    return names;
}

PluginOptions plugin_options(const GlobalOptions& global) {
    return {resolve_plugin_dirs(global.plugin_paths), global.skip_broken_plugins, global.allow_insecure_plugins};
}

ConnectionOptions connection_options(const GlobalOptions& global) {
    ConnectionOptions options;
    if (global.dsn) options.target = ConnectionTarget::parse(*global.dsn);
    options.connect_timeout_seconds = global.connect_timeout_seconds;
    options.statement_timeout_seconds = global.statement_timeout_seconds;
    return options;
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
