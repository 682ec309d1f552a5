// The one line at the foot of a terminal's stderr that is redrawn in place (a step's progress bar), cleared first.
// SPDX-License-Identifier: Apache-2.0
#include "command_line/status_line.hpp"

#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>

namespace migration_host::status_line {
namespace {

// Carriage return, then ECMA-48 EL (erase in line, to its end): understood by every terminal TERM names but "dumb".
constexpr std::string_view erase_line = "\r\x1b[K";

// The watch thread logs too (StepStillRunning, through the sink that clears): one writer at a time.
std::mutex& line_mutex() {
    static std::mutex mutex;
    return mutex;
}
std::atomic<bool> shown{false};
std::string& drawn() {  // the line shown, while `shown`
    static std::string text;
    return text;
}

}  // namespace

void show(std::string_view text) {
    const std::lock_guard lock(line_mutex());
    // The same line again (a step reporting the same count) is not redrawn: over a slow link every byte shows.
    if (shown.load(std::memory_order_relaxed) && drawn() == text) return;
    drawn() = text;
    std::fflush(stdout);  // what the command printed comes before the line, not after it
    std::fwrite(erase_line.data(), 1, erase_line.size(), stderr);
    std::fwrite(text.data(), 1, text.size(), stderr);
    std::fflush(stderr);
    shown.store(true, std::memory_order_release);
}

void clear() {
    if (!shown.load(std::memory_order_acquire)) return;
    const std::lock_guard lock(line_mutex());
    if (!shown.load(std::memory_order_relaxed)) return;
    std::fwrite(erase_line.data(), 1, erase_line.size(), stderr);
    std::fflush(stderr);
    shown.store(false, std::memory_order_release);
}

}  // namespace migration_host::status_line
