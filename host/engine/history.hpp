// The append-only step history (migration_host_history): one row per step attempt, and what it says about dirty tracks.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <migration_host/model.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
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
    // The statement journal (MySQL/MariaDB only): how many of the step's statements had completed and committed
    // when the row was last written. nullopt where none is kept: SQLite and PostgreSQL (a step commits whole or not
    // at all), rows of earlier releases and of offline scripts, a table without the column.
    std::optional<std::int64_t> statements_done;
};

// A track whose last step attempt did not finish or failed where DDL is not
// transactional: its schema may be half-changed, so the host goes on only by
// resuming an unfinished step (upgrade_checks.hpp, resumption) or after `repair`.
struct DirtyTrack {
    HistoryEntry attempt;
    std::string describe() const;  // one line naming the step, its outcome and error
};

class HistoryStore {
public:
    static constexpr const char* table_name = "migration_host_history";

    // The table's declaration: its columns in the order rows are written and read.
    static const schema::Table& table();

    // The statements the store issues to write, one place for the run and for the offline script (sql command):
    // its CREATE TABLE for `dialect`; appending a row (values: every column, in HistoryEntry's order); completing one
    // (values: outcome, finished_at, duration_ms, error, id).
    static std::string create_table_sql(const Dialect& dialect);
    static std::string append_sql();
    static std::string finish_sql();
    // The journal's column, for a table created by an earlier release (see add_journal_column_if_missing).
    static constexpr const char* journal_column = "statements_done";
    // Recording the journal (values: statements done, id).
    static std::string journal_sql();

    // `next_id_cache`, when given, keeps the id after the last row this run appended, so that append asks the
    // database for MAX(id) once per run instead of once per row: a statement less per step. Only valid under the run
    // lock, where no one else appends; it outlives the store (a run's stores share it).
    HistoryStore(const odbc::Connection& connection, const DatabaseInfo& database,
                 std::optional<std::int64_t>* next_id_cache = nullptr)
        : connection_(connection), database_(database), next_id_cache_(next_id_cache) {}

    bool create_table_if_missing() const;  // true when created
    // Where DDL is not transactional (MySQL/MariaDB), adds the statement journal's column to a table created by an
    // earlier release (ALTER TABLE ... ADD COLUMN); true when it did. Under the run lock, before the first step.
    bool add_journal_column_if_missing() const;
    // Whether the table has the journal's column (read from the catalog each time it is asked).
    bool has_journal_column() const;

    // The id the next appended row gets (1 for an empty or missing table). Throws HostError(refused) when no id is
    // left: commands ask before they change anything, so that a step never runs without a row to record it.
    std::int64_t next_id() const;
    // Appends `entry` (its id is assigned here, under the run lock) and returns the id. The error is stored as
    // storable_error() makes it.
    std::int64_t append(HistoryEntry entry) const;
    // Completes the row `id` appended as "started"; `error` is stored as storable_error() makes it; the journal too
    // when `statements_done` is given.
    void finish(std::int64_t id, const std::string& outcome, const std::string& finished_at,
                std::int64_t duration_ms, const std::string& error,
                std::optional<std::int64_t> statements_done = std::nullopt) const;
    // Records in row `id` that `statements_done` statements of its step have completed (the statement journal).
    void record_statements_done(std::int64_t id, std::int64_t statements_done) const;

    // All rows, oldest first; only `track`'s when given. Empty without the table. Throws HostError(refused), naming
    // the row and column, for a table without the host's columns or a row the host did not write as it is: an id,
    // track, version, direction or outcome that is NULL or not what the host writes, a number that is not exactly
    // an integer, and two rows with one id.
    std::vector<HistoryEntry> entries(const std::optional<std::string>& track = std::nullopt) const;
    // Each track's last row (the highest id), refused as entries() refuses rows; for a table known to exist.
    std::vector<HistoryEntry> last_entries() const;

    // A track's last attempt when it leaves the track dirty (see DirtyTrack); never on databases with
    // transactional DDL, where a failed step rolled back. Only the last attempt counts: a later success (step,
    // stamp or repair) means the operator or the host has brought the track back to a known state.
    std::optional<DirtyTrack> dirty(const HistoryEntry& last) const;

private:
    std::int64_t next_id_in_table() const;  // next_id for a table known to exist
    // The rows `where` (" WHERE ..." or "") selects, oldest first, each read strictly; for a table known to exist.
    std::vector<HistoryEntry> read_rows(const std::string& where, const std::vector<odbc::Parameter>& parameters) const;

    const odbc::Connection& connection_;
    const DatabaseInfo& database_;
    std::optional<std::int64_t>* next_id_cache_;
};

// The latest successful upgrade of every track@version in a history, indexed once: commands that look at each
// applied step (validate, upgrade's changed-step warning) do one lookup per step instead of a scan of the history
// per step, which made them quadratic in the number of applied steps. Refers into `entries`, which must outlive it.
class AppliedSteps {
public:
    explicit AppliedSteps(const std::vector<HistoryEntry>& entries);
    // The latest successful upgrade of track@version (the row that says which plugin applied it), or nullptr.
    const HistoryEntry* find(const std::string& track, std::int64_t version) const;
    // The checksum that row recorded, if any.
    std::optional<std::string> checksum(const std::string& track, std::int64_t version) const;

private:
    std::map<std::pair<std::string, std::int64_t>, const HistoryEntry*> latest_;
};

// The most an error text takes in the history: one that long is still readable, and every database's TEXT holds it.
inline constexpr std::size_t max_stored_error_bytes = 4000;

// `text` as the history stores it and the host reports it: valid UTF-8 (each byte that is not, and NUL, replaced by
// U+FFFD) and at most max_stored_error_bytes, cut at a character boundary and ending in a marker that gives the
// original size. A text already in that form comes back unchanged.
std::string storable_error(std::string_view text);

// "2026-11-25T12:00:00.123Z"
std::string utc_now_iso8601();
// This process's OS user name and host name.
struct RunBy {
    std::string os_user, host_name;
};
RunBy current_run_by();

}  // namespace migration_host
