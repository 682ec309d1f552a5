// A fleet run's stderr while it runs: every database's log lines relayed under its name, and a live status line.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace migration_host {

// One line of database `name`'s log as the fleet relays it: "[name] line", redacted and every control character
// made visible. A line that starts with '{' is a JSON log line (--log-format json), which names its target itself
// and is already escaped: it passes unchanged, so that the relayed stream stays one JSON document per line.
std::string relayed_log_line(std::string_view name, std::string_view line);

// Whether stderr gets a live status line: it is a terminal, TERM is set and not "dumb", and NO_COLOR is not set
// (no-color.org: then no escape sequence at all).
bool live_status_wanted();

// Writes to stderr as the children run. With `live`, the last line of the terminal is a status line
// "done/total, running: name, name" that each write erases first and draws again after.
class FleetConsole {
public:
    FleetConsole(std::vector<std::string> names, bool live, std::FILE* stream = stderr);
    FleetConsole(const FleetConsole&) = delete;
    FleetConsole& operator=(const FleetConsole&) = delete;
    // Erases the status line.
    ~FleetConsole();

    void started(std::size_t index);
    void log_line(std::size_t index, std::string_view line);
    // Database `index` has ended; `report` is its one progress line.
    void finished(std::size_t index, const std::string& report);
    // Erases the status line for good (the summary follows).
    void close();

private:
    void write(const std::string& text);
    std::string status_line() const;

    std::vector<std::string> names_;
    std::vector<std::size_t> running_;  // in the order they started
    std::size_t done_ = 0;
    bool live_ = false;
    bool drawn_ = false;
    std::FILE* stream_;
};

}  // namespace migration_host
