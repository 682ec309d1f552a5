// The status command: each track's version, the latest the plugins offer, and what needs attention.
// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "command_line/cli.hpp"
#include "command_line/output.hpp"
#include "command_line/result_json.hpp"
#include "engine/status.hpp"

namespace migration_host {
namespace {

using nlohmann::json;

void render_status_text(const StatusResult& result) {
    print_line(database_line(result.database));
    if (result.tracks.empty()) {
        print_line("No tracks: no plugins loaded and no versions recorded.");
        return;
    }
    print_line(fmt::format("{:<24} {:>8} {:>8}  {}", "TRACK", "CURRENT", "LATEST", "PENDING"));
    for (const auto& status : result.tracks) {
        std::string pending;
        if (!status.latest) {
            pending = "(no loaded plugin provides this track)";
        } else if (status.current > *status.latest) {
            pending = "(database is ahead of the loaded plugins)";
        } else if (status.unversioned) {
            pending = "(its tables exist without a version)";
        } else {
            std::vector<std::string> names;
            for (const Migration* migration : status.pending) names.push_back(migration->name);
            pending = names.empty() ? std::string("-") : fmt::format("{}", fmt::join(names, ", "));
        }
        print_line(fmt::format("{:<24} {:>8} {:>8}  {}", status.track, status.current,
                               status.latest ? std::to_string(*status.latest) : std::string("?"), pending));
        if (status.unversioned && status.state == TrackState::unversioned) {
            print_line(fmt::format("  UNVERSIONED: {}", status.unversioned->describe()));
            print_line(fmt::format("  {}; upgrade refuses until then", status.unversioned->advice()));
        }
        if (!status.unfinished) continue;
        if (result.run_in_progress) {
            print_line(fmt::format("  IN PROGRESS (another migration-host holds the run lock): {}",
                                   status.unfinished->describe()));
        } else {
            const HistoryEntry& attempt = status.unfinished->attempt;
            print_line(fmt::format("  DIRTY: {}", status.unfinished->describe()));
            print_line(
                fmt::format("  fix the schema by hand, then 'migration-host repair {}@{}' (step applied) or "
                            "'repair {}@{}' (not applied)",
                            status.track, attempt.to_version, status.track, attempt.from_version));
        }
    }
}

void render_status_json(const StatusResult& result) {
    json tracks = json::array();
    for (const auto& status : result.tracks) {
        json pending = json::array();
        for (const Migration* migration : status.pending) {
            pending.push_back({{"version", migration->ref.version}, {"name", migration->name}});
        }
        json unversioned_tables = json::array();
        if (status.unversioned) {
            for (const auto& table : status.unversioned->tables) unversioned_tables.push_back(table);
        }
        json unfinished = nullptr;
        if (status.unfinished) {
            unfinished = history_entry_json(status.unfinished->attempt);
            unfinished["description"] = status.unfinished->describe();
        }
        tracks.push_back({{"track", status.track},
                          {"current", status.current},
                          {"latest", status.latest ? json(*status.latest) : json(nullptr)},
                          {"state", state_name(status.state)},
                          {"pending", pending},
                          {"unversioned_tables", unversioned_tables},
                          {"unfinished_step", unfinished}});
    }
    print_json({{"database", database_json(result.database)},
                {"state", state_name(result.state)},
                {"needs_attention", result.state != TrackState::up_to_date},
                {"check_exit_code", static_cast<int>(check_exit_code(result.state))},
                {"run_in_progress", result.run_in_progress},
                {"tracks", tracks}});
}

}  // namespace

ExitCode run_status(const Invocation& invocation) {
    const StatusResult result = read_status(plugin_options(invocation.global), connection_options(invocation.global));
    if (invocation.options.format == OutputFormat::json) {
        render_status_json(result);
    } else {
        render_status_text(result);
    }
    return invocation.options.check ? check_exit_code(result.state) : ExitCode::success;
}

}  // namespace migration_host
