// Resolves where to connect and where to find plugins from options, environment and defaults.
// SPDX-License-Identifier: Apache-2.0
#include "command_line/config.hpp"

#include <boost/dll/runtime_symbol_info.hpp>
#include <fmt/format.h>

#include <cstdlib>

#include "database/odbc.hpp"
#include "exit_codes.hpp"

#ifndef MIGRATION_HOST_PLUGIN_SUBDIR
#error "MIGRATION_HOST_PLUGIN_SUBDIR must be defined by the build"
#endif

namespace migration_host {
namespace {

std::optional<std::string> environment(const char* name) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') return std::nullopt;
    return std::string(value);
}

}  // namespace

std::string connection_string_for(const std::string& dsn) {
    if (dsn.find('=') != std::string::npos) return dsn;
    return "DSN=" + dsn;
}

std::optional<std::string> connection_string_problem(std::string_view connection_string) {
    if (connection_string.size() > odbc::max_connection_string_bytes) {
        return fmt::format("the connection string is {} bytes long; ODBC carries at most {}", connection_string.size(),
                           odbc::max_connection_string_bytes);
    }
    if (connection_string.find('\0') != std::string_view::npos) {
        return std::string("the connection string holds a NUL byte, where the driver would stop reading it");
    }
    return std::nullopt;
}

std::string resolve_connection_string(const std::optional<std::string>& dsn_option) {
    const auto dsn = dsn_option ? dsn_option : environment("MIGRATION_HOST_DSN");
    if (!dsn) {
        const auto file = std::filesystem::current_path() / default_sqlite_file;
        return "DRIVER=SQLite3;DATABASE=" + file.string();
    }
    std::string connection_string = connection_string_for(*dsn);
    if (const auto problem = connection_string_problem(connection_string)) {
        throw HostError(ExitCode::usage,
                        fmt::format("invalid {}: {}", dsn_option ? "--dsn" : "MIGRATION_HOST_DSN", *problem));
    }
    return connection_string;
}

std::filesystem::path default_plugin_dir() {
    // The build tree and the install tree share this layout.
    return (boost::dll::program_location().parent_path() / ".." / MIGRATION_HOST_PLUGIN_SUBDIR).lexically_normal();
}

std::vector<std::filesystem::path> resolve_plugin_dirs(const std::vector<std::string>& plugin_path_options) {
    std::vector<std::filesystem::path> dirs;
    if (!plugin_path_options.empty()) {
        dirs.assign(plugin_path_options.begin(), plugin_path_options.end());
        return dirs;
    }
    if (const auto from_env = environment("MIGRATION_HOST_PLUGIN_PATH")) {
        std::size_t start = 0;
        while (start <= from_env->size()) {
            const auto end = std::min(from_env->find(':', start), from_env->size());
            if (end > start) dirs.emplace_back(from_env->substr(start, end - start));
            start = end + 1;
        }
        if (!dirs.empty()) return dirs;
    }
    dirs.push_back(default_plugin_dir());
    return dirs;
}

}  // namespace migration_host
