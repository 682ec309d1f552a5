// What each track needs (status): its version, the latest the plugins offer, what is pending, dirty or running.
// SPDX-License-Identifier: Apache-2.0
#include "engine/status.hpp"

#include <algorithm>
#include <set>

namespace migration_host {
namespace {

void compute_status(const Session& session, const Catalog& catalog, const DatabaseState& state, StatusResult& result) {
    result.database = session.database;
    result.run_in_progress = state.run_in_progress;
    std::set<std::string> tracks;
    for (const auto& [track, migrations] : catalog.tracks()) tracks.insert(track);
    for (const auto& [track, version] : state.versions) tracks.insert(track);
    auto unversioned = unversioned_tracks(session, state, catalog, tracks);
    for (const auto& track : tracks) {
        TrackStatus status;
        status.track = track;
        status.current = version_of(state.versions, track);
        const bool provided = catalog.tracks().count(track) > 0;
        if (provided) status.latest = catalog.latest(track);
        if (provided && status.current < *status.latest) {
            for (auto version = status.current + 1; version <= *status.latest; ++version) {
                if (const Migration* migration = catalog.find({track, version})) status.pending.push_back(migration);
            }
        }
        if (const auto dirty = state.dirty.find(track); dirty != state.dirty.end()) status.unfinished = dirty->second;
        if (const auto found = unversioned.find(track); found != unversioned.end()) {
            status.unversioned = std::move(found->second);
        }
        if (status.unfinished && !state.run_in_progress) {
            status.state = TrackState::dirty;
        } else if (!provided) {
            status.state = TrackState::unknown_track;
        } else if (status.current > *status.latest) {
            status.state = TrackState::ahead;
        } else if (status.unversioned) {
            status.state = TrackState::unversioned;
        } else if (status.unfinished) {
            status.state = TrackState::in_progress;
        } else if (!status.pending.empty()) {
            status.state = TrackState::pending;
        }
        result.state = std::min(result.state, status.state);
        result.tracks.push_back(std::move(status));
    }
}

}  // namespace

const char* state_name(TrackState state) {
    switch (state) {
        case TrackState::dirty:
            return "dirty";
        case TrackState::ahead:
            return "ahead";
        case TrackState::unversioned:
            return "unversioned";
        case TrackState::unknown_track:
            return "unknown_track";
        case TrackState::pending:
            return "pending";
        case TrackState::in_progress:
            return "in_progress";
        case TrackState::up_to_date:
            return "up_to_date";
    }
    return "?";
}

ExitCode check_exit_code(TrackState state) {
    switch (state) {
        case TrackState::dirty:
            return ExitCode::check_dirty;
        case TrackState::ahead:
            return ExitCode::check_ahead;
        case TrackState::unversioned:
            return ExitCode::check_unversioned;
        case TrackState::unknown_track:
            return ExitCode::check_unknown_track;
        // A step another run is applying right now is not applied yet.
        case TrackState::pending:
        case TrackState::in_progress:
            return ExitCode::check_pending;
        case TrackState::up_to_date:
            return ExitCode::success;
    }
    return ExitCode::success;
}

StatusResult read_status(const PluginOptions& plugins, const ConnectionOptions& connection) {
    StatusResult result;
    result.loaded = load_catalog(plugins);
    const auto session = open_session(connection, Access::read_only);
    compute_status(*session, result.loaded.catalog, read_state_unlocked(*session, result.loaded.catalog), result);
    return result;
}

}  // namespace migration_host
