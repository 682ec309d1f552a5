// Renders a run of upgrade, downgrade, stamp or repair as one JSON document on stdout (--format json).
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <string>

#include "engine/run_events.hpp"

namespace migration_host {

// Collects a run's events and prints, once the run has ended, one document (docs/schemas/run.schema.json): the
// database, the outcome, every step applied or failed, the lock, the host's tables created, the warnings, the
// duration and, for a failed run, its exit code and error, the same as the error line on stderr says.
class RunJsonResult final : public RunObserver {
public:
    // `command`: "upgrade", "downgrade", "stamp" or "repair", which the document names even when the run fails
    // before it starts.
    explicit RunJsonResult(const std::string& command);
    void on_event(const RunEvent& event) override;
    // Prints the document: after the run returned, or after it failed (a Failed event was reported).
    void print() const;

private:
    std::chrono::steady_clock::time_point started_;
    std::chrono::steady_clock::time_point ended_;
    nlohmann::json document_;
    std::optional<nlohmann::json> resumed_;  // the next step's resumption, reported before it starts
};

}  // namespace migration_host
