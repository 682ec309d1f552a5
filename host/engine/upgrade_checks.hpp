// The refusals an upgrade makes after planning, in one place, so that `plan` predicts exactly what `upgrade` refuses.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/session.hpp"
#include "engine/step_journal.hpp"

namespace migration_host {

// Every track an upgrade touches or builds on: the targets (all tracks when
// none), the planned steps' tracks and the tracks they require.
std::set<std::string> tracks_involved(const Catalog& catalog, const std::vector<UpgradeTarget>& targets,
                                      const std::vector<Step>& steps);

// Throws HostError(refused) when `track` is dirty, saying how to repair it.
void refuse_if_dirty(const DatabaseState& state, const std::string& track);

// How `upgrade` finishes a dirty track's interrupted upgrade step (MySQL/MariaDB) without `repair`.
struct Resumption {
    enum class Kind {
        after_statements,  // the step renders deterministically and its attempt kept a journal: skip what it did
        from_start,        // the step is restartable (MH_MIGRATION_RESTARTABLE): run it again whole
    };
    Kind kind = Kind::from_start;
    std::size_t statements = 0;  // after_statements: the step's statements as rendered
    JournalResume journal;       // after_statements: where it resumes
};

// How the dirty track's interrupted attempt `dirty` is finished by an upgrade from `state`, or nullopt when it
// needs repair: a failed attempt (the step's own error, which running it again meets again), a downgrade, a track
// not at the attempt's from_version, a step no loaded plugin provides, or one neither journalled and rendered
// unchanged (same checksum, the same statements in two renders) nor restartable.
std::optional<Resumption> resumption(const Session& session, const DatabaseState& state, const Catalog& catalog,
                                     const DirtyTrack& dirty);

// The dirty tracks that the upgrade planned as `steps` finishes (its first step on the track is the interrupted one,
// and resumption() says how), by track.
std::map<std::string, Resumption> resumptions(const Session& session, const DatabaseState& state,
                                              const Catalog& catalog, const std::vector<Step>& steps);

// A track that starts from nothing (no migrate_version row) on a database that already has tables its first step
// creates: made by hand or by another tool. Running the step would fail halfway; the operator stamps the track.
struct UnversionedTrack {
    const Migration* first = nullptr;  // the track's first step, which creates the tables
    std::vector<std::string> tables;   // those of its tables that exist, in the step's order

    // "the database already has tables that cinder@1 (001_cinder_init) creates (volumes) but no version for track
    // cinder"
    std::string describe() const;
    // What to do: "if this schema is already at cinder@N, record that with 'migration-host stamp cinder@N'"
    std::string advice() const;
};

// Which of `tracks` are unversioned, by track: the one verdict that status (its own state), plan and upgrade (which
// refuse) share. A track with a version row, or whose first step cannot be rendered offline to learn its tables, is
// not.
std::map<std::string, UnversionedTrack> unversioned_tracks(const Session& session, const DatabaseState& state,
                                                           const Catalog& catalog, const std::set<std::string>& tracks);

// Throws HostError(refused) when the history has no id left for another row: checked before anything is written,
// so that a step or version change never goes unrecorded.
void require_history_room(const Session& session);

// Throws HostError(refused) for everything an upgrade from `state` to `targets` (planned as `steps`, already
// through plan_upgrade's own refusals) would refuse before running a step, in upgrade's order: a dirty track among
// those involved that the upgrade does not resume (see resumptions; a half-applied step must be repaired before
// anything runs on or after it, and "nothing to do" would hide it); then, when there is something to do, tables a track's first step creates that exist without a
// version, and a history with no id left for the rows. A dirty track while another run holds the lock
// (state.run_in_progress, read without the lock) is not refused: its step may simply be running.
void refuse_upgrade(const Session& session, const DatabaseState& state, const Catalog& catalog,
                    const std::vector<UpgradeTarget>& targets, const std::vector<Step>& steps);

// A warning for each applied step whose plugin changed since (validate reports them as an error).
std::vector<std::string> changed_step_warnings(const Session& session, const DatabaseState& state,
                                               const Catalog& catalog);

}  // namespace migration_host
