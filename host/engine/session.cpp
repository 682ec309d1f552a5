// What every command starts from: the loaded plugins and their catalog, one pinned connection, and the database's state.
// SPDX-License-Identifier: Apache-2.0
#include "engine/session.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>

#include "bounded_list.hpp"
#include "database/alarm.hpp"
#include "database/connection_keys.hpp"
#include "exit_codes.hpp"
#include "engine/locking.hpp"
#include "database/redact.hpp"

namespace migration_host {
namespace {

std::string describe_problems(const std::vector<PluginProblem>& problems) {
    std::vector<std::string> described;
    described.reserve(problems.size());
    for (const auto& problem : problems) {
        described.push_back(fmt::format("{}: {}", problem.path.string(), problem.reason));
    }
    return bounded_list(described, "; ");
}

// Some drivers (MariaDB's) apply the login timeout to the TCP connect only, and wait forever for a server that
// accepts but never answers. Nothing has been written when connecting, so the host can end the run itself. A second
// of grace lets drivers that honour the timeout report their own reason; counted in std::chrono::seconds, never in
// the option's 32-bit type, where the addition could wrap to 0.
Alarm connect_watchdog(std::uint32_t timeout_seconds, std::string target) {
    const auto grace = std::chrono::seconds(timeout_seconds) + std::chrono::seconds(1);
    return Alarm(Alarm::Clock::now() + grace, [timeout_seconds, target = std::move(target)] {
        std::fflush(stdout);  // _Exit does not: keep what was printed
        std::fprintf(stderr, "migration-host: error: cannot connect to %s: no answer from the server within %u s\n",
                     target.c_str(), timeout_seconds);
        std::fflush(stderr);
        std::_Exit(static_cast<int>(ExitCode::cannot_connect));
    });
}

// --statement-timeout. A statement that has not ended the connect timeout (the time the user gives the server to
// answer) after its own ran out did not answer its cancellation: the server is frozen or gone and the driver would
// wait for it forever (or a plugin's row callback never returns), so the host ends the run the way ConnectWatchdog
// does. The database then sees the connection close and rolls back what the open transaction did;
// on MySQL the step's history row stays 'started' and the track dirty, as after a kill.
odbc::StatementTimeout statement_timeout(const ConnectionOptions& options) {
    odbc::StatementTimeout timeout;
    timeout.seconds = options.statement_timeout_seconds;
    timeout.grace = std::chrono::seconds(options.connect_timeout_seconds);
    timeout.on_unanswered = [seconds = timeout.seconds, grace = options.connect_timeout_seconds] {
        std::fflush(stdout);  // _Exit does not: keep the steps already reported
        std::fprintf(stderr,
                     "migration-host: error: statement timeout: a statement ran past --statement-timeout (%u s) and "
                     "still had not ended %u s later (a frozen or unreachable server answers no cancellation); "
                     "giving up on it\n",
                     seconds, grace);
        std::fflush(stderr);
        std::_Exit(static_cast<int>(ExitCode::step_failed));
    };
    return timeout;
}

// A path that cannot be looked at (no permission on a directory) counts as existing: the driver then says why.
bool file_exists(const std::filesystem::path& path) {
    std::error_code error;
    const bool exists = std::filesystem::exists(path, error);
    return exists || error;
}

HostError missing_database_file(const std::string& file) {
    return HostError(ExitCode::cannot_connect,
                     fmt::format("database file {} does not exist (a read-only command creates no database)", file));
}

HostError unexpected_database(const std::string& reached, const std::string& expected) {
    return HostError(ExitCode::refused,
                     fmt::format("the connection reaches {}, not '{}' (--expect-database): nothing was read or "
                                 "written; check the DSN's database key",
                                 reached, expected));
}

// SQLite: the file the connection names is the expected one (the same file however spelt, or the same path where
// neither exists yet). Checked before connecting, where the driver would create a missing file.
void check_expected_sqlite_file(const std::string& file, const std::string& expected) {
    namespace fs = std::filesystem;
    std::error_code error;
    if (fs::exists(file, error) && fs::exists(expected, error) && fs::equivalent(file, expected, error)) return;
    if (fs::weakly_canonical(file, error) == fs::weakly_canonical(expected, error) && !error) return;
    throw unexpected_database(fmt::format("the SQLite file '{}'", file), expected);
}

// Session::open_another: connects as open_session does, with the same string (NoCreat included) and timeouts.
ConnectionOpener another_connection(const odbc::Environment& environment, std::string connection_string,
                                    const ConnectionOptions& options) {
    return [&environment, connection_string = std::move(connection_string),
            login_timeout = options.connect_timeout_seconds, timeout = statement_timeout(options)] {
        const Alarm watchdog = connect_watchdog(login_timeout, redact_connection_string(connection_string));
        try {
            auto connection = std::make_unique<odbc::Connection>(environment, connection_string, login_timeout);
            connection->set_statement_timeout(timeout);
            return connection;
        } catch (const odbc::Error& error) {
            throw HostError(ExitCode::cannot_connect,
                            fmt::format("cannot open a second connection for the run lock: {}", error.what()));
        }
    };
}

std::optional<std::pair<PluginOptions, LoadedCatalog>>& preloaded_catalog() {
    static std::optional<std::pair<PluginOptions, LoadedCatalog>> preloaded;
    return preloaded;
}

}  // namespace

void preload_catalog(const PluginOptions& options) {
    auto& preloaded = preloaded_catalog();
    preloaded.reset();
    LoadedCatalog loaded = load_catalog(options);
    preloaded.emplace(options, std::move(loaded));
}

LoadedCatalog load_catalog(const PluginOptions& options) {
    if (const auto& preloaded = preloaded_catalog(); preloaded && preloaded->first == options) {
        return preloaded->second;
    }
    const auto& dirs = options.directories;
    for (const auto& dir : dirs) spdlog::debug("plugin directory: {}", dir.string());
    Discovery discovery =
        discover_plugins(dirs, options.allow_insecure ? InsecurePlugins::warn : InsecurePlugins::refuse);
    if (!discovery.problems.empty()) {
        if (!options.skip_broken) {
            throw HostError(ExitCode::plugin_error, "unusable plugin library: " + describe_problems(discovery.problems));
        }
        for (const auto& problem : discovery.problems) {
            spdlog::warn("skipping {}: {}", problem.path.string(), problem.reason);
        }
    }
    Catalog catalog = Catalog::build(discovery.plugins, dirs);
    return {std::make_shared<const Discovery>(std::move(discovery)), std::move(catalog)};
}

std::unique_ptr<Session> open_session(const ConnectionOptions& options, Access access) {
    if (!options.target && options.default_refused) throw HostError(ExitCode::usage, *options.default_refused);
    auto session = std::make_unique<Session>();
    ConnectionTarget target = options.effective_target();
    check_connection_keys(target, options.allowed_connection_keys);
    // The SQLite3 driver creates a missing database file on connect unless told NoCreat (first, so that it wins
    // over a NoCreat=0 later in the string). The file is also looked for here, to name it when it is missing: the
    // driver's own refusal says only "connect failed".
    std::optional<std::filesystem::path> required_file;
    if (access == Access::read_only) {
        if (const auto file = target.sqlite_database_file()) {
            target = target.with_leading_attribute("NoCreat", "1");
            // ":memory:" and URIs are the driver's to judge.
            if (!file->empty() && *file != ":memory:" && file->rfind("file:", 0) != 0) {
                required_file = *file;
                if (!file_exists(*required_file)) throw missing_database_file(*file);
            }
        }
    }
    if (options.expected_database) {
        if (const auto file = target.sqlite_database_file()) {
            check_expected_sqlite_file(*file, *options.expected_database);
        }
    }
    const std::string& connection_string = target.connection_string();
    spdlog::debug("connecting to {}", target.redacted());
    const Alarm watchdog = connect_watchdog(options.connect_timeout_seconds, target.redacted());
    try {
        session->connection = std::make_unique<odbc::Connection>(session->environment, connection_string,
                                                                 options.connect_timeout_seconds);
        session->connection->set_statement_timeout(statement_timeout(options));
        session->database = describe_database(*session->connection);
        session->open_another = another_connection(session->environment, connection_string, options);
        // A Galera node may not yet have applied what another node committed a moment ago (the previous lock
        // holder's steps): reads wait until it has, so that no run acts on a stale version or history.
        if (session->database.galera) session->connection->execute("SET SESSION wsrep_sync_wait = 1");
    } catch (const odbc::Error& error) {
        if (required_file && !file_exists(*required_file)) throw missing_database_file(required_file->string());
        throw HostError(ExitCode::cannot_connect, error.what());
    }
    // Without a current database, MariaDB would look for the host's tables nowhere ("No database selected") or, for a
    // statement that names none, in whatever database a step chose: the connection string or DSN is what is wrong.
    if (session->database.dialect == schema::Dialect::mysql && session->database.database_name.empty()) {
        throw HostError(ExitCode::usage,
                        fmt::format("{} connected with no current database: the connection names none (DATABASE=NAME "
                                    "in the connection string, or Database in its odbc.ini DSN)",
                                    target.redacted()));
    }
    if (options.expected_database && !target.sqlite_database_file() &&
        session->database.database_name != *options.expected_database) {
        throw unexpected_database(session->database.database_name.empty()
                                      ? std::string("no current database")
                                      : fmt::format("database '{}'", session->database.database_name),
                                  *options.expected_database);
    }
    session->target = std::move(target);
    spdlog::debug("connected to {} {} (dialect {}{}{})", session->database.dbms_name, session->database.dbms_version,
                  session->database.dialect, session->database.database_name.empty() ? "" : ", database ",
                  session->database.database_name);
    return session;
}

VersionMap read_versions(const Session& session, const Catalog& catalog) {
    const VersionStore store = session.versions();
    VersionMap versions = store.versions();
    store.require_exact_track_rows(versions, catalog);
    return versions;
}

DatabaseState read_state(const Session& session, const Catalog& catalog, HistoryDepth depth) {
    DatabaseState state;
    state.versions = read_versions(session, catalog);
    const HistoryStore history = session.history();
    const auto note_if_dirty = [&](const HistoryEntry& last) {
        if (auto dirty = history.dirty(last)) state.dirty.emplace(last.track, std::move(*dirty));
    };
    std::optional<SummarizedHistory> summarized;
    if (depth == HistoryDepth::summary) summarized = session.track_summaries().read_current(state.versions);
    if (summarized) {
        state.summaries = std::move(summarized->tracks);
        for (const auto& [track, last] : summarized->last_entries) note_if_dirty(last);
        return state;
    }
    state.history = history.entries();
    std::map<std::string, const HistoryEntry*> last_by_track;  // the history is oldest first
    for (const auto& entry : state.history) last_by_track[entry.track] = &entry;
    for (const auto& [track, last] : last_by_track) note_if_dirty(*last);
    return state;
}

DatabaseState read_state_unlocked(const Session& session, const Catalog& catalog, HistoryDepth depth) {
    DatabaseState state = read_state(session, catalog, depth);
    if (!state.dirty.empty()) {
        state.run_in_progress =
            RunLock::try_acquire(*session.connection, session.database, session.open_another) == nullptr;
    }
    return state;
}

}  // namespace migration_host
