// Carries out the read-only CLI commands (plugins, status, plan, history, validate) and dispatches the rest.
// SPDX-License-Identifier: Apache-2.0
#include "command_line/commands.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>
#include <limits>
#include <set>

#include "command_line/config.hpp"
#include "engine/offline.hpp"
#include "database/redact.hpp"
#include "command_line/session.hpp"
#include "command_line/terminal_text.hpp"

namespace migration_host {
namespace {

// The most lines validate prints for one track's steps that no loaded plugin provides; a stored version can be
// as large as a BIGINT, so the rest is summed up in one line.
constexpr std::int64_t max_unprovided_lines = 10;

// What the history says about an applied step that no loaded plugin provides: who applied it, or how it came to be
// recorded.
std::string unprovided_origin(const std::vector<HistoryEntry>& history, const std::string& track,
                              std::int64_t version) {
    if (const HistoryEntry* applied = HistoryStore::applied_by(history, track, version)) {
        return fmt::format("applied by plugin {} {} ({}) at {} by {}@{}",
                           applied->plugin_id.empty() ? "?" : applied->plugin_id, applied->plugin_version,
                           applied->library_path.empty() ? "library unknown" : applied->library_path,
                           applied->started_at, applied->os_user, applied->host_name);
    }
    for (auto it = history.rbegin(); it != history.rend(); ++it) {
        const bool records = it->direction == "stamp" || it->direction == "repair";
        if (it->track == track && records && it->outcome == "succeeded" && it->from_version < version &&
            version <= it->to_version) {
            return fmt::format("recorded by {} at {} by {}@{} without running a step", it->direction, it->started_at,
                               it->os_user, it->host_name);
        }
    }
    return "applied with no history row (before this host, or by another tool)";
}

}  // namespace

ExitCode list_plugins(const Invocation& invocation) {
    const auto dirs = resolve_plugin_dirs(invocation.global.plugin_paths);
    const Discovery discovery = discover_plugins(
        dirs, invocation.global.allow_insecure_plugins ? InsecurePlugins::warn : InsecurePlugins::refuse);
    for (const auto& plugin : discovery.plugins) {
        print_line(fmt::format("{} {} - {}", plugin->id(), plugin->version(), plugin->name()));
        print_line(fmt::format("  library: {}", plugin->path().string()));
        print_line(fmt::format("  ABI: {}.{}", plugin->abi_major(), plugin->abi_minor()));
        if (!plugin->description().empty()) print_line(fmt::format("  description: {}", plugin->description()));
        for (const auto& migration : plugin->migrations()) {
            std::string requirements;
            for (const auto& requirement : migration.requirements) {
                requirements += (requirements.empty() ? " requires " : ", ") + requirement.to_string();
            }
            print_line(fmt::format("  {} {}{}{}", migration.ref.to_string(), migration.name, requirements,
                                   migration.irreversible ? " (irreversible)" : ""));
        }
    }
    if (discovery.plugins.empty()) {
        std::string where;
        for (const auto& dir : dirs) where += (where.empty() ? "" : ", ") + dir.string();
        print_line(fmt::format("No plugins found in {}", where));
    }
    for (const auto& problem : discovery.problems) {
        print_line(fmt::format("unusable: {}: {}", problem.path.string(), problem.reason));
    }
    if (!discovery.problems.empty() && !invocation.global.skip_broken_plugins) {
        throw HostError(ExitCode::plugin_error, fmt::format("{} unusable plugin librar{} (listed above)",
                                                            discovery.problems.size(),
                                                            discovery.problems.size() == 1 ? "y" : "ies"));
    }
    // The catalog checks (gaps, duplicates, cycles) apply to the listing too.
    Catalog::build(discovery.plugins, dirs);
    return ExitCode::success;
}

ExitCode show_status(const Invocation& invocation) {
    const LoadedCatalog loaded = load_catalog(invocation.global);
    const auto session = open_session(invocation.global);
    const DatabaseState state = read_state_unlocked(*session, loaded.catalog);

    std::set<std::string> tracks;
    for (const auto& [track, migrations] : loaded.catalog.tracks()) tracks.insert(track);
    for (const auto& [track, version] : state.versions) tracks.insert(track);

    print_line(fmt::format("Database: {} {} (dialect {})", session->database.dbms_name, session->database.dbms_version,
                           session->database.dialect));
    if (tracks.empty()) {
        print_line("No tracks: no plugins loaded and no versions recorded.");
        return ExitCode::success;
    }
    print_line(fmt::format("{:<24} {:>8} {:>8}  {}", "TRACK", "CURRENT", "LATEST", "PENDING"));
    for (const auto& track : tracks) {
        const auto at = version_of(state.versions, track);
        const auto latest = loaded.catalog.latest(track);
        std::string pending;
        if (!loaded.catalog.tracks().count(track)) {
            pending = "(no loaded plugin provides this track)";
        } else if (at > latest) {
            pending = "(database is ahead of the loaded plugins)";
        } else {
            std::vector<std::string> names;
            for (auto version = at + 1; version <= latest; ++version) {
                if (const Migration* migration = loaded.catalog.find({track, version}))
                    names.push_back(migration->name);
            }
            pending = names.empty() ? std::string("-") : fmt::format("{}", fmt::join(names, ", "));
        }
        print_line(fmt::format("{:<24} {:>8} {:>8}  {}", track, at,
                               loaded.catalog.tracks().count(track) ? std::to_string(latest) : std::string("?"),
                               pending));
        if (const auto dirty = state.dirty.find(track); dirty != state.dirty.end() && state.run_in_progress) {
            print_line(
                fmt::format("  IN PROGRESS (another migration-host holds the run lock): {}", dirty->second.describe()));
        } else if (dirty != state.dirty.end()) {
            print_line(fmt::format("  DIRTY: {}", dirty->second.describe()));
            print_line(
                fmt::format("  fix the schema by hand, then 'migration-host repair {}@{}' (step applied) or "
                            "'repair {}@{}' (not applied)",
                            track, dirty->second.attempt.to_version, track, dirty->second.attempt.from_version));
        }
    }
    return ExitCode::success;
}

ExitCode show_plan(const Invocation& invocation) {
    const auto targets = parse_upgrade_targets(invocation.arguments);
    const LoadedCatalog loaded = load_catalog(invocation.global);
    const auto session = open_session(invocation.global);
    const DatabaseState state = read_state_unlocked(*session, loaded.catalog);
    const std::vector<Step> steps = plan_upgrade(loaded.catalog, state.versions, targets);
    if (state.run_in_progress) {
        print_line("note: another migration-host is running against this database; this plan may be out of date");
    }
    if (steps.empty()) {
        print_line("Nothing to do: already up to date.");
        return ExitCode::success;
    }
    std::size_t number = 0;
    for (const auto& step : steps) {
        const Migration& migration = *step.migration;
        std::string requirements;
        for (const auto& requirement : migration.requirements) {
            requirements += (requirements.empty() ? ", requires " : ", ") + requirement.to_string();
        }
        print_line(fmt::format("{}. {} {} -> {}: {} ({} {}{})", ++number, migration.ref.track, step.from_version(),
                               step.to_version(), migration.name, migration.plugin->id(), migration.plugin->version(),
                               requirements));
    }
    for (const auto& [track, dirty] : state.dirty) {
        if (state.run_in_progress) continue;
        print_line(
            fmt::format("note: track {} is dirty, upgrade will refuse until repair: {}", track, dirty.describe()));
    }
    return ExitCode::success;
}

ExitCode show_history(const Invocation& invocation) {
    std::optional<std::string> track;
    if (!invocation.arguments.empty()) {
        track = invocation.arguments.front();
        if (!is_valid_track_name(*track)) {
            throw HostError(ExitCode::usage, fmt::format("invalid track name '{}'", *track));
        }
    }
    const auto session = open_session(invocation.global);
    const auto entries = session->history().entries(track);
    if (entries.empty()) {
        print_line("No history recorded.");
        return ExitCode::success;
    }
    print_line(fmt::format("{:>5}  {:<24}  {:<20} {:<9} {:<9} {:>9}  {:<28} {}", "ID", "STARTED (UTC)", "STEP",
                           "DIRECTION", "OUTCOME", "MS", "PLUGIN", "BY"));
    for (const auto& entry : entries) {
        const std::string step =
            entry.direction == "upgrade" || entry.direction == "downgrade"
                ? fmt::format("{}@{}", entry.track, entry.version)
                : fmt::format("{} {}->{}", entry.track, entry.from_version, entry.to_version);
        print_line(fmt::format("{:>5}  {:<24}  {:<20} {:<9} {:<9} {:>9}  {:<28} {}", entry.id, entry.started_at, step,
                               entry.direction, entry.outcome,
                               entry.duration_ms ? std::to_string(*entry.duration_ms) : std::string("-"),
                               entry.plugin_id.empty() ? "-" : entry.plugin_id + " " + entry.plugin_version,
                               entry.os_user + "@" + entry.host_name));
        if (!entry.error.empty()) print_line(fmt::format("       error: {}", entry.error));
    }
    return ExitCode::success;
}

ExitCode validate(const Invocation& invocation) {
    const LoadedCatalog loaded = load_catalog(invocation.global);
    const auto session = open_session(invocation.global);
    const DatabaseState state = read_state(*session, loaded.catalog);
    std::vector<std::string> changed;
    std::size_t verified = 0;
    for (const auto& [track, migrations] : loaded.catalog.tracks()) {
        const auto applied = std::min(version_of(state.versions, track), loaded.catalog.latest(track));
        for (std::int64_t version = 1; version <= applied; ++version) {
            const Migration& migration = *loaded.catalog.find({track, version});
            const auto recorded = HistoryStore::applied_checksum(state.history, track, version);
            if (!recorded) {
                print_line(
                    fmt::format("{}: no checksum recorded (applied before this host, or stamped)", migration.label()));
                continue;
            }
            const std::string now = step_checksum(migration, session->database);
            if (now.empty()) {
                print_line(
                    fmt::format("{}: cannot compute a checksum offline; plugin should declare one", migration.label()));
                continue;
            }
            if (checksum_matches(*recorded, now, migration, session->database)) {
                ++verified;
                print_line(fmt::format("{}: ok ({})", migration.label(), now));
            } else {
                changed.push_back(migration.label());
                print_line(fmt::format("{}: CHANGED: applied as {}, the loaded plugin now gives {}", migration.label(),
                                       *recorded, now));
            }
        }
    }
    // Applied steps beyond what the loaded plugins provide cannot be verified: say so, and who applied them.
    std::uint64_t unprovided = 0;
    std::vector<std::string> unprovided_labels;
    for (const auto& [track, at] : state.versions) {
        const auto latest = loaded.catalog.latest(track);
        if (at <= latest) continue;
        const auto count = static_cast<std::uint64_t>(at - latest);
        unprovided = count > std::numeric_limits<std::uint64_t>::max() - unprovided
                         ? std::numeric_limits<std::uint64_t>::max()
                         : unprovided + count;
        const auto listed_up_to = at - latest > max_unprovided_lines ? latest + max_unprovided_lines : at;
        for (auto version = latest + 1; version <= listed_up_to; ++version) {
            const std::string label = VersionRef{track, version}.to_string();
            unprovided_labels.push_back(label);
            print_line(fmt::format("{}: {}, but no loaded plugin provides it", label,
                                   unprovided_origin(state.history, track, version)));
        }
        if (listed_up_to < at) {
            const std::string range = fmt::format("{} to {}", VersionRef{track, listed_up_to + 1}.to_string(),
                                                  VersionRef{track, at}.to_string());
            unprovided_labels.push_back(range);
            print_line(
                fmt::format("{}: {} more applied steps that no loaded plugin provides", range, at - listed_up_to));
        }
    }
    std::vector<std::string> problems;
    if (!changed.empty()) {
        problems.push_back(fmt::format("{} applied step{} changed since applied: {}", changed.size(),
                                       changed.size() == 1 ? "" : "s", fmt::join(changed, ", ")));
    }
    if (unprovided > 0) {
        problems.push_back(fmt::format("{} applied step{} that no loaded plugin provides: {}", unprovided,
                                       unprovided == 1 ? "" : "s", fmt::join(unprovided_labels, ", ")));
    }
    if (!problems.empty()) throw HostError(ExitCode::refused, fmt::format("{}", fmt::join(problems, "; ")));
    print_line(fmt::format("{} applied step{} verified.", verified, verified == 1 ? "" : "s"));
    return ExitCode::success;
}

ExitCode run_command(const Invocation& invocation) {
    if (invocation.command == "plugins") return list_plugins(invocation);
    if (invocation.command == "status") return show_status(invocation);
    if (invocation.command == "plan") return show_plan(invocation);
    if (invocation.command == "history") return show_history(invocation);
    if (invocation.command == "validate") return validate(invocation);
    if (invocation.command == "sql") return print_sql(invocation);
    if (invocation.command == "inspect") return inspect_schema(invocation);
    if (invocation.command == "verify") return verify_schema(invocation);
    if (invocation.command == "upgrade") return upgrade(invocation);
    if (invocation.command == "downgrade") return downgrade(invocation);
    if (invocation.command == "stamp") return stamp(invocation);
    if (invocation.command == "repair") return repair(invocation);
    throw HostError(ExitCode::usage, "unknown command '" + invocation.command + "'");
}

}  // namespace migration_host
