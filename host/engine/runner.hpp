// Carries out the commands that change the database (upgrade, downgrade, stamp, repair): the whole run, as events.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <vector>

#include "engine/run_events.hpp"
#include "engine/session.hpp"
#include "plugins/version_ref.hpp"

namespace migration_host {

// What a writing command asks for, checked as far as it can be before anything is loaded or connected.
struct RunRequest {
    enum class Kind { upgrade, downgrade, stamp, repair };
    Kind kind = Kind::upgrade;
    std::vector<UpgradeTarget> upgrade_targets;  // upgrade: every track to its latest when empty
    DowngradeTarget downgrade_target;            // downgrade: TRACK@VERSION or TRACK@-N
    VersionRef target;                           // stamp, repair: TRACK@VERSION
    PluginOptions plugins;
    ConnectionOptions connection;
    std::chrono::seconds lock_timeout{60};
};

// The command a request is: "upgrade", "downgrade", "stamp" or "repair" (the events' and the JSON document's name).
const char* command_name(RunRequest::Kind kind);

// The run: loads the plugins, connects, plans before the lock (so that an unknown track fails at once), takes the
// run lock, reads the state again and plans from it (a relative target counting from the version read then), refuses
// what the state forbids, then runs each step in its transaction (where DDL is transactional) with its version update
// and history row, and records the per-track summaries. Reports everything it does to `reporter`, a failure included
// (run_event::Failed), then throws HostError (or odbc::Error) for the top level to turn into the exit code.
void run_writing_command(const RunRequest& request, const RunReporter& reporter);

}  // namespace migration_host
