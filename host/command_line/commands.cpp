// Carries out the read-only CLI commands (plugins, status, plan, history, validate) and dispatches the rest.
// SPDX-License-Identifier: Apache-2.0
#include "command_line/commands.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>
#include <limits>
#include <optional>
#include <set>

#include "bounded_list.hpp"
#include "command_line/config.hpp"
#include "command_line/session.hpp"
#include "command_line/terminal_text.hpp"
#include "command_line/upgrade_checks.hpp"
#include "database/redact.hpp"
#include "engine/offline.hpp"

namespace migration_host {
namespace {

using nlohmann::json;

// The most lines validate prints for one track's steps that no loaded plugin provides; a stored version can be
// as large as a BIGINT, so the rest is summed up in one line.
constexpr std::int64_t max_unprovided_lines = 10;

bool json_wanted(const Invocation& invocation) { return invocation.options.format == OutputFormat::json; }

// What the history says about an applied step that no loaded plugin provides: who applied it, or how it came to be
// recorded.
std::string unprovided_origin(const std::vector<HistoryEntry>& history, const AppliedSteps& applied_steps,
                              const std::string& track, std::int64_t version) {
    if (const HistoryEntry* applied = applied_steps.find(track, version)) {
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

json history_entry_json(const HistoryEntry& entry) {
    return {
        {"id", entry.id},
        {"track", entry.track},
        {"version", entry.version},
        {"direction", entry.direction},
        {"from_version", entry.from_version},
        {"to_version", entry.to_version},
        {"plugin_id", entry.plugin_id},
        {"plugin_version", entry.plugin_version},
        {"library_path", entry.library_path},
        {"checksum", entry.checksum},
        {"os_user", entry.os_user},
        {"host_name", entry.host_name},
        {"started_at", entry.started_at},
        {"finished_at", entry.finished_at},
        {"duration_ms", entry.duration_ms ? json(*entry.duration_ms) : json(nullptr)},
        {"outcome", entry.outcome},
        {"error", entry.error},
    };
}

// --- plugins ---

struct PluginsResult {
    std::vector<std::filesystem::path> directories;
    Discovery discovery;
};

void render_plugins_text(const PluginsResult& result) {
    for (const auto& plugin : result.discovery.plugins) {
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
    if (result.discovery.plugins.empty()) {
        std::string where;
        for (const auto& dir : result.directories) where += (where.empty() ? "" : ", ") + dir.string();
        print_line(fmt::format("No plugins found in {}", where));
    }
    for (const auto& problem : result.discovery.problems) {
        print_line(fmt::format("unusable: {}: {}", problem.path.string(), problem.reason));
    }
}

void render_plugins_json(const PluginsResult& result) {
    json document = {{"directories", json::array()}, {"plugins", json::array()}, {"unusable", json::array()}};
    for (const auto& dir : result.directories) document["directories"].push_back(dir.string());
    for (const auto& plugin : result.discovery.plugins) {
        json migrations = json::array();
        for (const auto& migration : plugin->migrations()) {
            json requirements = json::array();
            for (const auto& requirement : migration.requirements) requirements.push_back(requirement.to_string());
            migrations.push_back({{"track", migration.ref.track},
                                  {"version", migration.ref.version},
                                  {"name", migration.name},
                                  {"requires", requirements},
                                  {"irreversible", migration.irreversible}});
        }
        document["plugins"].push_back({{"id", plugin->id()},
                                       {"version", plugin->version()},
                                       {"name", plugin->name()},
                                       {"description", plugin->description()},
                                       {"library", plugin->path().string()},
                                       {"abi", fmt::format("{}.{}", plugin->abi_major(), plugin->abi_minor())},
                                       {"migrations", migrations}});
    }
    for (const auto& problem : result.discovery.problems) {
        document["unusable"].push_back({{"library", problem.path.string()}, {"reason", problem.reason}});
    }
    print_json(document);
}

// --- status ---

// What a track needs, most severe first; a track with several (dirty and pending) shows the first.
enum class TrackState { dirty, ahead, unknown_track, pending, in_progress, up_to_date };

const char* state_name(TrackState state) {
    switch (state) {
        case TrackState::dirty: return "dirty";
        case TrackState::ahead: return "ahead";
        case TrackState::unknown_track: return "unknown_track";
        case TrackState::pending: return "pending";
        case TrackState::in_progress: return "in_progress";
        case TrackState::up_to_date: return "up_to_date";
    }
    return "?";
}

// status --check: the exit code for the most severe state of any track (README: "status --check").
ExitCode check_exit_code(TrackState state) {
    switch (state) {
        case TrackState::dirty: return ExitCode::check_dirty;
        case TrackState::ahead: return ExitCode::check_ahead;
        case TrackState::unknown_track: return ExitCode::check_unknown_track;
        // A step another run is applying right now is not applied yet.
        case TrackState::pending:
        case TrackState::in_progress: return ExitCode::check_pending;
        case TrackState::up_to_date: return ExitCode::success;
    }
    return ExitCode::success;
}

struct TrackStatus {
    std::string track;
    std::int64_t current = 0;
    std::optional<std::int64_t> latest;  // none: no loaded plugin provides the track
    std::vector<const Migration*> pending;
    std::optional<DirtyTrack> unfinished;  // dirty, or running under another run's lock
    TrackState state = TrackState::up_to_date;
};

struct StatusResult {
    DatabaseInfo database;
    bool run_in_progress = false;
    std::vector<TrackStatus> tracks;
    TrackState state = TrackState::up_to_date;  // the most severe of the tracks'
};

StatusResult compute_status(const Session& session, const Catalog& catalog, const DatabaseState& state) {
    StatusResult result;
    result.database = session.database;
    result.run_in_progress = state.run_in_progress;
    std::set<std::string> tracks;
    for (const auto& [track, migrations] : catalog.tracks()) tracks.insert(track);
    for (const auto& [track, version] : state.versions) tracks.insert(track);
    for (const auto& track : tracks) {
        TrackStatus status;
        status.track = track;
        status.current = version_of(state.versions, track);
        const bool provided = catalog.tracks().count(track) > 0;
        if (provided) status.latest = catalog.latest(track);
        if (provided && status.current < *status.latest) {
            for (auto version = status.current + 1; version <= *status.latest; ++version) {
                if (const Migration* migration = catalog.find({track, version})) status.pending.push_back(migration);
            }
        }
        if (const auto dirty = state.dirty.find(track); dirty != state.dirty.end()) status.unfinished = dirty->second;
        if (status.unfinished && !state.run_in_progress) {
            status.state = TrackState::dirty;
        } else if (!provided) {
            status.state = TrackState::unknown_track;
        } else if (status.current > *status.latest) {
            status.state = TrackState::ahead;
        } else if (status.unfinished) {
            status.state = TrackState::in_progress;
        } else if (!status.pending.empty()) {
            status.state = TrackState::pending;
        }
        result.state = std::min(result.state, status.state);
        result.tracks.push_back(std::move(status));
    }
    return result;
}

// The status's "Database:" line: which database the results are about.
std::string database_line(const DatabaseInfo& database) {
    return "Database: " + describe_connection(database);
}

json database_json(const DatabaseInfo& database) {
    json result = {{"dialect", database.dialect},
                   {"dbms", database.dbms_name},
                   {"version", database.server_version},
                   {"server", database.server},
                   {"name", database.database_name}};
    // Only on a cluster, so that every other status keeps its shape.
    if (database.galera) {
        result["galera"] = {{"node", database.galera->node_name}, {"cluster_size", database.galera->cluster_size}};
    }
    return result;
}

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
        } else {
            std::vector<std::string> names;
            for (const Migration* migration : status.pending) names.push_back(migration->name);
            pending = names.empty() ? std::string("-") : fmt::format("{}", fmt::join(names, ", "));
        }
        print_line(fmt::format("{:<24} {:>8} {:>8}  {}", status.track, status.current,
                               status.latest ? std::to_string(*status.latest) : std::string("?"), pending));
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
                          {"unfinished_step", unfinished}});
    }
    print_json({{"database", database_json(result.database)},
                {"state", state_name(result.state)},
                {"needs_attention", result.state != TrackState::up_to_date},
                {"check_exit_code", static_cast<int>(check_exit_code(result.state))},
                {"run_in_progress", result.run_in_progress},
                {"tracks", tracks}});
}

// --- plan ---

struct PlanResult {
    bool run_in_progress = false;
    std::vector<Step> steps;
};

std::string requirements_text(const Migration& migration) {
    std::string text;
    for (const auto& requirement : migration.requirements) {
        text += (text.empty() ? ", requires " : ", ") + requirement.to_string();
    }
    return text;
}

void render_plan_text(const PlanResult& result) {
    if (result.run_in_progress) {
        print_line("note: another migration-host is running against this database; this plan may be out of date");
    }
    if (result.steps.empty()) {
        print_line("Nothing to do: already up to date.");
        return;
    }
    std::size_t number = 0;
    for (const auto& step : result.steps) {
        const Migration& migration = *step.migration;
        print_line(fmt::format("{}. {} {} -> {}: {} ({} {}{})", ++number, migration.ref.track, step.from_version(),
                               step.to_version(), migration.name, migration.plugin->id(), migration.plugin->version(),
                               requirements_text(migration)));
    }
}

void render_plan_json(const PlanResult& result) {
    json steps = json::array();
    for (const auto& step : result.steps) {
        const Migration& migration = *step.migration;
        json requirements = json::array();
        for (const auto& requirement : migration.requirements) requirements.push_back(requirement.to_string());
        steps.push_back({{"track", migration.ref.track},
                         {"from_version", step.from_version()},
                         {"to_version", step.to_version()},
                         {"name", migration.name},
                         {"plugin", {{"id", migration.plugin->id()}, {"version", migration.plugin->version()}}},
                         {"requires", requirements}});
    }
    print_json({{"run_in_progress", result.run_in_progress}, {"steps", steps}});
}

// --- history ---

void render_history_text(const std::vector<HistoryEntry>& entries) {
    if (entries.empty()) {
        print_line("No history recorded.");
        return;
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
}

void render_history_json(const std::optional<std::string>& track, const std::vector<HistoryEntry>& entries) {
    json rows = json::array();
    for (const auto& entry : entries) rows.push_back(history_entry_json(entry));
    print_json({{"track", track ? json(*track) : json(nullptr)}, {"entries", rows}});
}

// --- validate ---

struct CheckedStep {
    enum class Outcome { ok, changed, no_checksum_recorded, no_offline_checksum };
    const Migration* migration = nullptr;
    Outcome outcome = Outcome::ok;
    std::string recorded, current;
};

struct UnprovidedSteps {
    std::string track;
    std::int64_t first = 0, last = 0;  // the versions, each listed when first == last
    std::string origin;                // for a single version
};

struct ValidateResult {
    std::vector<CheckedStep> steps;
    std::vector<UnprovidedSteps> unprovided;
    std::uint64_t unprovided_count = 0;
    std::size_t verified = 0;
    std::vector<std::string> changed_labels, unprovided_labels;
};

ValidateResult compute_validation(const Session& session, const Catalog& catalog, const DatabaseState& state) {
    ValidateResult result;
    const AppliedSteps applied_steps(state.history);
    for (const auto& [track, migrations] : catalog.tracks()) {
        const auto applied = std::min(version_of(state.versions, track), catalog.latest(track));
        for (std::int64_t version = 1; version <= applied; ++version) {
            CheckedStep checked;
            checked.migration = catalog.find({track, version});
            const auto recorded = applied_steps.checksum(track, version);
            if (!recorded) {
                checked.outcome = CheckedStep::Outcome::no_checksum_recorded;
            } else {
                checked.recorded = *recorded;
                checked.current = step_checksum(*checked.migration, session.database);
                if (checked.current.empty()) {
                    checked.outcome = CheckedStep::Outcome::no_offline_checksum;
                } else if (checksum_matches(*recorded, checked.current, *checked.migration, session.database)) {
                    ++result.verified;
                } else {
                    checked.outcome = CheckedStep::Outcome::changed;
                    result.changed_labels.push_back(checked.migration->label());
                }
            }
            result.steps.push_back(std::move(checked));
        }
    }
    // Applied steps beyond what the loaded plugins provide cannot be verified: say so, and who applied them.
    for (const auto& [track, at] : state.versions) {
        const auto latest = catalog.latest(track);
        if (at <= latest) continue;
        const auto count = static_cast<std::uint64_t>(at - latest);
        result.unprovided_count = count > std::numeric_limits<std::uint64_t>::max() - result.unprovided_count
                                      ? std::numeric_limits<std::uint64_t>::max()
                                      : result.unprovided_count + count;
        const auto listed_up_to = at - latest > max_unprovided_lines ? latest + max_unprovided_lines : at;
        for (auto version = latest + 1; version <= listed_up_to; ++version) {
            result.unprovided.push_back(
                {track, version, version, unprovided_origin(state.history, applied_steps, track, version)});
            result.unprovided_labels.push_back(VersionRef{track, version}.to_string());
        }
        if (listed_up_to < at) {
            result.unprovided.push_back({track, listed_up_to + 1, at, ""});
            result.unprovided_labels.push_back(fmt::format("{} to {}", VersionRef{track, listed_up_to + 1}.to_string(),
                                                           VersionRef{track, at}.to_string()));
        }
    }
    return result;
}

void render_validation_text(const ValidateResult& result) {
    for (const auto& step : result.steps) {
        const std::string label = step.migration->label();
        switch (step.outcome) {
            case CheckedStep::Outcome::no_checksum_recorded:
                print_line(fmt::format("{}: no checksum recorded (applied before this host, or stamped)", label));
                break;
            case CheckedStep::Outcome::no_offline_checksum:
                print_line(fmt::format("{}: cannot compute a checksum offline; plugin should declare one", label));
                break;
            case CheckedStep::Outcome::ok: print_line(fmt::format("{}: ok ({})", label, step.current)); break;
            case CheckedStep::Outcome::changed:
                print_line(fmt::format("{}: CHANGED: applied as {}, the loaded plugin now gives {}", label,
                                       step.recorded, step.current));
                break;
        }
    }
    for (const auto& unprovided : result.unprovided) {
        if (unprovided.first == unprovided.last) {
            print_line(fmt::format("{}: {}, but no loaded plugin provides it",
                                   VersionRef{unprovided.track, unprovided.first}.to_string(), unprovided.origin));
        } else {
            print_line(fmt::format("{} to {}: {} more applied steps that no loaded plugin provides",
                                   VersionRef{unprovided.track, unprovided.first}.to_string(),
                                   VersionRef{unprovided.track, unprovided.last}.to_string(),
                                   unprovided.last - unprovided.first + 1));
        }
    }
    if (result.changed_labels.empty() && result.unprovided_count == 0) {
        print_line(fmt::format("{} applied step{} verified.", result.verified, result.verified == 1 ? "" : "s"));
    }
}

const char* outcome_name(CheckedStep::Outcome outcome) {
    switch (outcome) {
        case CheckedStep::Outcome::ok: return "ok";
        case CheckedStep::Outcome::changed: return "changed";
        case CheckedStep::Outcome::no_checksum_recorded: return "no_checksum_recorded";
        case CheckedStep::Outcome::no_offline_checksum: return "no_offline_checksum";
    }
    return "?";
}

void render_validation_json(const ValidateResult& result) {
    json steps = json::array();
    for (const auto& step : result.steps) {
        steps.push_back({{"track", step.migration->ref.track},
                         {"version", step.migration->ref.version},
                         {"name", step.migration->name},
                         {"outcome", outcome_name(step.outcome)},
                         {"recorded_checksum", step.recorded.empty() ? json(nullptr) : json(step.recorded)},
                         {"current_checksum", step.current.empty() ? json(nullptr) : json(step.current)}});
    }
    json unprovided = json::array();
    for (const auto& range : result.unprovided) {
        json entry = {{"track", range.track}, {"from_version", range.first}, {"to_version", range.last}};
        entry["origin"] = range.origin.empty() ? json(nullptr) : json(range.origin);
        unprovided.push_back(entry);
    }
    print_json({{"valid", result.changed_labels.empty() && result.unprovided_count == 0},
                {"verified", result.verified},
                {"changed", result.changed_labels.size()},
                {"unprovided", result.unprovided_count},
                {"steps", steps},
                {"unprovided_steps", unprovided}});
}

}  // namespace

ExitCode list_plugins(const Invocation& invocation) {
    PluginsResult result;
    result.directories = resolve_plugin_dirs(invocation.global.plugin_paths);
    result.discovery = discover_plugins(
        result.directories, invocation.global.allow_insecure_plugins ? InsecurePlugins::warn : InsecurePlugins::refuse);
    if (json_wanted(invocation)) {
        render_plugins_json(result);
    } else {
        render_plugins_text(result);
    }
    const auto& problems = result.discovery.problems;
    if (!problems.empty() && !invocation.global.skip_broken_plugins) {
        throw HostError(ExitCode::plugin_error,
                        fmt::format("{} unusable plugin librar{} (listed {})", problems.size(),
                                    problems.size() == 1 ? "y" : "ies",
                                    json_wanted(invocation) ? "in the output" : "above"));
    }
    // The catalog checks (gaps, duplicates, cycles) apply to the listing too.
    Catalog::build(result.discovery.plugins, result.directories);
    return ExitCode::success;
}

ExitCode show_status(const Invocation& invocation) {
    const LoadedCatalog loaded = load_catalog(invocation.global);
    const auto session = open_session(invocation.global, Access::read_only);
    const StatusResult result =
        compute_status(*session, loaded.catalog, read_state_unlocked(*session, loaded.catalog));
    if (json_wanted(invocation)) {
        render_status_json(result);
    } else {
        render_status_text(result);
    }
    return invocation.options.check ? check_exit_code(result.state) : ExitCode::success;
}

ExitCode show_plan(const Invocation& invocation) {
    const auto targets = parse_upgrade_targets(invocation.arguments);
    const LoadedCatalog loaded = load_catalog(invocation.global);
    const auto session = open_session(invocation.global, Access::read_only);
    const DatabaseState state = read_state_unlocked(*session, loaded.catalog);
    PlanResult result;
    result.run_in_progress = state.run_in_progress;
    result.steps = plan_upgrade(loaded.catalog, state.versions, targets);
    // Whatever upgrade would refuse, plan refuses the same way, from the same code.
    refuse_upgrade(*session, state, loaded.catalog, targets, result.steps);
    warn_changed_steps(*session, state, loaded.catalog);
    if (json_wanted(invocation)) {
        render_plan_json(result);
    } else {
        render_plan_text(result);
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
    const auto session = open_session(invocation.global, Access::read_only);
    const auto entries = session->history().entries(track);
    // A track the database knows (history or version row) lists even when no plugin provides it any more; any other
    // must be one a loaded plugin provides, as for plan: a typo is not "no history".
    if (track && entries.empty() && !session->versions().versions().count(*track)) {
        load_catalog(invocation.global).catalog.require_known({*track, 0});
    }
    if (json_wanted(invocation)) {
        render_history_json(track, entries);
    } else {
        render_history_text(entries);
    }
    return ExitCode::success;
}

ExitCode validate(const Invocation& invocation) {
    const LoadedCatalog loaded = load_catalog(invocation.global);
    const auto session = open_session(invocation.global, Access::read_only);
    const ValidateResult result =
        compute_validation(*session, loaded.catalog, read_state(*session, loaded.catalog, HistoryDepth::full));
    if (json_wanted(invocation)) {
        render_validation_json(result);
    } else {
        render_validation_text(result);
    }
    std::vector<std::string> problems;
    if (!result.changed_labels.empty()) {
        problems.push_back(fmt::format("{} applied step{} changed since applied: {}", result.changed_labels.size(),
                                       result.changed_labels.size() == 1 ? "" : "s",
                                       bounded_list(result.changed_labels)));
    }
    if (result.unprovided_count > 0) {
        problems.push_back(fmt::format("{} applied step{} that no loaded plugin provides: {}", result.unprovided_count,
                                       result.unprovided_count == 1 ? "" : "s",
                                       fmt::join(result.unprovided_labels, ", ")));
    }
    if (!problems.empty()) throw HostError(ExitCode::refused, fmt::format("{}", fmt::join(problems, "; ")));
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
    if (invocation.command == "unlock") return unlock(invocation);
    throw HostError(ExitCode::usage, "unknown command '" + invocation.command + "'");
}

}  // namespace migration_host
