// Scratches that a verify left behind when its process or session ended first: found and removed by the next one.
// SPDX-License-Identifier: Apache-2.0
#include "engine/abandoned_scratches.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "database/redact.hpp"
#include "engine/scratch_sql.hpp"

namespace migration_host {
namespace {

using scratch_sql::first_value;
using scratch_sql::quoted_mysql;
using scratch_sql::quoted_postgresql;

// Whether process `pid`, which started at `start` (0: unknown), has ended. A pid in use by another user's process
// (EPERM) or one whose start cannot be read counts as alive.
bool process_gone(pid_t pid, std::uint64_t start) {
    if (kill(pid, 0) == -1) return errno == ESRCH;
    if (start == 0) return false;
    const auto now = process_start_time(pid);
    return now && *now != start;
}

// The scratches on a MySQL/MariaDB server whose named lock nobody holds: their creator's session is gone (it takes
// the lock before it creates the database and holds it until the database is dropped).
void remove_abandoned_mysql(const odbc::Connection& connection) {
    static const std::regex pattern("^migration_host_verify_([0-9]+)_[0-9a-f]{8}$");
    for (const auto& row : connection.query("SELECT schema_name FROM information_schema.schemata WHERE schema_name "
                                            "LIKE 'migration\\_host\\_verify\\_%'")) {
        const std::string name = row.at(0).value_or("");
        std::smatch found;
        if (!std::regex_match(name, found, pattern)) continue;
        if (!first_value(connection, "SELECT IS_USED_LOCK(?)", {name}).empty()) continue;
        const auto dropped = connection.try_execute("DROP DATABASE IF EXISTS " + quoted_mysql(name));
        if (const auto* error = std::get_if<odbc::Diagnostic>(&dropped)) {
            spdlog::warn("verify: cannot remove the scratch database {} left by connection {}, which is gone ({})",
                         name, found[1].str(), error->to_string());
        } else {
            spdlog::info("verify: removed the scratch database {} left by connection {}, which is gone", name,
                         found[1].str());
        }
    }
}

// The scratches on a PostgreSQL server that this user may drop, whose creating backend (pid and start time, as
// far as pg_stat_activity shows another user's start) is gone and that no session is connected to.
void remove_abandoned_postgresql(const odbc::Connection& connection) {
    static const std::regex pattern("^migration_host_verify_([0-9]+)_([0-9]+)_[0-9a-f]{8}$");
    for (const auto& row : connection.query(
             "SELECT datname FROM pg_catalog.pg_database WHERE datname LIKE 'migration\\_host\\_verify\\_%' "
             "AND pg_catalog.pg_has_role(datdba, 'MEMBER')")) {
        const std::string name = row.at(0).value_or("");
        std::smatch found;
        if (!std::regex_match(name, found, pattern)) continue;
        const std::int64_t pid = std::strtoll(found[1].str().c_str(), nullptr, 10);
        const std::int64_t start = std::strtoll(found[2].str().c_str(), nullptr, 10);
        const std::string alive =
            first_value(connection,
                        "SELECT COUNT(*) FROM pg_catalog.pg_stat_activity WHERE (pid = ? AND (backend_start IS NULL OR "
                        "floor(extract(epoch FROM backend_start))::bigint = ?)) OR datname = ?",
                        {pid, start, name});
        if (alive != "0") continue;
        const auto dropped = connection.try_execute("DROP DATABASE IF EXISTS " + quoted_postgresql(name));
        if (const auto* error = std::get_if<odbc::Diagnostic>(&dropped)) {
            spdlog::warn("verify: cannot remove the scratch database {} left by backend {}, which is gone ({})", name,
                         pid, error->to_string());
        } else {
            spdlog::info("verify: removed the scratch database {} left by backend {}, which is gone", name, pid);
        }
    }
}

}  // namespace

// The start time of process `pid` in clock ticks since boot (/proc/PID/stat, field 22); nullopt when unknown.
std::optional<std::uint64_t> process_start_time(pid_t pid) {
    std::ifstream file(fmt::format("/proc/{}/stat", pid));
    std::string stat;
    if (!file || !std::getline(file, stat)) return std::nullopt;
    // The command name (field 2) is in parentheses and may hold anything: fields are counted after its last ')'.
    const auto end_of_name = stat.rfind(')');
    if (end_of_name == std::string::npos) return std::nullopt;
    std::istringstream fields(stat.substr(end_of_name + 1));
    std::string field;
    for (int index = 3; index <= 22 && fields >> field; ++index) {
        if (index == 22) return std::strtoull(field.c_str(), nullptr, 10);
    }
    return std::nullopt;
}

// This user's scratch directories in the temporary directory whose creating process is gone.
void remove_abandoned_directories() {
    static const std::regex pattern("^migration-host-verify-([0-9]+)-([0-9]+)-[A-Za-z0-9]{6}$");
    std::error_code error;
    const auto temporary = std::filesystem::temp_directory_path(error);
    if (error) return;
    for (const auto& entry : std::filesystem::directory_iterator(temporary, error)) {
        const std::string name = entry.path().filename().string();
        std::smatch found;
        if (!std::regex_match(name, found, pattern)) continue;
        struct stat status {};
        if (lstat(entry.path().c_str(), &status) != 0 || !S_ISDIR(status.st_mode) || status.st_uid != geteuid()) {
            continue;
        }
        const auto pid = static_cast<pid_t>(std::strtol(found[1].str().c_str(), nullptr, 10));
        if (pid <= 0 || pid == getpid() || !process_gone(pid, std::strtoull(found[2].str().c_str(), nullptr, 10))) {
            continue;
        }
        std::error_code removal;
        std::filesystem::remove_all(entry.path(), removal);
        if (removal) {
            spdlog::warn("verify: cannot remove the scratch {} left by process {}, which is gone ({})",
                         entry.path().string(), pid, removal.message());
        } else {
            spdlog::info("verify: removed the scratch {} left by process {}, which is gone", entry.path().string(),
                         pid);
        }
    }
}

void remove_abandoned_scratches(const odbc::Connection* connection, const DatabaseInfo& database) {
    try {
        if (database.dialect == schema::Dialect::sqlite) {
            remove_abandoned_directories();
        } else if (connection != nullptr && database.dialect == schema::Dialect::mysql) {
            // A named lock is the node's own on Galera, while the database is the cluster's: a scratch another
            // node's verify is building would look abandoned here.
            if (database.galera) {
                spdlog::debug("verify: on a Galera cluster, scratches left behind are not looked for");
                return;
            }
            remove_abandoned_mysql(*connection);
        } else if (connection != nullptr && database.dialect == schema::Dialect::postgresql) {
            remove_abandoned_postgresql(*connection);
        }
    } catch (const std::exception& error) {
        spdlog::warn("verify: cannot look for scratches left behind: {}", redact_secrets(error.what()));
    }
}

}  // namespace migration_host
