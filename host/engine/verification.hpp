// Drift: the live schema against what the applied steps leave, built on a scratch database outside the live one.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "database/schema_catalog.hpp"
#include "engine/history.hpp"
#include "engine/interrupt_cleanup.hpp"
#include "engine/schema_drift.hpp"
#include "engine/session.hpp"

namespace migration_host {

struct VerifyRequest {
    PluginOptions plugins;
    ConnectionOptions connection;
    std::optional<ConnectionTarget> scratch;  // --scratch-dsn: the empty database to build in, instead of one made
    std::uint32_t lock_timeout_seconds = 60;  // how long to wait for another verify using the same named scratch
    // Says the one line of a verify that SIGINT or SIGTERM ends, from the signal thread (InterruptCleanup).
    InterruptCleanup::LastWords interrupted;
};

// One dirty track's two outcomes together with the others': what the steps leave with each dirty track's unfinished
// step done or not, every other track at its version.
struct DirtyCandidate {
    std::vector<bool> done;              // by VerifyResult::dirty's order: whether that step's changes are in place
    std::vector<UpgradeTarget> applied;  // every track at the version this candidate puts it at (none at 0)
    std::vector<VersionRef> repairs;     // what `repair` records for it: each dirty track at from or to version
    std::string built_in;
    Schema expected;
    std::vector<SchemaDifference> differences;
};

struct VerifyResult {
    DatabaseInfo database;
    std::vector<UpgradeTarget> applied;  // every track at the version it is at (none at 0)
    bool run_in_progress = false;        // another run holds the lock: its steps may be changing the schema
    std::string built_in;                // where the expectation was built (or that nothing needed building)
    Schema expected;
    std::vector<SchemaDifference> differences;
    // The dirty tracks' unfinished steps, by track; empty when none is dirty, or another run holds the lock (its step
    // may simply be running: the tracks are then compared at their versions).
    std::vector<DirtyTrack> dirty;
    // By dirty's order: whether `upgrade` would finish that step by itself (an interrupted upgrade step it resumes,
    // see resumption in upgrade_checks.hpp), which repair does not: repair records, it runs nothing.
    std::vector<bool> resumable;
    // Every combination of those steps done and not done (2^dirty, the first none done, as `applied`, whose
    // expectation and differences are also the ones above); empty when no track is dirty.
    std::vector<DirtyCandidate> candidates;
    // The candidates the live schema matches exactly, in order: one says which `repair` each dirty track needs.
    std::vector<std::size_t> matching;
};

// At most this many dirty tracks are compared (2^N candidates, each replayed); with more, verify refuses (exit 5).
inline constexpr std::size_t max_dirty_tracks_compared = 3;

// Reads only: loads the plugins, reads the state (refusing a track whose steps no loaded plugin provides), replays
// the applied steps on a scratch of the same kind (ScratchDatabase: removed again, on SIGINT and SIGTERM too, exiting
// 130 or 143), and compares its schema with the live one. With dirty tracks (and no run holding the lock), once per
// candidate: each dirty track's unfinished step done and not done, the other tracks at their versions; candidates
// whose versions only go up from the previous one's are built on the same scratch, each other on a new one.
VerifyResult verify_schema(const VerifyRequest& request);

}  // namespace migration_host
