// Drift: the live schema against what the applied steps leave, built on a scratch database outside the live one.
// SPDX-License-Identifier: Apache-2.0
#include "engine/verification.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <functional>
#include <map>
#include <memory>
#include <set>

#include "engine/interrupt_cleanup.hpp"
#include "engine/locking.hpp"
#include "database/connection_keys.hpp"
#include "engine/scratch_database.hpp"
#include "engine/upgrade_checks.hpp"
#include "exit_codes.hpp"
#include "plugins/host_api.hpp"

namespace migration_host {
namespace {

// Whether another migration-host holds the run lock now (tested without waiting, released at once): its steps may
// be changing the schema while it is read.
bool run_in_progress(const Session& session) {
    return RunLock::try_acquire(*session.connection, session.database, session.open_another) == nullptr;
}

// Every track at its version in `versions`, as upgrade targets (none for a track at 0, which has no step applied).
// Refused (exit 5) where the schema those steps leave cannot be known: a track no loaded plugin provides, or one
// ahead of them. `which` says what the versions are, e.g. "is at version 8" or "would be at version 8 with
// cinder@8 upgrade done".
std::vector<UpgradeTarget> targets_of(const Catalog& catalog, const VersionMap& versions,
                                      const std::function<std::string(const std::string&, std::int64_t)>& which) {
    std::vector<UpgradeTarget> targets;
    for (const auto& [track, version] : versions) {
        if (version <= 0) continue;
        if (!catalog.tracks().count(track)) {
            throw HostError(ExitCode::refused,
                            fmt::format("track {} {}, but no loaded plugin provides it: the schema its steps leave is "
                                        "unknown (add its plugin to the plugin path)",
                                        track, which(track, version)));
        }
        if (version > catalog.latest(track)) {
            throw HostError(ExitCode::refused,
                            fmt::format("track {} {}, ahead of the loaded plugins (latest {}): the schema its steps "
                                        "leave is unknown",
                                        track, which(track, version), catalog.latest(track)));
        }
        targets.push_back({track, version});
    }
    return targets;
}

// The dirty tracks whose unfinished step verify weighs, by track; none while another run holds the lock (its step
// may simply be running). Refused (exit 5) beyond max_dirty_tracks_compared.
std::vector<DirtyTrack> dirty_tracks(const DatabaseState& state, bool another_run) {
    std::vector<DirtyTrack> dirty;
    if (another_run) return dirty;
    for (const auto& [track, unfinished] : state.dirty) dirty.push_back(unfinished);
    if (dirty.size() > max_dirty_tracks_compared) {
        throw HostError(ExitCode::refused,
                        fmt::format("{} tracks are dirty (first {}): verify compares at most {} (each combination of "
                                    "their unfinished steps is a schema to build); repair them one by one with "
                                    "'migration-host repair'",
                                    dirty.size(), dirty.front().describe(), max_dirty_tracks_compared));
    }
    return dirty;
}

// Every combination of the dirty tracks' steps done or not (bit i of the index: dirty[i] done), the other tracks at
// their versions; the first is none done.
std::vector<DirtyCandidate> dirty_candidates(const Catalog& catalog, const VersionMap& versions,
                                             const std::vector<DirtyTrack>& dirty) {
    std::vector<DirtyCandidate> candidates;
    for (std::size_t mask = 0; mask < (std::size_t{1} << dirty.size()); ++mask) {
        DirtyCandidate candidate;
        VersionMap at = versions;
        std::map<std::string, const HistoryEntry*> step_of;
        for (std::size_t i = 0; i < dirty.size(); ++i) {
            const HistoryEntry& attempt = dirty[i].attempt;
            const bool done = (mask >> i) & 1U;
            candidate.done.push_back(done);
            at[attempt.track] = done ? attempt.to_version : attempt.from_version;
            candidate.repairs.push_back({attempt.track, at[attempt.track]});
            step_of[attempt.track] = &attempt;
        }
        candidate.applied = targets_of(catalog, at, [&](const std::string& track, std::int64_t version) {
            const auto step = step_of.find(track);
            if (step == step_of.end()) return fmt::format("is at version {}", version);
            return fmt::format("would be at version {} with {}@{} {} {}", version, track, step->second->version,
                               step->second->direction, version == step->second->to_version ? "done" : "not done");
        });
        candidates.push_back(std::move(candidate));
    }
    return candidates;
}

VersionMap version_map(const std::vector<UpgradeTarget>& targets) {
    VersionMap versions;
    for (const auto& target : targets) versions[target.track] = target.version.value_or(0);
    return versions;
}

// Whether a scratch at `built` reaches `wanted` by upgrades alone: no track above its version there.
bool only_up(const VersionMap& built, const VersionMap& wanted) {
    for (const auto& [track, version] : built) {
        if (version > version_of(wanted, track)) return false;
    }
    return true;
}

// Runs `steps` (upgrades from the versions `registered` tracks are at) on the scratch through the same step
// machinery as upgrade, each step in a transaction where DDL is transactional. The scratch gets the host's own tables
// first and each track's version is moved after its step, as upgrade does: a step may read or change them (cinder@1
// converts migrate_version to utf8 on MySQL with its own tables). No history row is written: nothing reads it, and
// the host's tables are not compared. `registered` holds the tracks the scratch has a version row for.
void build_expected(const ScratchDatabase& scratch, const std::vector<Step>& steps, std::set<std::string>& registered) {
    const VersionStore versions(scratch.connection(), scratch.database());
    versions.create_table_if_missing();
    HistoryStore(scratch.connection(), scratch.database()).create_table_if_missing();
    StepExecutor executor(&scratch.connection(), scratch.database());
    executor.set_aftermath(scratch.left_behind());
    for (const auto& step : steps) {
        const Migration& migration = *step.migration;
        if (registered.insert(migration.ref.track).second) {
            versions.add_track(migration.ref.track, migration.plugin->path().string());
        }
        spdlog::debug("verify: running {} on the {}", migration.label(), scratch.description());
        std::optional<odbc::Transaction> transaction;
        if (scratch.database().dialect.transactional_ddl()) transaction.emplace(scratch.connection());
        const StepResult result = executor.run(migration.upgrade, migration.label(), migration.plugin->path().string());
        std::optional<std::string> failure;
        if (!result.succeeded) {
            failure = result.error;
        } else {
            failure = versions.compare_and_set(migration.ref.track, step.from_version(), step.to_version());
        }
        if (failure) {
            throw HostError(ExitCode::step_failed,
                            fmt::format("verify cannot build the expected schema: {} failed on the {}: {}; the "
                                        "database was not touched",
                                        migration.label(), scratch.description(), *failure));
        }
        if (transaction) transaction->commit();
    }
}

// Builds each of `candidates`' expected schema, on as few scratches as it can: one is taken on to the next
// candidate when that only needs more steps (its versions only go up), else replaced by a new one.
void build_candidates(const VerifyRequest& request, const Session& session, const Catalog& catalog,
                      std::vector<DirtyCandidate>& candidates) {
    ScratchSettings settings;
    settings.live_connection_string = request.connection.effective_target().connection_string();
    if (request.scratch) settings.named_connection_string = request.scratch->connection_string();
    settings.login_timeout_seconds = request.connection.connect_timeout_seconds;
    settings.statement_timeout = session.connection->statement_timeout();
    settings.lock_timeout_seconds = request.lock_timeout_seconds;
    // From before a scratch exists until it is removed, an interrupt removes it first (one that comes while it is
    // being created leaves it to the next verify, which removes scratches whose creator is gone).
    std::optional<InterruptCleanup> interrupt;
    std::unique_ptr<ScratchDatabase> scratch;
    const auto remove_scratch = [&] {
        if (interrupt) interrupt->exclusively([&] { scratch.reset(); });
    };
    VersionMap built;                  // the versions the scratch is at
    std::set<std::string> registered;  // the tracks it has a version row for
    try {
        for (auto& candidate : candidates) {
            candidate.built_in = "nothing to build: no step is applied";
            if (candidate.applied.empty()) continue;
            const VersionMap wanted = version_map(candidate.applied);
            if (scratch && !only_up(built, wanted)) remove_scratch();
            if (!scratch) {
                if (!interrupt) {
                    interrupt.emplace("verify", request.interrupted);
                    interrupt->set_cleanup([&] { return scratch ? scratch->remove_from_elsewhere() : std::string(); });
                }
                built.clear();
                registered.clear();
                scratch = ScratchDatabase::create(session.environment, *session.connection, session.database, settings);
            }
            const std::vector<Step> steps = plan_upgrade(catalog, built, candidate.applied);
            build_expected(*scratch, steps, registered);
            for (const auto& step : steps) built[step.migration->ref.track] = step.to_version();
            candidate.expected = read_schema(scratch->connection(), scratch->database());
            candidate.built_in = scratch->description();
        }
    } catch (...) {
        remove_scratch();
        throw;
    }
    remove_scratch();
}

}  // namespace

VerifyResult verify_schema(const VerifyRequest& request) {
    VerifyResult result;
    const LoadedCatalog loaded = load_catalog(request.plugins);
    // Before either connection: a key the scratch's driver would ignore could send verify's build elsewhere.
    if (request.scratch) {
        check_connection_keys(*request.scratch, request.connection.allowed_connection_keys, "--scratch-dsn");
    }
    const auto session = open_session(request.connection, Access::read_only);
    const DatabaseState state = read_state(*session, loaded.catalog);
    result.run_in_progress = run_in_progress(*session);
    result.database = session->database;
    result.applied = targets_of(loaded.catalog, state.versions, [](const std::string&, std::int64_t version) {
        return fmt::format("is at version {}", version);
    });
    result.dirty = dirty_tracks(state, result.run_in_progress);
    for (const auto& dirty : result.dirty) {
        result.resumable.push_back(resumption(*session, state, loaded.catalog, dirty).has_value());
    }
    std::vector<DirtyCandidate> candidates = dirty_candidates(loaded.catalog, state.versions, result.dirty);
    build_candidates(request, *session, loaded.catalog, candidates);
    const Schema live = read_schema(*session->connection, session->database);
    for (std::size_t i = 0; i < candidates.size(); ++i) {
        candidates[i].differences = compare_schemas(candidates[i].expected, live);
        if (candidates[i].differences.empty()) result.matching.push_back(i);
    }
    // The first candidate has every dirty step not done: the versions migrate_version records.
    result.built_in = candidates.front().built_in;
    result.expected = candidates.front().expected;
    result.differences = candidates.front().differences;
    if (!result.dirty.empty()) {
        result.candidates = std::move(candidates);
    } else {
        result.matching.clear();
    }
    return result;
}

}  // namespace migration_host
