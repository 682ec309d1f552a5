// The history command: every recorded step attempt, oldest first.
// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>

#include "command_line/cli.hpp"
#include "command_line/output.hpp"
#include "command_line/result_json.hpp"
#include "engine/history_query.hpp"

namespace migration_host {
namespace {

using nlohmann::json;

void render_history_text(const std::vector<HistoryEntry>& entries) {
    if (entries.empty()) {
        print_line("No history recorded.");
        return;
    }
    print_line(fmt::format("{:>5}  {:<24}  {:<20} {:<9} {:<9} {:>9}  {:<28} {}", "ID", "STARTED (UTC)", "STEP",
                           "DIRECTION", "OUTCOME", "MS", "PLUGIN", "BY"));
    for (const auto& entry : entries) {
        const std::string step = entry.direction == "upgrade" || entry.direction == "downgrade"
                                     ? fmt::format("{}@{}", entry.track, entry.version)
                                     : fmt::format("{} {}->{}", entry.track, entry.from_version, entry.to_version);
        print_line(fmt::format("{:>5}  {:<24}  {:<20} {:<9} {:<9} {:>9}  {:<28} {}", entry.id, entry.started_at, step,
                               entry.direction, entry.outcome,
                               entry.duration_ms ? std::to_string(*entry.duration_ms) : std::string("-"),
                               entry.plugin_id.empty() ? "-" : entry.plugin_id + " " + entry.plugin_version,
                               entry.os_user + "@" + entry.host_name));
        if (!entry.error.empty()) print_line(fmt::format("       error: {}", entry.error));
    }
}

void render_history_json(const std::optional<std::string>& track, const std::vector<HistoryEntry>& entries) {
    json rows = json::array();
    for (const auto& entry : entries) rows.push_back(history_entry_json(entry));
    print_json({{"track", track ? json(*track) : json(nullptr)}, {"entries", rows}});
}

}  // namespace

ExitCode run_history(const Invocation& invocation) {
    std::optional<std::string> track;
    if (!invocation.arguments.empty()) {
        track = invocation.arguments.front();
        if (!is_valid_track_name(*track)) {
            throw HostError(ExitCode::usage, fmt::format("invalid track name '{}'", *track));
        }
    }
    const auto entries = read_history(track, plugin_options(invocation.global), connection_options(invocation.global));
    if (invocation.options.format == OutputFormat::json) {
        render_history_json(track, entries);
    } else {
        render_history_text(entries);
    }
    return ExitCode::success;
}

}  // namespace migration_host
