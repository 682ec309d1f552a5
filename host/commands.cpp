// Carries out the CLI commands: plugins, status, upgrade, downgrade.
#include "commands.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "config.hpp"
#include "database.hpp"
#include "host_api.hpp"
#include "odbc.hpp"
#include "plugin_loader.hpp"
#include "planner.hpp"
#include "redact.hpp"
#include "version_state.hpp"

namespace migration_host {
namespace {

void print(const std::string& text) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
}

std::string describe_problems(const std::vector<PluginProblem>& problems) {
    std::string text;
    for (const auto& problem : problems) {
        text += fmt::format("{}{}: {}", text.empty() ? "" : "; ", problem.path.string(), problem.reason);
    }
    return text;
}

// Loads the plugins and their catalog. Unusable libraries fail the run unless
// --skip-broken-plugins: a plugin that silently did not load would look like
// a migration that does not exist.
struct LoadedCatalog {
    Discovery discovery;
    Catalog catalog;
};

LoadedCatalog load_catalog(const GlobalOptions& options) {
    const auto dirs = resolve_plugin_dirs(options.plugin_paths);
    for (const auto& dir : dirs) spdlog::debug("plugin directory: {}", dir.string());
    Discovery discovery = discover_plugins(dirs);
    if (!discovery.problems.empty()) {
        if (!options.skip_broken_plugins) {
            throw HostError(ExitCode::plugin_error, "unusable plugin library: " + describe_problems(discovery.problems));
        }
        for (const auto& problem : discovery.problems) {
            spdlog::warn("skipping {}: {}", problem.path.string(), problem.reason);
        }
    }
    Catalog catalog = Catalog::build(discovery.plugins);
    return {std::move(discovery), std::move(catalog)};
}

// One connection for the whole run: every step, its version update and (for
// MySQL's session-scoped settings) every statement of a step share it.
struct Session {
    odbc::Environment environment;
    std::unique_ptr<odbc::Connection> connection;
    DatabaseInfo database;
};

// Some drivers (MariaDB's) apply the login timeout to the TCP connect only,
// and wait forever for a server that accepts but never answers. Nothing has
// been written when connecting, so the host can end the run itself.
class ConnectWatchdog {
public:
    ConnectWatchdog(std::uint32_t timeout_seconds, std::string target)
        : thread_([this, timeout_seconds, target = std::move(target)] {
              std::unique_lock lock(mutex_);
              // A second of grace lets drivers that honour the timeout report their own reason.
              if (connected_.wait_for(lock, std::chrono::seconds(timeout_seconds + 1), [this] { return done_; })) return;
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

std::unique_ptr<Session> connect(const GlobalOptions& options) {
    auto session = std::make_unique<Session>();
    const std::string connection_string = resolve_connection_string(options.dsn);
    spdlog::debug("connecting to {}", redact_secrets(connection_string));
    const ConnectWatchdog watchdog(options.connect_timeout_seconds, redact_secrets(connection_string));
    try {
        session->connection = std::make_unique<odbc::Connection>(session->environment, connection_string,
                                                                 options.connect_timeout_seconds);
        session->database = describe_database(*session->connection);
    } catch (const odbc::Error& error) {
        throw HostError(ExitCode::cannot_connect, error.what());
    }
    spdlog::debug("connected to {} {} (dialect {}{}{})", session->database.dbms_name, session->database.dbms_version,
                 session->database.dialect, session->database.database_name.empty() ? "" : ", database ",
                 session->database.database_name);
    return session;
}

bool has_transactional_ddl(const DatabaseInfo& database) {
    return database.dialect == "sqlite" || database.dialect == "postgresql";
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Runs one step and moves its track's version, as one transaction where the
// database allows it.
void apply_step(Session& session, const VersionStore& store, const Step& step) {
    const Migration& migration = *step.migration;
    const bool upgrading = step.direction == Direction::upgrade;
    const std::string label = upgrading ? migration.label() : migration.label() + " downgrade";
    spdlog::info("running {} from plugin {} {}", label, migration.plugin->id(), migration.plugin->version());
    const auto start = std::chrono::steady_clock::now();
    StepExecutor executor(session.connection.get(), session.database);
    const mh_step_fn function = upgrading ? migration.upgrade : migration.downgrade;

    const auto fail = [&](const std::string& why) {
        const std::string note = has_transactional_ddl(session.database)
                                     ? "rolled back"
                                     : "statements before the failure stay applied (DDL commits implicitly here)";
        return HostError(ExitCode::step_failed,
                         fmt::format("{} failed: {}; {}, {} stays at version {}", label, why, note,
                                     migration.ref.track, step.from_version()));
    };
    if (has_transactional_ddl(session.database)) {
        odbc::Transaction transaction(*session.connection);
        const StepResult result = executor.run(function, label);
        if (!result.succeeded) throw fail(result.error);
        store.compare_and_set(migration.ref.track, step.from_version(), step.to_version());
        transaction.commit();
    } else {
        const StepResult result = executor.run(function, label);
        if (!result.succeeded) throw fail(result.error);
        store.compare_and_set(migration.ref.track, step.from_version(), step.to_version());
    }
    print(fmt::format("{} {} {} -> {}: {} ({} {}) in {:.3f} s\n", upgrading ? "Upgraded" : "Downgraded",
                      migration.ref.track, step.from_version(), step.to_version(), migration.name,
                      migration.plugin->id(),
                      migration.plugin->version(), seconds_since(start)));
}

ExitCode list_plugins(const Invocation& invocation) {
    const auto dirs = resolve_plugin_dirs(invocation.global.plugin_paths);
    const Discovery discovery = discover_plugins(dirs);
    for (const auto& plugin : discovery.plugins) {
        print(fmt::format("{} {} - {}\n  library: {}\n  ABI: {}.{}\n", plugin->id(), plugin->version(), plugin->name(),
                          plugin->path().string(), plugin->abi_major(), plugin->abi_minor()));
        if (!plugin->description().empty()) print(fmt::format("  description: {}\n", plugin->description()));
        for (const auto& migration : plugin->migrations()) {
            std::string requirements;
            for (const auto& requirement : migration.requirements) {
                requirements += (requirements.empty() ? " requires " : ", ") + requirement.to_string();
            }
            print(fmt::format("  {} {}{}{}\n", migration.ref.to_string(), migration.name, requirements,
                              migration.irreversible ? " (irreversible)" : ""));
        }
    }
    if (discovery.plugins.empty()) {
        std::string where;
        for (const auto& dir : dirs) where += (where.empty() ? "" : ", ") + dir.string();
        print(fmt::format("No plugins found in {}\n", where));
    }
    for (const auto& problem : discovery.problems) {
        print(fmt::format("unusable: {}: {}\n", problem.path.string(), problem.reason));
    }
    if (!discovery.problems.empty() && !invocation.global.skip_broken_plugins) {
        throw HostError(ExitCode::plugin_error, "unusable plugin library: " + describe_problems(discovery.problems));
    }
    // The catalog checks (gaps, duplicates, cycles) apply to the listing too.
    Catalog::build(discovery.plugins);
    return ExitCode::success;
}

ExitCode show_status(const Invocation& invocation) {
    const LoadedCatalog loaded = load_catalog(invocation.global);
    const auto session = connect(invocation.global);
    const VersionStore store(*session->connection, session->database);
    const VersionMap current = store.versions();

    std::set<std::string> tracks;
    for (const auto& [track, migrations] : loaded.catalog.tracks()) tracks.insert(track);
    for (const auto& [track, version] : current) tracks.insert(track);

    print(fmt::format("Database: {} {} (dialect {})\n", session->database.dbms_name, session->database.dbms_version,
                      session->database.dialect));
    if (tracks.empty()) {
        print("No tracks: no plugins loaded and no versions recorded.\n");
        return ExitCode::success;
    }
    print(fmt::format("{:<24} {:>8} {:>8}  {}\n", "TRACK", "CURRENT", "LATEST", "PENDING"));
    for (const auto& track : tracks) {
        const auto at = version_of(current, track);
        const auto latest = loaded.catalog.latest(track);
        std::string pending;
        if (!loaded.catalog.tracks().count(track)) {
            pending = "(no loaded plugin provides this track)";
        } else if (at > latest) {
            pending = "(database is ahead of the loaded plugins)";
        } else {
            for (auto version = at + 1; version <= latest; ++version) {
                pending += (pending.empty() ? "" : ", ") + loaded.catalog.find({track, version})->name;
            }
            if (pending.empty()) pending = "-";
        }
        print(fmt::format("{:<24} {:>8} {:>8}  {}\n", track, at,
                          loaded.catalog.tracks().count(track) ? std::to_string(latest) : std::string("?"), pending));
    }
    return ExitCode::success;
}

ExitCode upgrade(const Invocation& invocation) {
    std::vector<UpgradeTarget> targets;
    for (const auto& argument : invocation.arguments) {
        auto target = parse_upgrade_target(argument);
        if (!target) {
            throw HostError(ExitCode::usage,
                            fmt::format("invalid upgrade target '{}': expected TRACK or TRACK@VERSION", argument));
        }
        targets.push_back(std::move(*target));
    }
    const LoadedCatalog loaded = load_catalog(invocation.global);
    const auto session = connect(invocation.global);
    const VersionStore store(*session->connection, session->database);
    VersionMap current = store.versions();
    const std::vector<Step> steps = plan_upgrade(loaded.catalog, current, targets);
    if (steps.empty()) {
        std::string where;
        for (const auto& [track, migrations] : loaded.catalog.tracks()) {
            where += fmt::format("{}{} at {}", where.empty() ? "" : ", ", track, version_of(current, track));
        }
        print(fmt::format("Nothing to do: already up to date ({}).\n", where.empty() ? "no tracks" : where));
        return ExitCode::success;
    }
    if (store.create_table_if_missing()) spdlog::info("created {}", VersionStore::table_name);
    const auto start = std::chrono::steady_clock::now();
    for (const auto& step : steps) {
        const auto& track = step.migration->ref.track;
        if (!current.count(track)) {
            store.add_track(track, step.migration->plugin->path().string());
            current[track] = 0;
        }
        apply_step(*session, store, step);
    }
    print(fmt::format("Applied {} step{} in {:.3f} s.\n", steps.size(), steps.size() == 1 ? "" : "s",
                      seconds_since(start)));
    return ExitCode::success;
}

ExitCode downgrade(const Invocation& invocation) {
    const auto target = parse_version_ref(invocation.arguments.at(0), 0);
    if (!target) {
        throw HostError(ExitCode::usage, fmt::format("invalid downgrade target '{}': expected TRACK@VERSION",
                                                     invocation.arguments.at(0)));
    }
    const LoadedCatalog loaded = load_catalog(invocation.global);
    const auto session = connect(invocation.global);
    const VersionStore store(*session->connection, session->database);
    const VersionMap current = store.versions();
    const std::vector<Step> steps = plan_downgrade(loaded.catalog, current, *target);
    if (steps.empty()) {
        print(fmt::format("Nothing to do: {} is already at version {}.\n", target->track, target->version));
        return ExitCode::success;
    }
    for (const auto& step : steps) apply_step(*session, store, step);
    return ExitCode::success;
}

}  // namespace

ExitCode run_command(const Invocation& invocation) {
    if (invocation.command == "plugins") return list_plugins(invocation);
    if (invocation.command == "status") return show_status(invocation);
    if (invocation.command == "upgrade") return upgrade(invocation);
    if (invocation.command == "downgrade") return downgrade(invocation);
    throw HostError(ExitCode::usage, "unknown command '" + invocation.command + "'");
}

}  // namespace migration_host
