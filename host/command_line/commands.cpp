// Carries out the read-only CLI commands (plugins, status, plan, history, validate) and dispatches the rest.
#include "command_line/commands.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>
#include <set>

#include "command_line/config.hpp"
#include "engine/offline.hpp"
#include "database/redact.hpp"
#include "command_line/session.hpp"

namespace migration_host {

void print(const std::string& raw) {
    // Results can carry plugin and driver texts (history errors): no secret leaves through stdout either.
    const std::string text = redact_secrets(raw);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
}

ExitCode list_plugins(const Invocation& invocation) {
    const auto dirs = resolve_plugin_dirs(invocation.global.plugin_paths);
    const Discovery discovery = discover_plugins(
        dirs, invocation.global.allow_insecure_plugins ? InsecurePlugins::warn : InsecurePlugins::refuse);
    for (const auto& plugin : discovery.plugins) {
        print(fmt::format("{} {} - {}\n  library: {}\n  ABI: {}.{}\n", plugin->id(), plugin->version(), plugin->name(),
                          plugin->path().string(), plugin->abi_major(), plugin->abi_minor()));
        if (!plugin->description().empty()) print(fmt::format("  description: {}\n", plugin->description()));
        for (const auto& migration : plugin->migrations()) {
            std::string requirements;
            for (const auto& requirement : migration.requirements) {
                requirements += (requirements.empty() ? " requires " : ", ") + requirement.to_string();
            }
            print(fmt::format("  {} {}{}{}\n", migration.ref.to_string(), migration.name, requirements,
                              migration.irreversible ? " (irreversible)" : ""));
        }
    }
    if (discovery.plugins.empty()) {
        std::string where;
        for (const auto& dir : dirs) where += (where.empty() ? "" : ", ") + dir.string();
        print(fmt::format("No plugins found in {}\n", where));
    }
    for (const auto& problem : discovery.problems) {
        print(fmt::format("unusable: {}: {}\n", problem.path.string(), problem.reason));
    }
    if (!discovery.problems.empty() && !invocation.global.skip_broken_plugins) {
        throw HostError(ExitCode::plugin_error, fmt::format("{} unusable plugin librar{} (listed above)",
                                                            discovery.problems.size(),
                                                            discovery.problems.size() == 1 ? "y" : "ies"));
    }
    // The catalog checks (gaps, duplicates, cycles) apply to the listing too.
    Catalog::build(discovery.plugins);
    return ExitCode::success;
}

ExitCode show_status(const Invocation& invocation) {
    const LoadedCatalog loaded = load_catalog(invocation.global);
    const auto session = open_session(invocation.global);
    const DatabaseState state = read_state_unlocked(*session);

    std::set<std::string> tracks;
    for (const auto& [track, migrations] : loaded.catalog.tracks()) tracks.insert(track);
    for (const auto& [track, version] : state.versions) tracks.insert(track);

    print(fmt::format("Database: {} {} (dialect {})\n", session->database.dbms_name, session->database.dbms_version,
                      session->database.dialect));
    if (tracks.empty()) {
        print("No tracks: no plugins loaded and no versions recorded.\n");
        return ExitCode::success;
    }
    print(fmt::format("{:<24} {:>8} {:>8}  {}\n", "TRACK", "CURRENT", "LATEST", "PENDING"));
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
                names.push_back(loaded.catalog.find({track, version})->name);
            }
            pending = names.empty() ? std::string("-") : fmt::format("{}", fmt::join(names, ", "));
        }
        print(fmt::format("{:<24} {:>8} {:>8}  {}\n", track, at,
                          loaded.catalog.tracks().count(track) ? std::to_string(latest) : std::string("?"), pending));
        if (const auto dirty = state.dirty.find(track); dirty != state.dirty.end() && state.run_in_progress) {
            print(fmt::format("  IN PROGRESS (another migration-host holds the run lock): {}\n",
                              dirty->second.describe()));
        } else if (dirty != state.dirty.end()) {
            print(fmt::format("  DIRTY: {}\n  fix the schema by hand, then 'migration-host repair {}@{}' (step applied) "
                              "or 'repair {}@{}' (not applied)\n",
                              dirty->second.describe(), track, dirty->second.attempt.to_version, track,
                              dirty->second.attempt.from_version));
        }
    }
    return ExitCode::success;
}

ExitCode show_plan(const Invocation& invocation) {
    const auto targets = parse_upgrade_targets(invocation.arguments);
    const LoadedCatalog loaded = load_catalog(invocation.global);
    const auto session = open_session(invocation.global);
    const DatabaseState state = read_state_unlocked(*session);
    const std::vector<Step> steps = plan_upgrade(loaded.catalog, state.versions, targets);
    if (state.run_in_progress) {
        print("note: another migration-host is running against this database; this plan may be out of date\n");
    }
    if (steps.empty()) {
        print("Nothing to do: already up to date.\n");
        return ExitCode::success;
    }
    std::size_t number = 0;
    for (const auto& step : steps) {
        const Migration& migration = *step.migration;
        std::string requirements;
        for (const auto& requirement : migration.requirements) {
            requirements += (requirements.empty() ? ", requires " : ", ") + requirement.to_string();
        }
        print(fmt::format("{}. {} {} -> {}: {} ({} {}{})\n", ++number, migration.ref.track, step.from_version(),
                          step.to_version(), migration.name, migration.plugin->id(), migration.plugin->version(),
                          requirements));
    }
    for (const auto& [track, dirty] : state.dirty) {
        if (state.run_in_progress) continue;
        print(fmt::format("note: track {} is dirty, upgrade will refuse until repair: {}\n", track, dirty.describe()));
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
        print("No history recorded.\n");
        return ExitCode::success;
    }
    print(fmt::format("{:>5}  {:<24}  {:<20} {:<9} {:<9} {:>9}  {:<28} {}\n", "ID", "STARTED (UTC)", "STEP",
                      "DIRECTION", "OUTCOME", "MS", "PLUGIN", "BY"));
    for (const auto& entry : entries) {
        const std::string step =
            entry.direction == "upgrade" || entry.direction == "downgrade"
                ? fmt::format("{}@{}", entry.track, entry.version)
                : fmt::format("{} {}->{}", entry.track, entry.from_version, entry.to_version);
        print(fmt::format("{:>5}  {:<24}  {:<20} {:<9} {:<9} {:>9}  {:<28} {}\n", entry.id, entry.started_at, step,
                          entry.direction, entry.outcome,
                          entry.duration_ms ? std::to_string(*entry.duration_ms) : std::string("-"),
                          entry.plugin_id.empty() ? "-" : entry.plugin_id + " " + entry.plugin_version,
                          entry.os_user + "@" + entry.host_name));
        if (!entry.error.empty()) print(fmt::format("       error: {}\n", entry.error));
    }
    return ExitCode::success;
}

ExitCode validate(const Invocation& invocation) {
    const LoadedCatalog loaded = load_catalog(invocation.global);
    const auto session = open_session(invocation.global);
    const DatabaseState state = read_state(*session);
    std::vector<std::string> changed;
    std::size_t verified = 0;
    for (const auto& [track, migrations] : loaded.catalog.tracks()) {
        const auto applied = std::min(version_of(state.versions, track), loaded.catalog.latest(track));
        for (std::int64_t version = 1; version <= applied; ++version) {
            const Migration& migration = *loaded.catalog.find({track, version});
            const auto recorded = HistoryStore::applied_checksum(state.history, track, version);
            if (!recorded) {
                print(fmt::format("{}: no checksum recorded (applied before this host, or stamped)\n", migration.label()));
                continue;
            }
            const std::string now = step_checksum(migration, session->database);
            if (now.empty()) {
                print(fmt::format("{}: cannot compute a checksum offline; plugin should declare one\n", migration.label()));
                continue;
            }
            if (checksum_matches(*recorded, migration, session->database)) {
                ++verified;
                print(fmt::format("{}: ok ({})\n", migration.label(), now));
            } else {
                changed.push_back(migration.label());
                print(fmt::format("{}: CHANGED: applied as {}, the loaded plugin now gives {}\n", migration.label(),
                                  *recorded, now));
            }
        }
    }
    if (!changed.empty()) {
        std::string list;
        for (const auto& label : changed) list += (list.empty() ? "" : ", ") + label;
        throw HostError(ExitCode::refused,
                        fmt::format("{} applied step{} changed since applied: {}", changed.size(),
                                    changed.size() == 1 ? "" : "s", list));
    }
    print(fmt::format("{} applied step{} verified.\n", verified, verified == 1 ? "" : "s"));
    return ExitCode::success;
}

ExitCode run_command(const Invocation& invocation) {
    if (invocation.command == "plugins") return list_plugins(invocation);
    if (invocation.command == "status") return show_status(invocation);
    if (invocation.command == "plan") return show_plan(invocation);
    if (invocation.command == "history") return show_history(invocation);
    if (invocation.command == "validate") return validate(invocation);
    if (invocation.command == "upgrade") return upgrade(invocation);
    if (invocation.command == "downgrade") return downgrade(invocation);
    if (invocation.command == "stamp") return stamp(invocation);
    if (invocation.command == "repair") return repair(invocation);
    throw HostError(ExitCode::usage, "unknown command '" + invocation.command + "'");
}

}  // namespace migration_host
