// Resolves where to connect and where to find plugins from options, environment and defaults.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace migration_host {

// The embedded default: SQLite through Debian's SQLite3 ODBC driver.
inline constexpr const char* default_sqlite_file = "migration-host.sqlite";

// --dsn, else $MIGRATION_HOST_DSN, else the embedded SQLite file in the
// current directory. A value containing '=' is a full connection string;
// anything else names a DSN. Throws HostError(usage) for a connection string
// ODBC cannot carry (connection_string_problem).
std::string resolve_connection_string(const std::optional<std::string>& dsn_option);

// The connection string for a --dsn value: the value itself when it contains
// '=', else "DSN=<value>".
std::string connection_string_for(const std::string& dsn);

// Why ODBC cannot be given this connection string (longer than 32767 bytes,
// the most SQLDriverConnect takes, or holding a NUL byte, where the driver
// would stop reading), or nullopt when it can. Never quotes the string.
std::optional<std::string> connection_string_problem(std::string_view connection_string);

// --plugin-path (repeatable), else $MIGRATION_HOST_PLUGIN_PATH (colon-
// separated), else ../lib/migration-host/plugins beside the executable.
std::vector<std::filesystem::path> resolve_plugin_dirs(const std::vector<std::string>& plugin_path_options);

std::filesystem::path default_plugin_dir();

}  // namespace migration_host
