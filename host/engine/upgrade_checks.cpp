// The refusals an upgrade makes after planning, in one place, so that `plan` predicts exactly what `upgrade` refuses.
// SPDX-License-Identifier: Apache-2.0
#include "engine/upgrade_checks.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "engine/offline.hpp"
#include "exit_codes.hpp"

namespace migration_host {
namespace {

// The upgrade planned as `steps` would create, with the first step of a track that has no version row, tables the
// database has already.
void refuse_unversioned_schema(const Session& session, const DatabaseState& state, const Catalog& catalog,
                               const std::vector<Step>& steps) {
    std::set<std::string> starting;
    for (const auto& step : steps) {
        if (step.migration->ref.version == 1) starting.insert(step.migration->ref.track);
    }
    const auto unversioned = unversioned_tracks(session, state, catalog, starting);
    if (unversioned.empty()) return;
    const UnversionedTrack& first = unversioned.begin()->second;
    throw HostError(ExitCode::refused, fmt::format("{}: {} instead of upgrading", first.describe(), first.advice()));
}

// Whether `track`'s summary vouches that every applied step's recorded checksum is what the loaded plugin gives now.
bool summary_matches_plugins(const std::map<std::string, TrackSummary>& summaries, const std::string& track,
                             const VersionMap& versions, const Catalog& catalog, const DatabaseInfo& database) {
    const auto found = summaries.find(track);
    const std::int64_t version = version_of(versions, track);
    if (found == summaries.end()) return version == 0;  // no history: nothing recorded to compare
    const TrackSummary& summary = found->second;
    if (version > catalog.latest(track)) return false;
    ChecksumDigest digest;
    for (std::int64_t at = 1; at <= version; ++at) {
        if (summary.unchecked(at)) continue;
        const std::string now = step_checksum(*catalog.find({track, at}), database);
        if (now.empty()) return false;
        digest.add(at, now);
    }
    return digest.text() == summary.checksums_digest;
}

}  // namespace

std::string UnversionedTrack::describe() const {
    std::string list;
    for (const auto& table : tables) list += (list.empty() ? "" : ", ") + table;
    return fmt::format("the database already has tables that {} creates ({}) but no version for track {}",
                       first->label(), list, first->ref.track);
}

std::string UnversionedTrack::advice() const {
    const std::string& track = first->ref.track;
    return fmt::format("if this schema is already at {}@N, record that with 'migration-host stamp {}@N'", track, track);
}

std::map<std::string, UnversionedTrack> unversioned_tracks(const Session& session, const DatabaseState& state,
                                                           const Catalog& catalog,
                                                           const std::set<std::string>& tracks) {
    std::map<std::string, UnversionedTrack> found;
    for (const auto& track : tracks) {
        if (state.versions.count(track)) continue;
        const Migration* first = catalog.find({track, 1});
        if (first == nullptr) continue;
        const OfflineRender render = render_upgrade_offline(*first, session.database);
        if (!render.succeeded) {
            spdlog::debug("cannot render {} offline to check for existing tables: {}", first->label(), render.error);
            continue;
        }
        UnversionedTrack unversioned;
        unversioned.first = first;
        for (const auto& table : tables_created_by(render.statements)) {
            if (table_exists(*session.connection, session.database, table)) unversioned.tables.push_back(table);
        }
        if (!unversioned.tables.empty()) found.emplace(track, std::move(unversioned));
    }
    return found;
}

void require_history_room(const Session& session) {
    static_cast<void>(session.history().next_id());
}

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

std::optional<Resumption> resumption(const Session& session, const DatabaseState& state, const Catalog& catalog,
                                     const DirtyTrack& dirty) {
    const HistoryEntry& attempt = dirty.attempt;
    if (attempt.direction != "upgrade" || attempt.outcome != "started") return std::nullopt;
    if (version_of(state.versions, attempt.track) != attempt.from_version) return std::nullopt;
    const Migration* migration = catalog.find({attempt.track, attempt.version});
    if (migration == nullptr || migration->ref.version - 1 != attempt.from_version ||
        migration->ref.version != attempt.to_version) {
        return std::nullopt;
    }
    if (attempt.statements_done && migration->checksum.empty() && !attempt.checksum.empty() &&
        step_checksum(*migration, session.database) == attempt.checksum) {
        // Twice: a step that draws random values or reads the clock renders differently each time, and its
        // statement numbers say nothing about another run's.
        const OfflineRender render = render_upgrade_offline(*migration, session.database);
        const OfflineRender again = render_upgrade_offline(*migration, session.database);
        if (render.succeeded && again.succeeded && render.statements == again.statements) {
            Resumption resume;
            resume.kind = Resumption::Kind::after_statements;
            for (const auto& statement : render.issued) {
                if (!is_offline_guard(statement.sql)) resume.journal.expected.push_back(statement.sql);
            }
            resume.statements = resume.journal.expected.size();
            resume.journal.completed = static_cast<std::size_t>(*attempt.statements_done);
            resume.journal.next_in_doubt = true;
            if (resume.journal.completed <= resume.statements) return resume;
        }
    }
    if (migration->upgrade_restartable) return Resumption{};
    return std::nullopt;
}

std::map<std::string, Resumption> resumptions(const Session& session, const DatabaseState& state,
                                              const Catalog& catalog, const std::vector<Step>& steps) {
    std::map<std::string, Resumption> found;
    if (state.run_in_progress) return found;
    std::set<std::string> seen;
    for (const auto& step : steps) {
        const std::string& track = step.migration->ref.track;
        if (!seen.insert(track).second || step.direction != Direction::upgrade) continue;
        const auto dirty = state.dirty.find(track);
        if (dirty == state.dirty.end() || dirty->second.attempt.version != step.migration->ref.version) continue;
        if (auto resume = resumption(session, state, catalog, dirty->second)) found.emplace(track, std::move(*resume));
    }
    return found;
}

void refuse_upgrade(const Session& session, const DatabaseState& state, const Catalog& catalog,
                    const std::vector<UpgradeTarget>& targets, const std::vector<Step>& steps) {
    if (!state.run_in_progress) {
        const auto resumed = resumptions(session, state, catalog, steps);
        for (const auto& track : tracks_involved(catalog, targets, steps)) {
            if (!resumed.count(track)) refuse_if_dirty(state, track);
        }
    }
    if (steps.empty()) return;
    refuse_unversioned_schema(session, state, catalog, steps);
    require_history_room(session);
}

std::vector<std::string> changed_step_warnings(const Session& session, const DatabaseState& state,
                                               const Catalog& catalog) {
    std::vector<std::string> warnings;
    // Where a summary stands in for the history, its digest of the recorded checksums is compared with the loaded
    // plugins' first; only a track where they differ has its history read, to name the steps.
    std::vector<std::string> to_check;
    for (const auto& [track, migrations] : catalog.tracks()) {
        if (!state.summaries || !summary_matches_plugins(*state.summaries, track, state.versions, catalog,
                                                          session.database)) {
            to_check.push_back(track);
        }
    }
    const AppliedSteps whole_history(state.history);  // empty where summaries stand in for it
    for (const auto& track : to_check) {
        const std::vector<HistoryEntry> track_history =
            state.summaries ? session.history().entries(track) : std::vector<HistoryEntry>();
        const AppliedSteps track_steps(track_history);
        const AppliedSteps& applied_steps = state.summaries ? track_steps : whole_history;
        const auto applied = std::min(version_of(state.versions, track), catalog.latest(track));
        for (std::int64_t version = 1; version <= applied; ++version) {
            const auto recorded = applied_steps.checksum(track, version);
            if (!recorded) continue;
            const Migration& migration = *catalog.find({track, version});
            const std::string now = step_checksum(migration, session.database);
            if (!now.empty() && !checksum_matches(*recorded, now, migration, session.database)) {
                warnings.push_back(fmt::format(
                    "{} changed since it was applied (checksum {} then, {} now); see 'migration-host validate'",
                    migration.label(), *recorded, now));
            }
        }
    }
    return warnings;
}

}  // namespace migration_host
