// Builds the catalog of migrations from all plugins and plans ordered upgrade and downgrade steps.
// SPDX-License-Identifier: Apache-2.0
#include "engine/planner.hpp"

#include <fmt/format.h>

#include <map>
#include <queue>
#include <set>
#include <vector>

#include "bounded_list.hpp"
#include "exit_codes.hpp"

namespace migration_host {
namespace {

std::string origin(const Migration& migration) {
    return fmt::format("{} from plugin {} ({})", migration.label(), migration.plugin->id(),
                       migration.plugin->path().string());
}

HostError plugin_error(const std::string& message) {
    return HostError(ExitCode::plugin_error, message);
}

void require_known_track(const Catalog& catalog, const std::string& track);

std::string searched_in(const std::vector<std::filesystem::path>& dirs) {
    if (dirs.empty()) return {};
    std::vector<std::string> names;
    names.reserve(dirs.size());
    for (const auto& dir : dirs) names.push_back(dir.string());
    return " (plugin directories searched: " + bounded_list(names) + ")";
}

// Kahn's algorithm over `nodes`, always taking the smallest ready step by
// (track, version); `edges_into(node)` lists the nodes that must come first.
// Returns the order; nodes left out of it sit on a cycle.
template <typename EdgesInto>
std::vector<VersionRef> topological_order(const std::set<VersionRef>& nodes, EdgesInto edges_into) {
    // Nodes by their rank in `nodes` (the order the ready queue uses), so that the walk below compares numbers; the
    // names are compared once per edge, to find its ends, and not at every step of the walk.
    std::vector<const VersionRef*> by_rank;
    by_rank.reserve(nodes.size());
    std::map<VersionRef, std::size_t> rank;
    for (const auto& node : nodes) {
        rank.emplace_hint(rank.end(), node, by_rank.size());
        by_rank.push_back(&node);
    }
    std::vector<std::size_t> pending_inputs(by_rank.size(), 0);
    std::vector<std::vector<std::size_t>> outputs(by_rank.size());
    for (std::size_t node = 0; node < by_rank.size(); ++node) {
        for (const auto& input : edges_into(*by_rank[node])) {
            const auto found = rank.find(input);
            if (found == rank.end()) continue;
            ++pending_inputs[node];
            outputs[found->second].push_back(node);
        }
    }
    std::priority_queue<std::size_t, std::vector<std::size_t>, std::greater<>> ready;
    for (std::size_t node = 0; node < by_rank.size(); ++node) {
        if (pending_inputs[node] == 0) ready.push(node);
    }
    std::vector<VersionRef> order;
    order.reserve(by_rank.size());
    while (!ready.empty()) {
        const std::size_t node = ready.top();
        ready.pop();
        order.push_back(*by_rank[node]);
        for (const std::size_t next : outputs[node]) {
            if (--pending_inputs[next] == 0) ready.push(next);
        }
    }
    return order;
}

std::vector<VersionRef> inputs_of(const Migration& migration) {
    std::vector<VersionRef> inputs = migration.requirements;
    if (migration.ref.version > 1) inputs.push_back({migration.ref.track, migration.ref.version - 1});
    return inputs;
}

}  // namespace

std::int64_t version_of(const VersionMap& versions, const std::string& track) {
    const auto it = versions.find(track);
    return it == versions.end() ? 0 : it->second;
}

Catalog Catalog::build(const std::vector<std::unique_ptr<LoadedPlugin>>& plugins,
                       const std::vector<std::filesystem::path>& searched_dirs) {
    Catalog catalog;
    std::map<std::string, const LoadedPlugin*> plugin_ids;
    std::map<VersionRef, const Migration*> all;
    for (const auto& plugin : plugins) {
        const auto [it, inserted] = plugin_ids.emplace(plugin->id(), plugin.get());
        if (!inserted) {
            throw plugin_error(fmt::format("plugin id {} is used by both {} and {}", plugin->id(),
                                           it->second->path().string(), plugin->path().string()));
        }
        for (const auto& migration : plugin->migrations()) {
            const auto [existing, added] = all.emplace(migration.ref, &migration);
            if (!added) {
                throw plugin_error(fmt::format("{} is offered twice: by {} and by {}", migration.ref.to_string(),
                                               origin(*existing->second), origin(migration)));
            }
        }
    }
    for (const auto& [ref, migration] : all) {
        auto& track = catalog.tracks_[ref.track];
        if (ref.version != static_cast<std::int64_t>(track.size()) + 1) {
            throw plugin_error(fmt::format("track {} has a gap: version {} is missing before {}{}", ref.track,
                                           track.size() + 1, origin(*migration), searched_in(searched_dirs)));
        }
        track.push_back(migration);
    }
    for (const auto& [ref, migration] : all) {
        for (const auto& requirement : migration->requirements) {
            if (!all.count(requirement)) {
                throw plugin_error(fmt::format("{} requires {}, which no loaded plugin provides{}", origin(*migration),
                                               requirement.to_string(), searched_in(searched_dirs)));
            }
        }
    }
    std::set<VersionRef> nodes;
    for (const auto& [ref, migration] : all) nodes.insert(ref);
    const auto order = topological_order(nodes, [&](const VersionRef& ref) { return inputs_of(*all.at(ref)); });
    if (order.size() != nodes.size()) {
        const std::set<VersionRef> ordered(order.begin(), order.end());
        std::vector<std::string> cycle;
        for (const auto& ref : nodes) {
            if (!ordered.count(ref)) cycle.push_back(origin(*all.at(ref)));
        }
        throw plugin_error("requirements form a cycle among: " + bounded_list(cycle));
    }
    return catalog;
}

const Migration* Catalog::find(const VersionRef& ref) const {
    const auto it = tracks_.find(ref.track);
    if (it == tracks_.end() || ref.version < 1 || ref.version > static_cast<std::int64_t>(it->second.size())) {
        return nullptr;
    }
    return it->second[static_cast<std::size_t>(ref.version - 1)];
}

void Catalog::require_known(const VersionRef& ref) const {
    require_known_track(*this, ref.track);
    if (ref.version > latest(ref.track)) {
        throw plugin_error(fmt::format("{} does not exist: the latest version of {} is {}", ref.to_string(),
                                       ref.track, latest(ref.track)));
    }
}

std::int64_t Catalog::latest(const std::string& track) const {
    const auto it = tracks_.find(track);
    return it == tracks_.end() ? 0 : static_cast<std::int64_t>(it->second.size());
}

namespace {

void require_known_track(const Catalog& catalog, const std::string& track) {
    if (catalog.tracks().count(track)) return;
    std::vector<std::string> known;
    for (const auto& [name, migrations] : catalog.tracks()) known.push_back(name);
    throw plugin_error(fmt::format("unknown track '{}' (loaded plugins provide: {})", track,
                                   known.empty() ? "none" : bounded_list(known)));
}

void require_known_version(const Catalog& catalog, const VersionRef& ref) {
    catalog.require_known(ref);
}

// The database must not be ahead of what the plugins know, nor at an
// impossible version, or steps would be planned from a state nobody described.
void require_database_known(const Catalog& catalog, const VersionMap& current, const std::string& track) {
    const auto at = version_of(current, track);
    if (at < 0) {
        throw HostError(
            ExitCode::refused,
            fmt::format("the database has {} at version {}, which is impossible (versions start at 0)", track, at));
    }
    if (at > catalog.latest(track)) {
        throw HostError(ExitCode::refused,
                        fmt::format("the database has {} at version {}, but the loaded plugins only know up to {}",
                                    track, at, catalog.latest(track)));
    }
}

// The migration a plan needs; never a null one, whatever the stored versions say.
const Migration& planned(const Catalog& catalog, const VersionRef& ref) {
    const Migration* migration = catalog.find(ref);
    if (migration == nullptr) {
        throw HostError(ExitCode::refused,
                        fmt::format("no loaded plugin provides {}, which the plan from the database's versions needs",
                                    ref.to_string()));
    }
    return *migration;
}

// The version `target` takes its known track up to: its own, the latest, or TRACK@+N's N past the database's.
VersionRef upgrade_goal(const Catalog& catalog, const VersionMap& current, const UpgradeTarget& target) {
    if (target.steps_forward == 0) return {target.track, target.version.value_or(catalog.latest(target.track))};
    // A database the plugins do not describe is refused as such before its version is counted from.
    require_database_known(catalog, current, target.track);
    const auto at = version_of(current, target.track);
    const auto latest = catalog.latest(target.track);
    if (target.steps_forward > latest - at) {
        throw HostError(
            ExitCode::usage,
            at == latest ? fmt::format("cannot upgrade {}: {} is at version {}, the latest the loaded "
                                       "plugins provide, so there is no step forward",
                                       target.to_string(), target.track, at)
                         : fmt::format("cannot upgrade {}: {} is at version {} and the loaded plugins go "
                                       "up to {}, so it can go at most {} step{} forward ({}@+{}, or {}@{})",
                                       target.to_string(), target.track, at, latest, latest - at,
                                       latest - at == 1 ? "" : "s", target.track, latest - at, target.track, latest));
    }
    return {target.track, at + target.steps_forward};
}

}  // namespace

VersionRef downgrade_goal(const Catalog& catalog, const VersionMap& current, const DowngradeTarget& target) {
    require_known_track(catalog, target.track);
    if (target.version) return {target.track, *target.version};
    require_database_known(catalog, current, target.track);
    const auto at = version_of(current, target.track);
    if (target.steps_back > at) {
        throw HostError(ExitCode::usage,
                        at == 0 ? fmt::format("cannot downgrade {}: {} is at version 0, so there is no step back",
                                              target.to_string(), target.track)
                                : fmt::format("cannot downgrade {}: {} is at version {}, so it can go at most {} "
                                              "step{} back ({}@-{}, or {}@0)",
                                              target.to_string(), target.track, at, at, at == 1 ? "" : "s",
                                              target.track, at, target.track));
    }
    return {target.track, at - target.steps_back};
}

std::vector<Step> plan_upgrade(const Catalog& catalog, const VersionMap& current,
                               const std::vector<UpgradeTarget>& targets) {
    std::vector<VersionRef> goals;
    if (targets.empty()) {
        for (const auto& [track, migrations] : catalog.tracks()) goals.push_back({track, catalog.latest(track)});
    }
    for (const auto& target : targets) {
        require_known_track(catalog, target.track);
        const VersionRef goal = upgrade_goal(catalog, current, target);
        require_known_version(catalog, goal);
        const auto at = version_of(current, goal.track);
        if (goal.version < at) {
            throw HostError(ExitCode::refused,
                            fmt::format("{} is at version {}, above the upgrade target {}; use downgrade",
                                        goal.track, at, goal.to_string()));
        }
        goals.push_back(goal);
    }
    std::set<VersionRef> needed;
    // Depth-first closure over the goals and their requirements.
    std::vector<VersionRef> work(goals.begin(), goals.end());
    while (!work.empty()) {
        const VersionRef goal = work.back();
        work.pop_back();
        require_database_known(catalog, current, goal.track);
        for (auto version = version_of(current, goal.track) + 1; version <= goal.version; ++version) {
            const VersionRef ref{goal.track, version};
            if (!needed.insert(ref).second) continue;
            for (const auto& requirement : planned(catalog, ref).requirements) work.push_back(requirement);
        }
    }
    const auto order =
        topological_order(needed, [&](const VersionRef& ref) { return inputs_of(planned(catalog, ref)); });
    std::vector<Step> steps;
    for (const auto& ref : order) steps.push_back({&planned(catalog, ref), Direction::upgrade});
    return steps;
}

std::vector<Step> plan_downgrade(const Catalog& catalog, const VersionMap& current, const VersionRef& target) {
    require_known_track(catalog, target.track);
    require_known_version(catalog, target);
    require_database_known(catalog, current, target.track);
    const auto at = version_of(current, target.track);
    if (target.version > at) {
        throw HostError(ExitCode::refused, fmt::format("{} is at version {}, below the downgrade target {}; use upgrade",
                                                       target.track, at, target.to_string()));
    }
    std::vector<Step> steps;
    for (auto version = at; version > target.version; --version) {
        const Migration* migration = &planned(catalog, {target.track, version});
        if (migration->irreversible) {
            throw HostError(ExitCode::refused,
                            fmt::format("cannot downgrade {}: {} is irreversible{}", target.to_string(),
                                        migration->label(),
                                        migration->downgrade_refusal.empty() ? "" : ": " + migration->downgrade_refusal));
        }
        steps.push_back({migration, Direction::downgrade});
    }
    // An applied step elsewhere that requires a version being undone blocks it.
    for (const auto& [track, migrations] : catalog.tracks()) {
        if (track == target.track) continue;
        const auto applied = std::min(version_of(current, track), static_cast<std::int64_t>(migrations.size()));
        for (std::int64_t version = 1; version <= applied; ++version) {
            const Migration* migration = migrations[static_cast<std::size_t>(version - 1)];
            for (const auto& requirement : migration->requirements) {
                if (requirement.track == target.track && requirement.version > target.version) {
                    throw HostError(ExitCode::refused,
                                    fmt::format("cannot downgrade {}: applied step {} requires {}",
                                                target.to_string(), migration->label(), requirement.to_string()));
                }
            }
        }
    }
    return steps;
}

}  // namespace migration_host
