// The append-only step history (migration_host_history): one row per step attempt, and what it says about dirty tracks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "database/database.hpp"
#include "database/odbc.hpp"

namespace migration_host {

struct HistoryEntry {
    std::int64_t id = 0;
    std::string track;
    std::int64_t version = 0;  // the step's version (for stamp/repair: the version set)
    std::string direction;     // "upgrade", "downgrade", "stamp", "repair"
    std::int64_t from_version = 0;
    std::int64_t to_version = 0;
    std::string plugin_id, plugin_version, library_path, checksum;
    std::string os_user, host_name;  // who ran it
    std::string started_at, finished_at;  // ISO 8601, UTC
    std::optional<std::int64_t> duration_ms;
    std::string outcome;  // "started", "succeeded", "failed"
    std::string error;
};

// A track whose last step attempt did not finish or failed where DDL is not
// transactional: its schema may be half-changed, so the host refuses to go
// on until `repair`.
struct DirtyTrack {
    HistoryEntry attempt;
    std::string describe() const;  // one line naming the step, its outcome and error
};

class HistoryStore {
public:
    static constexpr const char* table_name = "migration_host_history";

    HistoryStore(const odbc::Connection& connection, const DatabaseInfo& database)
        : connection_(connection), database_(database) {}

    bool create_table_if_missing() const;  // true when created

    // Appends `entry` (its id is assigned here, under the run lock) and returns the id.
    std::int64_t append(HistoryEntry entry) const;
    // Completes the row `id` appended as "started".
    void finish(std::int64_t id, const std::string& outcome, const std::string& finished_at,
                std::int64_t duration_ms, const std::string& error) const;

    // All rows, oldest first; only `track`'s when given. Empty without the table.
    std::vector<HistoryEntry> entries(const std::optional<std::string>& track = std::nullopt) const;

    // The track's last attempt when it leaves the track dirty (see DirtyTrack);
    // never on databases with transactional DDL, where a failed step rolled back.
    std::optional<DirtyTrack> dirty(const std::vector<HistoryEntry>& track_entries) const;

    // The checksum recorded by the latest successful upgrade of track@version, if any.
    static std::optional<std::string> applied_checksum(const std::vector<HistoryEntry>& entries,
                                                       const std::string& track, std::int64_t version);

private:
    const odbc::Connection& connection_;
    const DatabaseInfo& database_;
};

// "2026-11-25T12:00:00.123Z"
std::string utc_now_iso8601();
// This process's OS user name and host name.
struct RunBy {
    std::string os_user, host_name;
};
RunBy current_run_by();

}  // namespace migration_host
