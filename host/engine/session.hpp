// What every command starts from: the loaded plugins and their catalog, one pinned connection, and the database's state.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "database/connection_target.hpp"
#include "database/database.hpp"
#include "engine/history.hpp"
#include "engine/locking.hpp"
#include "database/odbc.hpp"
#include "engine/planner.hpp"
#include "engine/track_summary.hpp"
#include "plugins/plugin_loader.hpp"
#include "engine/version_state.hpp"

namespace migration_host {

// Where plugins come from and what to do with libraries that cannot be used.
struct PluginOptions {
    // Every directory to load plugins from, in search order, each once (however spelt).
    std::vector<std::filesystem::path> directories;
    bool skip_broken = false;     // warn about unusable libraries instead of failing the run (exit 4)
    bool allow_insecure = false;  // load libraries others could change, with a warning, instead of refusing them

    bool operator==(const PluginOptions&) const = default;
};

// Where to connect and how long to wait.
struct ConnectionOptions {
    std::optional<ConnectionTarget> target;  // none: the embedded default, ./migration-host.sqlite
    std::uint32_t connect_timeout_seconds = 15;
    std::uint32_t statement_timeout_seconds = 0;  // 0: no bound
    // Connection-string keys to pass to the driver although the host does not know them (--allow-connection-key).
    std::vector<std::string> allowed_connection_keys;
    // Set when the embedded default may not stand in for a missing `target`, saying why: a configuration file defines
    // targets and none was chosen. open_session then refuses (exit 2) instead of creating ./migration-host.sqlite.
    std::optional<std::string> default_refused;
    // --expect-database: the session is refused (exit 5) unless it reaches this database, before anything is read
    // or written: the current database on a server, the file for SQLite (compared as a path, before the driver
    // could create it).
    std::optional<std::string> expected_database;

    // `target`, or the embedded default in the current directory.
    ConnectionTarget effective_target() const { return target ? *target : ConnectionTarget::embedded_default(); }
};

struct LoadedCatalog {
    std::shared_ptr<const Discovery> discovery;  // shared: the catalog a fleet run preloads serves every database
    Catalog catalog;
};

// Loads the plugins and checks their catalog. Unusable libraries fail the run
// (exit 4) unless --skip-broken-plugins: a plugin that silently did not load
// would look like a migration that does not exist. After preload_catalog with
// the same plugin options, returns the preloaded catalog instead.
LoadedCatalog load_catalog(const PluginOptions& options);

// Loads the catalog once for the whole process (and the children it forks), for a fleet run: every database is
// migrated by the same plugins, loaded and checked once.
void preload_catalog(const PluginOptions& options);

// One connection for the whole run: the lock, every step, its version update
// and history row, and (for MySQL's session settings) every statement of a
// step share it.
struct Session {
    // What was connected to (for a read-only SQLite session, with NoCreat=1 first).
    ConnectionTarget target = ConnectionTarget::sqlite_file("");
    odbc::Environment environment;
    std::unique_ptr<odbc::Connection> connection;
    DatabaseInfo database;
    // Another connection to the same database, with the same connection string and timeouts, for a lock that must
    // not share the steps' connection (see RunLock). Valid while the session lives.
    ConnectionOpener open_another;

    VersionStore versions() const { return VersionStore(*connection, database); }
    // Appends count history ids from the last one this run wrote (see HistoryStore): valid because every command
    // that appends holds the run lock.
    mutable std::optional<std::int64_t> next_history_id;

    // The server's id of `connection`'s session (database/session_waits.hpp), asked at the first step that a
    // StepWatch watches; "" when the server has none to give.
    mutable std::optional<std::string> server_session_id;

    HistoryStore history() const { return HistoryStore(*connection, database, &next_history_id); }
    TrackSummaryStore track_summaries() const { return TrackSummaryStore(*connection, database); }
};

// What a command may do to the database it connects to.
enum class Access {
    read_write,
    // Reads only, and creates nothing: not even the database. A SQLite database file that does not exist is
    // refused (exit 3, "database file X does not exist") instead of being created by the driver on connect.
    read_only,
};

// Connects (exit 3 on failure, including a server that never answers). Before connecting, refuses (exit 2) a key the
// driver would ignore (check_connection_keys) and the embedded default when `default_refused` says why; after, a
// MySQL/MariaDB connection with no current database (exit 2).
std::unique_ptr<Session> open_session(const ConnectionOptions& options, Access access = Access::read_write);

struct DatabaseState {
    VersionMap versions;
    // The whole history, oldest first, unless `summaries` is set: then it was not read (see HistoryDepth).
    std::vector<HistoryEntry> history;
    // The per-track summaries, when they describe the history as it is and the command let them stand in for it.
    std::optional<std::map<std::string, TrackSummary>> summaries;
    std::map<std::string, DirtyTrack> dirty;  // by track
    // Set by read_state_unlocked: another run holds the lock, so an unfinished
    // step may simply be running rather than dirty.
    bool run_in_progress = false;
};

// Reads the version rows only, refused as read_state refuses them: enough to plan before waiting for the lock,
// without reading a history that grows with every step.
VersionMap read_versions(const Session& session, const Catalog& catalog);

// How much of the history a command needs.
enum class HistoryDepth {
    // Each track's last row (dirty tracks) and its summary (the checksums applied), when the stored summaries
    // describe the history as it is now; else the whole history. A row edited in place by hand, other than a track's
    // last, is then not seen: `validate` and `history` read every row.
    summary,
    // Every row, each checked.
    full,
};

// Reads versions and history; creates nothing. Refuses (exit 5) version rows
// that a write for one of the catalog's tracks would hit instead of its own
// (VersionStore::require_exact_track_rows). Call it holding the run lock: only
// then is an unfinished step known to be dead.
DatabaseState read_state(const Session& session, const Catalog& catalog, HistoryDepth depth = HistoryDepth::summary);

// For read-only commands, which take no lock: read_state, and whether another
// run holds the lock right now (tested without waiting).
DatabaseState read_state_unlocked(const Session& session, const Catalog& catalog,
                                  HistoryDepth depth = HistoryDepth::summary);

}  // namespace migration_host
