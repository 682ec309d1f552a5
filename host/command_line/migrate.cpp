// Carries out the commands that change the database (upgrade, downgrade, stamp, repair), each under the run lock.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <set>

#include "command_line/commands.hpp"
#include "plugins/host_api.hpp"
#include "engine/locking.hpp"
#include "engine/offline.hpp"
#include "command_line/session.hpp"

namespace migration_host {
namespace {

using Clock = std::chrono::steady_clock;

std::int64_t milliseconds_since(Clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

std::unique_ptr<RunLock> lock_database(const Session& session, const GlobalOptions& options) {
    return RunLock::acquire(*session.connection, session.database, std::chrono::seconds(options.lock_timeout_seconds));
}

// Creates the version and history tables, before anything else is written.
void prepare_tables(const Session& session) {
    if (session.versions().create_table_if_missing()) spdlog::info("created {}", VersionStore::table_name);
    if (session.history().create_table_if_missing()) spdlog::info("created {}", HistoryStore::table_name);
}

// Every track an upgrade touches or builds on: the targets (all tracks when
// none), the planned steps' tracks and the tracks they require.
std::set<std::string> tracks_involved(const Catalog& catalog, const std::vector<UpgradeTarget>& targets,
                                      const std::vector<Step>& steps) {
    std::set<std::string> tracks;
    for (const auto& target : targets) tracks.insert(target.track);
    if (targets.empty()) {
        for (const auto& [track, migrations] : catalog.tracks()) tracks.insert(track);
    }
    for (const auto& step : steps) {
        tracks.insert(step.migration->ref.track);
        for (const auto& requirement : step.migration->requirements) tracks.insert(requirement.track);
    }
    return tracks;
}

void refuse_if_dirty(const DatabaseState& state, const std::string& track) {
    const auto dirty = state.dirty.find(track);
    if (dirty == state.dirty.end()) return;
    const auto& attempt = dirty->second.attempt;
    throw HostError(ExitCode::refused,
                    fmt::format("track {} is dirty: {}; fix the schema by hand, then run 'migration-host repair "
                                "{}@{}' if the step's changes are in place, or 'repair {}@{}' if they are not",
                                track, dirty->second.describe(), track, attempt.to_version, track,
                                attempt.from_version));
}

// A track that starts from nothing (no version row) on a database that
// already has tables its first step creates: created by hand or by another
// tool. Running the step would fail halfway; the operator should stamp it.
void refuse_unversioned_schema(const Session& session, const DatabaseState& state, const std::vector<Step>& steps) {
    for (const auto& step : steps) {
        const Migration& migration = *step.migration;
        if (migration.ref.version != 1 || state.versions.count(migration.ref.track)) continue;
        const OfflineRender render = render_upgrade_offline(migration, session.database);
        if (!render.succeeded) {
            spdlog::debug("cannot render {} offline to check for existing tables: {}", migration.label(), render.error);
            continue;
        }
        std::vector<std::string> existing;
        for (const auto& table : tables_created_by(render.statements)) {
            if (table_exists(*session.connection, session.database, table)) existing.push_back(table);
        }
        if (existing.empty()) continue;
        std::string list;
        for (const auto& table : existing) list += (list.empty() ? "" : ", ") + table;
        throw HostError(ExitCode::refused,
                        fmt::format("the database already has tables that {} creates ({}) but no version for track "
                                    "{}: if this schema is already at {}@N, record that with 'migration-host stamp "
                                    "{}@N' instead of upgrading",
                                    migration.label(), list, migration.ref.track, migration.ref.track,
                                    migration.ref.track));
    }
}

// Warns about applied steps whose plugin changed since (validate reports them as an error).
void warn_changed_steps(const Session& session, const DatabaseState& state, const Catalog& catalog) {
    for (const auto& [track, migrations] : catalog.tracks()) {
        const auto applied = std::min(version_of(state.versions, track), catalog.latest(track));
        for (std::int64_t version = 1; version <= applied; ++version) {
            const auto recorded = HistoryStore::applied_checksum(state.history, track, version);
            if (!recorded) continue;
            const Migration& migration = *catalog.find({track, version});
            const std::string now = step_checksum(migration, session.database);
            if (!now.empty() && !checksum_matches(*recorded, migration, session.database)) {
                spdlog::warn("{} changed since it was applied (checksum {} then, {} now); see 'migration-host validate'",
                             migration.label(), *recorded, now);
            }
        }
    }
}

HistoryEntry history_entry(const Step& step, const std::string& direction) {
    const Migration& migration = *step.migration;
    HistoryEntry entry;
    entry.track = migration.ref.track;
    entry.version = migration.ref.version;
    entry.direction = direction;
    entry.from_version = step.from_version();
    entry.to_version = step.to_version();
    entry.plugin_id = migration.plugin->id();
    entry.plugin_version = migration.plugin->version();
    entry.library_path = migration.plugin->path().string();
    const RunBy run_by = current_run_by();
    entry.os_user = run_by.os_user;
    entry.host_name = run_by.host_name;
    entry.started_at = utc_now_iso8601();
    return entry;
}

// Runs one step and moves its track's version. Where DDL is transactional the
// step, its version update and its history row commit together, and a
// failure leaves only a "failed" history row. Elsewhere the history row is
// written "started" first, so that a crash or failure leaves the track dirty.
void apply_step(const Session& session, const Step& step) {
    const Migration& migration = *step.migration;
    const bool upgrading = step.direction == Direction::upgrade;
    const std::string direction = upgrading ? "upgrade" : "downgrade";
    const std::string label = upgrading ? migration.label() : migration.label() + " downgrade";
    const VersionStore versions = session.versions();
    const HistoryStore history = session.history();
    HistoryEntry entry = history_entry(step, direction);
    if (upgrading) entry.checksum = step_checksum(migration, session.database);
    spdlog::info("running {} from plugin {} {}", label, migration.plugin->id(), migration.plugin->version());

    StepExecutor executor(session.connection.get(), session.database);
    const mh_step_fn function = upgrading ? migration.upgrade : migration.downgrade;
    const auto start = Clock::now();
    std::optional<std::string> failure;

    if (has_transactional_ddl(session.database)) {
        {
            odbc::Transaction transaction(*session.connection);
            const StepResult result = executor.run(function, label);
            failure = result.succeeded
                          ? versions.compare_and_set(migration.ref.track, step.from_version(), step.to_version())
                          : result.error;
            if (!failure) {
                entry.outcome = "succeeded";
                entry.finished_at = utc_now_iso8601();
                entry.duration_ms = milliseconds_since(start);
                history.append(entry);
                transaction.commit();
            }
        }  // a failed step is rolled back here, before its failure is recorded
        if (failure) {
            entry.outcome = "failed";
            entry.finished_at = utc_now_iso8601();
            entry.duration_ms = milliseconds_since(start);
            entry.error = *failure;
            history.append(entry);
        }
    } else {
        entry.outcome = "started";
        const auto id = history.append(entry);
        const StepResult result = executor.run(function, label);
        failure = result.succeeded
                      ? versions.compare_and_set(migration.ref.track, step.from_version(), step.to_version())
                      : result.error;
        history.finish(id, failure ? "failed" : "succeeded", utc_now_iso8601(), milliseconds_since(start),
                       failure.value_or(""));
    }
    if (failure) {
        const std::string note =
            has_transactional_ddl(session.database)
                ? "rolled back"
                : "statements before the failure stay applied (DDL commits implicitly here) and the track is dirty "
                  "until 'migration-host repair'";
        throw HostError(ExitCode::step_failed, fmt::format("{} failed: {}; {}, {} stays at version {}", label, *failure,
                                                           note, migration.ref.track, step.from_version()));
    }
    print(fmt::format("{} {} {} -> {}: {} ({} {}) in {:.3f} s\n", upgrading ? "Upgraded" : "Downgraded",
                      migration.ref.track, step.from_version(), step.to_version(), migration.name,
                      migration.plugin->id(), migration.plugin->version(),
                      static_cast<double>(milliseconds_since(start)) / 1000.0));
}

VersionRef parse_single_ref(const Invocation& invocation) {
    const auto ref = parse_version_ref(invocation.arguments.at(0), 0);
    if (!ref) {
        throw HostError(ExitCode::usage, fmt::format("invalid {} target '{}': expected TRACK@VERSION",
                                                     invocation.command, invocation.arguments.at(0)));
    }
    return *ref;
}

// Records a version without running anything (stamp, repair), with its history row.
void record_version(const Session& session, const std::string& direction, const std::string& track,
                    std::int64_t from, std::int64_t to, const Catalog& catalog) {
    const VersionStore versions = session.versions();
    HistoryEntry entry;
    entry.track = track;
    entry.version = to;
    entry.direction = direction;
    entry.from_version = from;
    entry.to_version = to;
    if (const Migration* migration = catalog.find({track, std::max<std::int64_t>(to, 1)})) {
        entry.plugin_id = migration->plugin->id();
        entry.plugin_version = migration->plugin->version();
        entry.library_path = migration->plugin->path().string();
    }
    const RunBy run_by = current_run_by();
    entry.os_user = run_by.os_user;
    entry.host_name = run_by.host_name;
    entry.started_at = utc_now_iso8601();
    entry.finished_at = entry.started_at;
    entry.duration_ms = 0;
    entry.outcome = "succeeded";
    odbc::Transaction transaction(*session.connection);
    // MySQL counts changed rows only: setting the version it already has is no change.
    if (from != to) {
        if (const auto failure = versions.compare_and_set(track, from, to)) throw HostError(ExitCode::refused, *failure);
    }
    session.history().append(entry);
    transaction.commit();
}

void ensure_track_row(const Session& session, DatabaseState& state, const std::string& track,
                      const Catalog& catalog) {
    if (state.versions.count(track)) return;
    const Migration* first = catalog.find({track, 1});
    session.versions().add_track(track, first ? first->plugin->path().string() : "");
    state.versions[track] = 0;
}

}  // namespace

ExitCode upgrade(const Invocation& invocation) {
    const auto targets = parse_upgrade_targets(invocation.arguments);
    const LoadedCatalog loaded = load_catalog(invocation.global);
    const auto session = open_session(invocation.global);
    // Plan once before waiting for the lock, so that an unknown track or
    // version fails at once; plan again under the lock from fresh state.
    plan_upgrade(loaded.catalog, read_state(*session).versions, targets);
    const auto lock = lock_database(*session, invocation.global);
    DatabaseState state = read_state(*session);
    const std::vector<Step> steps = plan_upgrade(loaded.catalog, state.versions, targets);
    // A half-applied step must be repaired before anything runs on or after it,
    // and "nothing to do" would hide it.
    for (const auto& track : tracks_involved(loaded.catalog, targets, steps)) refuse_if_dirty(state, track);
    warn_changed_steps(*session, state, loaded.catalog);
    if (steps.empty()) {
        std::string where;
        for (const auto& [track, migrations] : loaded.catalog.tracks()) {
            where += fmt::format("{}{} at {}", where.empty() ? "" : ", ", track, version_of(state.versions, track));
        }
        print(fmt::format("Nothing to do: already up to date ({}).\n", where.empty() ? "no tracks" : where));
        return ExitCode::success;
    }
    refuse_unversioned_schema(*session, state, steps);
    prepare_tables(*session);
    const auto start = Clock::now();
    for (const auto& step : steps) {
        ensure_track_row(*session, state, step.migration->ref.track, loaded.catalog);
        apply_step(*session, step);
    }
    print(fmt::format("Applied {} step{} in {:.3f} s.\n", steps.size(), steps.size() == 1 ? "" : "s",
                      static_cast<double>(milliseconds_since(start)) / 1000.0));
    return ExitCode::success;
}

ExitCode downgrade(const Invocation& invocation) {
    const VersionRef target = parse_single_ref(invocation);
    const LoadedCatalog loaded = load_catalog(invocation.global);
    const auto session = open_session(invocation.global);
    plan_downgrade(loaded.catalog, read_state(*session).versions, target);
    const auto lock = lock_database(*session, invocation.global);
    const DatabaseState state = read_state(*session);
    const std::vector<Step> steps = plan_downgrade(loaded.catalog, state.versions, target);
    refuse_if_dirty(state, target.track);
    if (steps.empty()) {
        print(fmt::format("Nothing to do: {} is already at version {}.\n", target.track, target.version));
        return ExitCode::success;
    }
    prepare_tables(*session);
    for (const auto& step : steps) apply_step(*session, step);
    return ExitCode::success;
}

ExitCode stamp(const Invocation& invocation) {
    const VersionRef target = parse_single_ref(invocation);
    const LoadedCatalog loaded = load_catalog(invocation.global);
    loaded.catalog.require_known(target);
    const auto session = open_session(invocation.global);
    const auto lock = lock_database(*session, invocation.global);
    DatabaseState state = read_state(*session);
    const auto from = version_of(state.versions, target.track);
    if (state.versions.count(target.track) && from == target.version) {
        print(fmt::format("Nothing to do: {} is already at version {}.\n", target.track, target.version));
        return ExitCode::success;
    }
    prepare_tables(*session);
    ensure_track_row(*session, state, target.track, loaded.catalog);
    record_version(*session, "stamp", target.track, from, target.version, loaded.catalog);
    print(fmt::format("Stamped {} at version {} (was {}); no step was run.\n", target.track, target.version, from));
    return ExitCode::success;
}

ExitCode repair(const Invocation& invocation) {
    const VersionRef target = parse_single_ref(invocation);
    const LoadedCatalog loaded = load_catalog(invocation.global);
    loaded.catalog.require_known({target.track, 0});
    const auto session = open_session(invocation.global);
    const auto lock = lock_database(*session, invocation.global);
    const DatabaseState state = read_state(*session);
    const auto dirty = state.dirty.find(target.track);
    if (dirty == state.dirty.end()) {
        throw HostError(ExitCode::refused, fmt::format("track {} is not dirty: nothing to repair", target.track));
    }
    const HistoryEntry& attempt = dirty->second.attempt;
    if (target.version != attempt.from_version && target.version != attempt.to_version) {
        throw HostError(ExitCode::refused,
                        fmt::format("the unfinished step {}@{} {} moves {} from {} to {}: repair to {} (its changes are "
                                    "in place) or {} (they are not), not {}",
                                    attempt.track, attempt.version, attempt.direction, attempt.track,
                                    attempt.from_version, attempt.to_version, attempt.to_version,
                                    attempt.from_version, target.version));
    }
    const auto from = version_of(state.versions, target.track);
    record_version(*session, "repair", target.track, from, target.version, loaded.catalog);
    print(fmt::format("Repaired {}: {}@{} {} marked as {}; {} is at version {}.\n", target.track, attempt.track,
                      attempt.version, attempt.direction, target.version == attempt.to_version ? "done" : "not done",
                      target.track, target.version));
    return ExitCode::success;
}

}  // namespace migration_host
