// Resolves the global options from their sources, in precedence: command line, environment, the configuration
// SPDX-License-Identifier: Apache-2.0
// file's target section, its top level; checks every value once, and the DSN's password rules.
#include "command_line/settings.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <filesystem>
#include <limits>
#include <optional>
#include <string_view>

#include "bounded_list.hpp"
#include "command_line/logging.hpp"
#include "command_line/terminal_text.hpp"
#include "database/redact.hpp"

namespace migration_host {

HostError usage_error(const std::string& message) {
    return HostError(ExitCode::usage, message + " (see 'migration-host --help')");
}

namespace {

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
    "dsn",          "plugin-path",       "no-default-plugins",  "log-level",              "log-format",
    "connect-timeout", "lock-timeout",   "statement-timeout",   "skip-broken-plugins",    "allow-insecure-plugins",
    "scratch-dsn",  "allow-connection-key", "expect-database"};

// What a configuration file may say: the options above; password-file or password-env for its DSN; at the top
// level also the target to use when neither --target nor MIGRATION_HOST_TARGET names one.
ConfigKeys config_file_keys() {
    ConfigKeys keys;
    keys.keys.insert(configurable_options.begin(), configurable_options.end());
    keys.keys.insert({"password-file", "password-env"});
    keys.top_level_only.insert("target");
    // A fleet's targets are split before any target section is read: a shard in one would split nothing.
    keys.top_level_only.insert("shard");
    keys.repeatable.insert("plugin-path");
    keys.repeatable.insert("allow-connection-key");
    return keys;
}

}  // namespace

std::vector<std::string> environment_options() {
    std::vector<std::string> options = configurable_options;
    options.push_back("config");
    options.push_back("target");
    options.push_back("shard");
    return options;
}

namespace {

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

std::string log_format_value(const SourcedValue& sourced) {
    const std::string& value = sourced.values.front();
    if (!parse_log_format(value)) throw usage_error(invalid(sourced, value, "expected text or json"));
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

// INDEX/COUNT (3/8): shard INDEX, counted from 0, of COUNT.
FleetShard shard_value(const SourcedValue& sourced) {
    const std::string& text = sourced.values.front();
    const auto slash = text.find('/');
    const auto whole = [](std::string_view digits) {
        return parse_bounded_number(digits, 0, std::numeric_limits<std::uint32_t>::max());
    };
    const auto index = slash == std::string::npos ? std::nullopt : whole(std::string_view(text).substr(0, slash));
    const auto count = slash == std::string::npos ? std::nullopt : whole(std::string_view(text).substr(slash + 1));
    if (!index || !count) {
        throw usage_error(invalid(sourced, text,
                                  "expected INDEX/COUNT, two whole numbers such as 3/8: this process runs shard INDEX, "
                                  "counted from 0, of COUNT"));
    }
    if (*count < 1 || *count > max_shard_count) {
        throw usage_error(invalid(sourced, text, fmt::format("COUNT must be from 1 to {}", max_shard_count)));
    }
    if (*index >= *count) {
        throw usage_error(invalid(
            sourced, text, fmt::format("INDEX {} is not below COUNT {} (shards are counted from 0)", *index, *count)));
    }
    return {*index, *count};
}

// Every section of the file, the targets not in use included: a mistake in [target.prod] is found when the file is
// first used, not the day prod is.
void check_file_values(const ConfigFile& file) {
    std::vector<const SourcedValues*> sections{&file.top_level};
    for (const auto& [name, section] : file.targets) sections.push_back(&section);
    for (const auto* section : sections) {
        if (const auto it = section->find("log-level"); it != section->end()) log_level_value(it->second);
        if (const auto it = section->find("log-format"); it != section->end()) log_format_value(it->second);
        if (const auto it = section->find("shard"); it != section->end()) shard_value(it->second);
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

// --allow-connection-key: one key per option or file line, or several separated by commas (as the environment gives
// them), blanks at their ends trimmed as the drivers trim them; a key cannot hold '=', ';', '{' or '}'.
std::vector<std::string> allowed_keys_from(const SourcedValue& sourced) {
    std::vector<std::string> keys;
    for (const auto& value : sourced.values) {
        std::size_t start = 0;
        while (start <= value.size()) {
            const auto end = std::min(value.find(',', start), value.size());
            const auto first = value.find_first_not_of(" \t", start);
            if (first != std::string::npos && first < end) {
                const auto last = value.find_last_not_of(" \t", end - 1);
                const std::string key = value.substr(first, last - first + 1);
                if (key.find_first_of("=;{}") != std::string::npos) {
                    throw usage_error(invalid(sourced, key, "expected a connection-string key, without '=', ';', "
                                                            "'{' or '}'"));
                }
                keys.push_back(key);
            }
            start = end + 1;
        }
    }
    return keys;
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

}  // namespace

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

    global.allowed_connection_keys.clear();
    if (const auto* sourced = sources.find("allow-connection-key")) {
        global.allowed_connection_keys = allowed_keys_from(*sourced);
    }
    show("allow-connection-key", fmt::format("{}", fmt::join(global.allowed_connection_keys, ",")),
         origin_of("allow-connection-key"));

    std::string dsn_origin;
    global.dsn = resolve_dsn(sources, dsn_origin);
    global.default_refused.reset();
    if (!global.dsn && !global.target && sources.file && !sources.file->targets.empty()) {
        std::vector<std::string> targets;
        for (const auto& [name, section] : sources.file->targets) targets.push_back(name);
        const std::string file = sources.file->path.string();
        global.default_refused = fmt::format(
            "{} defines the targets {} and chooses none: give --target NAME (or MIGRATION_HOST_TARGET, or target = "
            "NAME at the file's top level) or a dsn; the SQLite default ./{} stands in only when no configuration "
            "file names a connection (see 'migration-host --help')",
            file, bounded_list(targets), default_sqlite_file);
        show("dsn", "", fmt::format("none: {} defines the targets {} and chooses none", file, bounded_list(targets)));
    } else {
        show("dsn", connection_options(global).effective_target().connection_string(), dsn_origin);
    }
    std::string scratch_origin;
    global.scratch_dsn = resolve_scratch_dsn(sources, scratch_origin);
    show("scratch-dsn", global.scratch_dsn.value_or(""), scratch_origin);
    if (const auto* expected = sources.find("expect-database")) global.expect_database = expected->values.front();
    show("expect-database", global.expect_database.value_or(""), origin_of("expect-database"));

    if (const auto* level = sources.find("log-level")) global.log_level = log_level_value(*level);
    show("log-level", global.log_level, origin_of("log-level"));
    if (const auto* format = sources.find("log-format")) global.log_format = log_format_value(*format);
    show("log-format", global.log_format, origin_of("log-format"));

    for (const auto& option : seconds_options) {
        if (const auto* sourced = sources.find(option.name)) global.*option.field = seconds_value(option, *sourced);
        show(option.name, std::to_string(global.*option.field), origin_of(option.name));
    }
    for (const auto& option : switch_options) {
        if (const auto* sourced = sources.find(option.name)) global.*option.field = parse_switch(*sourced);
        show(option.name, global.*option.field ? "true" : "false", origin_of(option.name));
    }

    global.shard.reset();
    if (const auto* sourced = sources.find("shard")) global.shard = shard_value(*sourced);
    show("shard", global.shard ? fmt::format("{}/{}", global.shard->index, global.shard->count) : std::string(),
         origin_of("shard"));

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
    options.allowed_connection_keys = global.allowed_connection_keys;
    options.default_refused = global.default_refused;
    options.expected_database = global.expect_database;
    return options;
}

}  // namespace migration_host
