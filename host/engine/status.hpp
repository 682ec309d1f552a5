// What each track needs (status): its version, the latest the plugins offer, what is pending, dirty or running.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/session.hpp"
#include "engine/upgrade_checks.hpp"
#include "exit_codes.hpp"

namespace migration_host {

// What a track needs, most severe first; a track with several (dirty and pending) shows the first.
enum class TrackState { dirty, ahead, unversioned, unknown_track, pending, in_progress, up_to_date };

// "dirty", "ahead", "unversioned", "unknown_track", "pending", "in_progress", "up_to_date".
const char* state_name(TrackState state);

// status --check: the exit code for the most severe state of any track (docs/output-formats.md: "status --check").
ExitCode check_exit_code(TrackState state);

struct TrackStatus {
    std::string track;
    std::int64_t current = 0;
    std::optional<std::int64_t> latest;  // none: no loaded plugin provides the track
    std::vector<const Migration*> pending;
    std::optional<DirtyTrack> unfinished;  // dirty, or running under another run's lock
    // Tables its first step creates exist, but it has no version: upgrade refuses, as plan says (upgrade_checks).
    std::optional<UnversionedTrack> unversioned;
    TrackState state = TrackState::up_to_date;
};

struct StatusResult {
    LoadedCatalog loaded;  // keeps the plugins that `pending` points into
    DatabaseInfo database;
    bool run_in_progress = false;
    std::vector<TrackStatus> tracks;
    TrackState state = TrackState::up_to_date;  // the most severe of the tracks'
};

// Loads the plugins, reads the database without the lock and without creating anything, and compares.
StatusResult read_status(const PluginOptions& plugins, const ConnectionOptions& connection);

}  // namespace migration_host
