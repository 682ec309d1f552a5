// The per-track summary of the history (migration_host_track_state): a row per track to read instead of every step.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "database/database.hpp"
#include "database/odbc.hpp"
#include "engine/history.hpp"
#include "engine/version_state.hpp"

namespace migration_host {

// What the history says about one track, as of its row last_id. Only the host writes it, after an upgrade, outside
// the steps' transactions: it is a cache. A summary that does not describe the history as it is now (a row added,
// removed or renumbered since, by a downgrade, stamp, repair, an offline script, another tool or a hand) is stale,
// and every command then reads the whole history as before.
struct TrackSummary {
    std::string track;
    std::int64_t version = 0;       // migrate_version's version for the track when written
    std::int64_t history_rows = 0;  // the track's rows in the history
    std::int64_t last_id = 0;       // the highest id among them
    // The checksums the history recorded for versions 1..version (AppliedSteps' view), as one digest, and the
    // versions among them with none recorded (stamped, or not renderable offline) as ranges: "1-5,9".
    std::string checksums_digest;
    std::string unchecked_versions;

    // The summary after step `version` (the next one) was applied with `checksum` ("" for none).
    void extend(std::int64_t version, const std::string& checksum);
    // Whether `version` is in unchecked_versions.
    bool unchecked(std::int64_t version) const;
};

// The summary of `track` up to `version`, from a whole history's applied steps (rows and last_id left 0).
TrackSummary summarize_track(const std::string& track, std::int64_t version, const AppliedSteps& applied_steps);

// Digest of checksums in version order, the way TrackSummary::checksums_digest is made, so that a caller can compute
// it from the loaded plugins and compare.
class ChecksumDigest {
public:
    void add(std::int64_t version, const std::string& checksum);
    std::string text() const;
    static std::optional<ChecksumDigest> from_text(const std::string& text);

private:
    std::uint64_t state_ = 14695981039346656037ULL;  // FNV-1a 64 offset basis
};

// The history as a current summary shows it: a summary per track that has history rows and the last row of each.
struct SummarizedHistory {
    std::map<std::string, TrackSummary> tracks;
    std::map<std::string, HistoryEntry> last_entries;
};

class TrackSummaryStore {
public:
    static constexpr const char* table_name = "migration_host_track_state";

    // The table's declaration, and its CREATE TABLE for `dialect` as the host sends it.
    static const schema::Table& table();
    static std::string create_table_sql(const Dialect& dialect);

    TrackSummaryStore(odbc::Connection& connection, const DatabaseInfo& database)
        : connection_(connection), database_(database) {}

    // The summaries and each track's last history row, when the summaries describe the history exactly as it is
    // (every track's row count and last id, and the versions in `versions`); nullopt when they do not, or there are
    // none: read the whole history then. A last row the host would refuse is refused here as HistoryStore::entries
    // refuses it. Three statements (and the catalog's answer on whether the tables exist), whatever the history's
    // length.
    std::optional<SummarizedHistory> read_current(const VersionMap& versions) const;

    // Each track's row count and last id in the history as it is now.
    std::map<std::string, std::pair<std::int64_t, std::int64_t>> history_counts() const;

    // Stores `summaries` in one transaction, creating the table when missing: in place of every stored one when
    // `every_track`, else in place of those of the same tracks.
    void store(const std::vector<TrackSummary>& summaries, bool every_track) const;

private:
    odbc::Connection& connection_;
    const DatabaseInfo& database_;
};

}  // namespace migration_host
