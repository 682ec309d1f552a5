// Resolves where to connect and where to find plugins from options, environment and defaults.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace migration_host {

// The embedded default: SQLite through Debian's SQLite3 ODBC driver.
inline constexpr const char* default_sqlite_file = "migration-host.sqlite";

// --dsn, else $MIGRATION_HOST_DSN, else the embedded SQLite file in the
// current directory. A value containing '=' is a full connection string;
// anything else names a DSN.
std::string resolve_connection_string(const std::optional<std::string>& dsn_option);

// --plugin-path (repeatable), else $MIGRATION_HOST_PLUGIN_PATH (colon-
// separated), else ../lib/migration-host/plugins beside the executable.
std::vector<std::filesystem::path> resolve_plugin_dirs(const std::vector<std::string>& plugin_path_options);

std::filesystem::path default_plugin_dir();

}  // namespace migration_host
