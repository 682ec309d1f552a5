// Passes a running step's progress reports on to the run's observers, as run_event::StepProgress.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <spdlog/spdlog.h>

#include <cstdint>
#include <exception>
#include <string>
#include <string_view>

#include "engine/run_events.hpp"
#include "plugins/host_api.hpp"

namespace migration_host {

// The sink of one step's progress reports (StepExecutor::set_progress_sink), for the length of the step.
class StepProgressReporter final : public ProgressSink {
public:
    StepProgressReporter(const StepDescription& step, const RunReporter& reporter) : step_(step), reporter_(reporter) {}

    void report(std::uint64_t done, std::uint64_t total, std::string_view unit) noexcept override {
        // The host API already passes at most one report every progress_interval: the copies here are rare.
        try {
            reporter_.report(run_event::StepProgress{step_, done, total, std::string(unit)});
        } catch (const std::exception& error) {
            // An observer that fails to show progress must not fail the step, nor unwind through the plugin.
            spdlog::debug("progress of {} not shown: {}", step_.label, error.what());
        } catch (...) {
            spdlog::debug("progress of {} not shown", step_.label);
        }
    }

private:
    const StepDescription& step_;
    const RunReporter& reporter_;
};

}  // namespace migration_host
