// Reads and writes each track's version in sqlalchemy-migrate's migrate_version table.
#include "version_state.hpp"

#include <fmt/format.h>

#include "exit_codes.hpp"

namespace migration_host {

bool VersionStore::table_exists() const {
    std::string sql;
    if (database_.dialect == "sqlite") {
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?";
    } else if (database_.dialect == "mysql") {
        sql = "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?";
    } else if (database_.dialect == "postgresql") {
        sql = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
              "AND table_name = ?";
    } else {
        // Unknown DBMS: probing is the portable test (autocommit is on here,
        // so a failed probe aborts no transaction).
        return !std::holds_alternative<odbc::Diagnostic>(
            connection_.try_execute(fmt::format("SELECT version FROM {} WHERE 1 = 0", table_name)));
    }
    return !connection_.query(sql, {std::string(table_name)}).empty();
}

bool VersionStore::create_table_if_missing() const {
    if (table_exists()) return false;
    // sqlalchemy-migrate's definition, rendered as SQLAlchemy renders it.
    connection_.execute(fmt::format("CREATE TABLE {} (repository_id VARCHAR(250) NOT NULL, repository_path TEXT, "
                                    "version INTEGER, PRIMARY KEY (repository_id))",
                                    table_name));
    return true;
}

std::vector<TrackVersion> VersionStore::rows() const {
    std::vector<TrackVersion> result;
    if (!table_exists()) return result;
    for (const auto& row : connection_.query(
             fmt::format("SELECT repository_id, repository_path, version FROM {} ORDER BY repository_id", table_name))) {
        TrackVersion entry;
        entry.track = row.at(0).value_or("");
        entry.repository_path = row.at(1);
        // sqlalchemy-migrate leaves version NULL only transiently; treat as 0.
        entry.version = row.at(2) ? std::stoll(*row.at(2)) : 0;
        result.push_back(std::move(entry));
    }
    return result;
}

VersionMap VersionStore::versions() const {
    VersionMap versions;
    for (const auto& row : rows()) versions[row.track] = row.version;
    return versions;
}

void VersionStore::add_track(const std::string& track, const std::string& repository_path) const {
    connection_.execute(
        fmt::format("INSERT INTO {} (repository_id, repository_path, version) VALUES (?, ?, 0)", table_name),
        {track, repository_path});
}

void VersionStore::compare_and_set(const std::string& track, std::int64_t from, std::int64_t to) const {
    const auto changed =
        connection_.execute(fmt::format("UPDATE {} SET version = ? WHERE repository_id = ? AND version = ?", table_name),
                            {to, track, from});
    if (changed != 1) {
        throw HostError(ExitCode::step_failed,
                        fmt::format("version update of {} from {} to {} changed {} rows instead of 1: "
                                    "another process moved the track",
                                    track, from, to, changed));
    }
}

}  // namespace migration_host
