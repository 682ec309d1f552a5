// What every command starts from: the loaded plugins and their catalog, one pinned connection, and the database's state.
// SPDX-License-Identifier: Apache-2.0
#include "command_line/session.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "command_line/config.hpp"
#include "exit_codes.hpp"
#include "engine/locking.hpp"
#include "database/redact.hpp"

namespace migration_host {
namespace {

std::string describe_problems(const std::vector<PluginProblem>& problems) {
    std::string text;
    for (const auto& problem : problems) {
        text += fmt::format("{}{}: {}", text.empty() ? "" : "; ", problem.path.string(), problem.reason);
    }
    return text;
}

// Some drivers (MariaDB's) apply the login timeout to the TCP connect only,
// and wait forever for a server that accepts but never answers. Nothing has
// been written when connecting, so the host can end the run itself.
class ConnectWatchdog {
public:
    ConnectWatchdog(std::uint32_t timeout_seconds, std::string target)
        : thread_([this, timeout_seconds, target = std::move(target)] {
              std::unique_lock lock(mutex_);
              // A second of grace lets drivers that honour the timeout report their own reason. Counted in
              // std::chrono::seconds, never in the option's 32-bit type, where the addition could wrap to 0.
              const auto grace = std::chrono::seconds(timeout_seconds) + std::chrono::seconds(1);
              if (connected_.wait_for(lock, grace, [this] { return done_; })) return;
              std::fprintf(stderr, "migration-host: error: cannot connect to %s: no answer from the server within %u s\n",
                           target.c_str(), timeout_seconds);
              std::fflush(stderr);
              std::_Exit(static_cast<int>(ExitCode::cannot_connect));
          }) {}
    ConnectWatchdog(const ConnectWatchdog&) = delete;
    ConnectWatchdog& operator=(const ConnectWatchdog&) = delete;
    ~ConnectWatchdog() {
        {
            std::lock_guard lock(mutex_);
            done_ = true;
        }
        connected_.notify_one();
        thread_.join();
    }

private:
    std::mutex mutex_;
    std::condition_variable connected_;
    bool done_ = false;
    std::thread thread_;  // last: starts after the members it uses exist
};

// --statement-timeout. A statement that has not ended the connect timeout (the time the user gives the server to
// answer) after its own ran out did not answer its cancellation: the server is frozen or gone and the driver would
// wait for it forever (or a plugin's row callback never returns), so the host ends the run the way ConnectWatchdog
// does. The database then sees the connection close and rolls back what the open transaction did;
// on MySQL the step's history row stays 'started' and the track dirty, as after a kill.
odbc::StatementTimeout statement_timeout(const GlobalOptions& options) {
    odbc::StatementTimeout timeout;
    timeout.seconds = options.statement_timeout_seconds;
    timeout.grace = std::chrono::seconds(options.connect_timeout_seconds);
    timeout.on_unanswered = [seconds = timeout.seconds, grace = options.connect_timeout_seconds] {
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

}  // namespace

LoadedCatalog load_catalog(const GlobalOptions& options) {
    const auto dirs = resolve_plugin_dirs(options.plugin_paths);
    for (const auto& dir : dirs) spdlog::debug("plugin directory: {}", dir.string());
    Discovery discovery =
        discover_plugins(dirs, options.allow_insecure_plugins ? InsecurePlugins::warn : InsecurePlugins::refuse);
    if (!discovery.problems.empty()) {
        if (!options.skip_broken_plugins) {
            throw HostError(ExitCode::plugin_error, "unusable plugin library: " + describe_problems(discovery.problems));
        }
        for (const auto& problem : discovery.problems) {
            spdlog::warn("skipping {}: {}", problem.path.string(), problem.reason);
        }
    }
    Catalog catalog = Catalog::build(discovery.plugins, dirs);
    return {std::move(discovery), std::move(catalog)};
}

std::unique_ptr<Session> open_session(const GlobalOptions& options) {
    auto session = std::make_unique<Session>();
    const std::string connection_string = resolve_connection_string(options.dsn);
    spdlog::debug("connecting to {}", redact_connection_string(connection_string));
    const ConnectWatchdog watchdog(options.connect_timeout_seconds, redact_connection_string(connection_string));
    try {
        session->connection = std::make_unique<odbc::Connection>(session->environment, connection_string,
                                                                 options.connect_timeout_seconds);
        session->connection->set_statement_timeout(statement_timeout(options));
        session->database = describe_database(*session->connection);
    } catch (const odbc::Error& error) {
        throw HostError(ExitCode::cannot_connect, error.what());
    }
    spdlog::debug("connected to {} {} (dialect {}{}{})", session->database.dbms_name, session->database.dbms_version,
                  session->database.dialect, session->database.database_name.empty() ? "" : ", database ",
                  session->database.database_name);
    return session;
}

DatabaseState read_state(const Session& session, const Catalog& catalog) {
    DatabaseState state;
    const VersionStore versions = session.versions();
    state.versions = versions.versions();
    versions.require_exact_track_rows(state.versions, catalog);
    const HistoryStore history = session.history();
    state.history = history.entries();
    std::map<std::string, std::vector<HistoryEntry>> by_track;
    for (const auto& entry : state.history) by_track[entry.track].push_back(entry);
    for (const auto& [track, entries] : by_track) {
        if (auto dirty = history.dirty(entries)) state.dirty.emplace(track, std::move(*dirty));
    }
    return state;
}

DatabaseState read_state_unlocked(const Session& session, const Catalog& catalog) {
    DatabaseState state = read_state(session, catalog);
    if (!state.dirty.empty()) {
        state.run_in_progress = RunLock::try_acquire(*session.connection, session.database) == nullptr;
    }
    return state;
}

}  // namespace migration_host
