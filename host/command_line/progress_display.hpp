// Shows a running step's progress reports: a bar redrawn in place on a terminal, a plain log line every 5 s elsewhere.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

#include "engine/run_events.hpp"

namespace migration_host {

// Renders run_event::StepProgress on stderr. As a bar (on a terminal): "cinder@4 [#########....]  24% 12000/50000
// rows", drawn at each report (the host API passes one every 200 ms at most) through status_line, and cleared at the
// step's end and before any other line. As log lines (anywhere else): "cinder@4: 12000 of 50000 rows (24%)" at level
// info, the first with the first report 5 s or more into the step, then at most every 5 s; no escape sequence, no
// carriage return. A step that ends within 5 s shows nothing there, as it shows no "still running" line.
class ProgressDisplay final : public RunObserver {
public:
    enum class Style { bar, log_lines };
    static constexpr std::chrono::seconds log_interval{5};

    explicit ProgressDisplay(Style style) : style_(style) {}
    // bar when stderr is a terminal, TERM is set and is not "dumb", and NO_COLOR is unset or empty
    // (https://no-color.org: the user wants no escape sequences); log_lines otherwise.
    static Style style_for_stderr();

    void on_event(const RunEvent& event) override;

    // "cinder@4: 12000 of 50000 rows (24%)", or "cinder@4: 12000 rows" when the total is unknown; " downgrade"
    // follows the version for a downgrade.
    static std::string log_line(const run_event::StepProgress& progress);
    // The bar's line for a terminal `columns` wide: shorter than that, the bar itself dropped when too narrow for it,
    // the text cut at the end when even that is too long.
    static std::string bar_line(const run_event::StepProgress& progress, std::size_t columns);

private:
    Style style_;
    std::chrono::steady_clock::time_point step_started_{};
    std::optional<std::chrono::steady_clock::time_point> last_logged_;
};

}  // namespace migration_host
