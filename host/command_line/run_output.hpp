// Renders a run's events: its results as text lines on stdout, its progress as log lines on stderr.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "engine/run_events.hpp"

namespace migration_host {

// The log's view of a run (stderr, through spdlog): steps as they start, the host's tables created, waits for the
// lock, warnings. While a step runs, the JSON log lines carry its track and version (set_log_step).
class RunLog final : public RunObserver {
public:
    void on_event(const RunEvent& event) override;
};

// The text result on stdout: a line per applied step as it ends (flushed at once, for a pipeline's log), the
// summary line, or why there was nothing to do.
class RunTextResult final : public RunObserver {
public:
    RunTextResult();
    void on_event(const RunEvent& event) override;
};

}  // namespace migration_host
