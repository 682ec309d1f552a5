// The refusals an upgrade makes after planning, in one place, so that `plan` predicts exactly what `upgrade` refuses.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <set>
#include <string>
#include <vector>

#include "engine/session.hpp"

namespace migration_host {

// Every track an upgrade touches or builds on: the targets (all tracks when
// none), the planned steps' tracks and the tracks they require.
std::set<std::string> tracks_involved(const Catalog& catalog, const std::vector<UpgradeTarget>& targets,
                                      const std::vector<Step>& steps);

// Throws HostError(refused) when `track` is dirty, saying how to repair it.
void refuse_if_dirty(const DatabaseState& state, const std::string& track);

// Throws HostError(refused) when the history has no id left for another row: checked before anything is written,
// so that a step or version change never goes unrecorded.
void require_history_room(const Session& session);

// Throws HostError(refused) for everything an upgrade from `state` to `targets` (planned as `steps`, already
// through plan_upgrade's own refusals) would refuse before running a step, in upgrade's order: a dirty track among
// those involved (a half-applied step must be repaired before anything runs on or after it, and "nothing to do"
// would hide it); then, when there is something to do, tables a track's first step creates that exist without a
// version, and a history with no id left for the rows. A dirty track while another run holds the lock
// (state.run_in_progress, read without the lock) is not refused: its step may simply be running.
void refuse_upgrade(const Session& session, const DatabaseState& state, const Catalog& catalog,
                    const std::vector<UpgradeTarget>& targets, const std::vector<Step>& steps);

// A warning for each applied step whose plugin changed since (validate reports them as an error).
std::vector<std::string> changed_step_warnings(const Session& session, const DatabaseState& state,
                                               const Catalog& catalog);

}  // namespace migration_host
