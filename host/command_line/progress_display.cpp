// Shows a running step's progress reports: a bar redrawn in place on a terminal, a plain log line every 5 s elsewhere.
// SPDX-License-Identifier: Apache-2.0
#include "command_line/progress_display.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string_view>
#include <type_traits>

#include "command_line/status_line.hpp"
#include "command_line/terminal_text.hpp"

namespace migration_host {
namespace {

std::string step_name(const StepDescription& step) {
    return fmt::format("{}@{}{}", step.track, step.version, step.direction == Direction::downgrade ? " downgrade" : "");
}

// Whole percent, rounded down (99% until all is done); a `done` past `total` shows as given.
std::uint64_t percent(std::uint64_t done, std::uint64_t total) {
    return static_cast<std::uint64_t>(static_cast<long double>(done) * 100.0L / static_cast<long double>(total));
}

// Columns a text takes, as one per code point (the bar's own text is ASCII; plugin text is escaped).
std::size_t columns_of(std::string_view text) {
    return static_cast<std::size_t>(
        std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xc0) != 0x80; }));
}

// The first `columns` code points of `text`.
std::string cut_to(std::string text, std::size_t columns) {
    std::size_t seen = 0;
    for (std::size_t at = 0; at < text.size(); ++at) {
        if ((static_cast<unsigned char>(text[at]) & 0xc0) == 0x80) continue;
        if (seen++ == columns) {
            text.resize(at);
            break;
        }
    }
    return text;
}

std::size_t stderr_columns() {
    winsize size{};
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
    return 80;
}

}  // namespace

ProgressDisplay::Style ProgressDisplay::style_for_stderr() {
    const char* term = std::getenv("TERM");
    const char* no_color = std::getenv("NO_COLOR");
    const bool terminal =
        isatty(STDERR_FILENO) == 1 && term != nullptr && *term != '\0' && std::string_view(term) != "dumb";
    return terminal && (no_color == nullptr || *no_color == '\0') ? Style::bar : Style::log_lines;
}

std::string ProgressDisplay::log_line(const run_event::StepProgress& progress) {
    if (progress.total == 0) return fmt::format("{}: {} {}", step_name(progress.step), progress.done, progress.unit);
    return fmt::format("{}: {} of {} {} ({}%)", step_name(progress.step), progress.done, progress.total, progress.unit,
                       percent(progress.done, progress.total));
}

std::string ProgressDisplay::bar_line(const run_event::StepProgress& progress, std::size_t columns) {
    const std::string name = escape_nonprintable(step_name(progress.step));
    const std::string unit = escape_nonprintable(progress.unit);
    const std::size_t room = columns > 1 ? columns - 1 : 0;  // the last column would wrap on some terminals
    if (progress.total == 0) return cut_to(fmt::format("{} {} {}", name, progress.done, unit), room);
    const std::uint64_t shown_percent = percent(progress.done, progress.total);
    const std::string figures = fmt::format("{:>3}% {}/{} {}", shown_percent, progress.done, progress.total, unit);
    constexpr std::size_t widest_bar = 40, narrowest_bar = 10;
    const std::size_t around = columns_of(name) + columns_of(figures) + 4;  // " [", "] "
    if (room < around + narrowest_bar) return cut_to(name + " " + figures, room);
    const std::size_t width = std::min(widest_bar, room - around);
    const auto filled = static_cast<std::size_t>(std::min<std::uint64_t>(shown_percent, 100) * width / 100);
    return fmt::format("{} [{}{}] {}", name, std::string(filled, '#'), std::string(width - filled, '.'), figures);
}

void ProgressDisplay::on_event(const RunEvent& event) {
    std::visit(
        [&](const auto& what) {
            using Event = std::decay_t<decltype(what)>;
            if constexpr (std::is_same_v<Event, run_event::StepStarted>) {
                step_started_ = event.at;
                last_logged_.reset();
            } else if constexpr (std::is_same_v<Event, run_event::StepProgress>) {
                if (style_ == Style::bar) {
                    status_line::show(bar_line(what, stderr_columns()));
                    return;
                }
                if (event.at - step_started_ < log_interval) return;
                if (last_logged_ && event.at - *last_logged_ < log_interval) return;
                last_logged_ = event.at;
                spdlog::info("{}", log_line(what));
            } else if constexpr (std::is_same_v<Event, run_event::StepFinished> ||
                                 std::is_same_v<Event, run_event::StepFailed> ||
                                 std::is_same_v<Event, run_event::Failed>) {
                status_line::clear();
            }
        },
        event.what);
}

}  // namespace migration_host
