// Reads and writes each track's version in sqlalchemy-migrate's migrate_version table.
#include "engine/version_state.hpp"

#include <fmt/format.h>


namespace migration_host {

bool VersionStore::table_exists() const {
    return migration_host::table_exists(connection_, database_, table_name);
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

std::optional<std::string> VersionStore::compare_and_set(const std::string& track, std::int64_t from,
                                                         std::int64_t to) const {
    const auto result = connection_.try_execute(
        fmt::format("UPDATE {} SET version = ? WHERE repository_id = ? AND version = ?", table_name), {to, track, from});
    if (const auto* error = std::get_if<odbc::Diagnostic>(&result)) {
        return fmt::format("the version update of {} failed: {}", track, error->to_string());
    }
    if (std::get<std::int64_t>(result) != 1) {
        return fmt::format("the version of {} was not {} any more (another process moved it)", track, from);
    }
    return std::nullopt;
}

}  // namespace migration_host
