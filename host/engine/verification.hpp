// Drift: the live schema against what the applied steps leave, built on a scratch database outside the live one.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "database/schema_catalog.hpp"
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

struct VerifyResult {
    DatabaseInfo database;
    std::vector<UpgradeTarget> applied;  // every track at the version it is at (none at 0)
    bool run_in_progress = false;        // another run holds the lock: its steps may be changing the schema
    std::string built_in;                // where the expectation was built (or that nothing needed building)
    Schema expected;
    std::vector<SchemaDifference> differences;
};

// Reads only: loads the plugins, reads the state (refusing a dirty track, or a track whose steps no loaded plugin
// provides), replays the applied steps on a scratch of the same kind (ScratchDatabase: removed again, on SIGINT and
// SIGTERM too, exiting 130 or 143), and compares its schema with the live one.
VerifyResult verify_schema(const VerifyRequest& request);

}  // namespace migration_host
