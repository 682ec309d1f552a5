// Reads the configuration sources (environment, INI file) and resolves where to connect and where to find plugins.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace migration_host {

// Read from the current directory when neither --config nor MIGRATION_HOST_CONFIG names a file.
inline constexpr const char* default_config_file = "migration-host.ini";

// The variable that sets a global option: MIGRATION_HOST_ and the option's name upper-cased, '-' as '_'
// ("log-level" -> MIGRATION_HOST_LOG_LEVEL).
std::string environment_variable_for(std::string_view option);

// What one source says about one option, and where it says it, for messages and `migration-host config`.
struct SourcedValue {
    std::vector<std::string> values;  // one, or several for a repeatable option (plugin-path)
    std::string label;                // "--dsn", "MIGRATION_HOST_DSN", "dsn in /etc/mh.ini line 3"
    // Relative paths in a configuration file are taken from the file's directory; empty for other sources.
    std::filesystem::path base_directory;
};
using SourcedValues = std::map<std::string, SourcedValue>;  // by option name

// A configuration file: its top level and its [target.NAME] sections.
struct ConfigFile {
    std::filesystem::path path;
    bool private_to_owner = false;  // neither group nor others may read or write it (mode & 077 == 0)
    SourcedValues top_level;
    std::map<std::string, SourcedValues> targets;  // by NAME
};

// What a configuration file may set: `keys` in a target section and at the top level, `top_level_only` there
// only; `repeatable` keys may appear more than once in one section, their values adding up.
struct ConfigKeys {
    std::set<std::string> keys;
    std::set<std::string> top_level_only;
    std::set<std::string> repeatable;
};

// Reads an INI file with Boost.Program_options. Throws HostError(usage) naming the file (and the line, where
// there is one) for a file that cannot be read, a line that does not parse, a section other than [target.NAME], an
// unknown key, an empty value, or a key given twice that is not repeatable; and, before reading a line of it, for a
// file that anyone but root and the running user could change (owned by another user, writable by its group or by
// others, or in a directory they could write to: see check_opened_file_trust), naming the file or directory and its
// owner or mode. The file decides which plugins the host runs and where it sends passwords, so another user's file
// would take the run over. A UTF-8 byte order mark at the start of the file is skipped.
ConfigFile read_config_file(const std::filesystem::path& path, const ConfigKeys& keys);

// MIGRATION_HOST_<OPTION> for each of `options`, read with Boost.Program_options' parse_environment. An empty
// variable counts as unset, so that `MIGRATION_HOST_DSN= migration-host ...` means the default.
SourcedValues read_environment(const std::vector<std::string>& options);

// One password from a file (its content, without one trailing line end) or from an environment variable.
// Throws HostError(usage) naming the file or variable, never the password, when it cannot be read, is empty
// or holds a NUL byte or a line end inside, and for a file another user could change (as read_config_file).
std::string read_password_file(const std::filesystem::path& file, const std::string& named_by);
std::string read_password_variable(const std::string& variable, const std::string& named_by);

// The plugin directories to search, in order, from the resolved list (GlobalOptions::plugin_paths): a directory
// named twice (by any spelling or symbolic link) is searched once, where it first appears.
std::vector<std::filesystem::path> resolve_plugin_dirs(const std::vector<std::string>& plugin_paths);

// ../lib/migration-host/plugins beside the executable: searched first unless --no-default-plugins.
std::filesystem::path default_plugin_dir();

}  // namespace migration_host
