// Reads and writes each track's version in sqlalchemy-migrate's migrate_version table.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "database/database.hpp"
#include "database/odbc.hpp"
#include "engine/planner.hpp"

namespace migration_host {

struct TrackVersion {
    std::string track;  // repository_id
    std::optional<std::string> repository_path;
    std::int64_t version = 0;
};

// The table layout is exactly sqlalchemy-migrate's, so that the host can take
// over a database that the original Python tool migrated, and the reverse.
class VersionStore {
public:
    static constexpr const char* table_name = "migrate_version";

    VersionStore(const odbc::Connection& connection, const DatabaseInfo& database)
        : connection_(connection), database_(database) {}

    bool table_exists() const;
    // Returns true when it had to create the table.
    bool create_table_if_missing() const;

    // Every row; empty when the table does not exist.
    std::vector<TrackVersion> rows() const;
    VersionMap versions() const;

    // Registers a track at version 0 (sqlalchemy-migrate's version_control).
    void add_track(const std::string& track, const std::string& repository_path) const;

    // Moves a track from `from` to `to`, checking that exactly one row changed.
    // Returns why it did not: someone else moved the track in between, or the
    // database refused the update (e.g. a transaction a step left aborted).
    [[nodiscard]] std::optional<std::string> compare_and_set(const std::string& track, std::int64_t from,
                                                             std::int64_t to) const;

private:
    const odbc::Connection& connection_;
    const DatabaseInfo& database_;
};

}  // namespace migration_host
