// A fleet run's stderr while it runs: every database's log lines relayed under its name, and a live status line.
// SPDX-License-Identifier: Apache-2.0
#include "command_line/fleet_console.hpp"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "command_line/terminal_text.hpp"
#include "database/redact.hpp"

namespace migration_host {
namespace {

// Back to the start of the line and clear it.
constexpr const char* erase_line = "\r\x1b[K";

// The terminal's width, so that the status line never wraps (a wrapped line is not erased by erase_line).
std::size_t terminal_columns(std::FILE* stream) {
    winsize size{};
    if (::ioctl(::fileno(stream), TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
    return 80;
}

}  // namespace

std::string relayed_log_line(std::string_view name, std::string_view line) {
    if (!line.empty() && line.front() == '{') return std::string(line) + "\n";
    return fmt::format("[{}] {}\n", name, escape_nonprintable(redact_secrets(line)));
}

bool live_status_wanted() {
    if (::isatty(STDERR_FILENO) != 1) return false;
    const char* no_color = std::getenv("NO_COLOR");
    if (no_color != nullptr && *no_color != '\0') return false;
    const char* term = std::getenv("TERM");
    return term != nullptr && *term != '\0' && std::strcmp(term, "dumb") != 0;
}

FleetConsole::FleetConsole(std::vector<std::string> names, bool live, std::FILE* stream)
    : names_(std::move(names)), live_(live), stream_(stream) {}

FleetConsole::~FleetConsole() {
    close();
}

void FleetConsole::started(std::size_t index) {
    running_.push_back(index);
    write("");
}

void FleetConsole::log_line(std::size_t index, std::string_view line) {
    write(relayed_log_line(names_.at(index), line));
}

void FleetConsole::finished(std::size_t index, const std::string& report) {
    running_.erase(std::remove(running_.begin(), running_.end(), index), running_.end());
    ++done_;
    write(report);
}

void FleetConsole::close() {
    if (drawn_) {
        std::fputs(erase_line, stream_);
        std::fflush(stream_);
        drawn_ = false;
    }
    live_ = false;
}

std::string FleetConsole::status_line() const {
    std::string running;
    for (const auto index : running_) running += (running.empty() ? "" : ", ") + names_[index];
    const auto text = running.empty() ? fmt::format("{}/{} done", done_, names_.size())
                                      : fmt::format("{}/{}, running: {}", done_, names_.size(), running);
    // One column short of the width: a line that fills it leaves some terminals' cursor on the next line.
    return cut_to_width(text, std::max<std::size_t>(terminal_columns(stream_), 2) - 1);
}

void FleetConsole::write(const std::string& text) {
    std::string out;
    if (drawn_) out += erase_line;
    out += text;
    if (live_) out += status_line();
    drawn_ = live_;
    std::fwrite(out.data(), 1, out.size(), stream_);
    std::fflush(stream_);
}

}  // namespace migration_host
