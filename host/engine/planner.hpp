// Builds the catalog of migrations from all plugins and plans ordered upgrade and downgrade steps.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "plugins/plugin_loader.hpp"
#include "plugins/version_ref.hpp"

namespace migration_host {

// Every track's migrations, checked for consistency: versions contiguous from
// 1, no version offered twice, every requirement provided, no cycle.
class Catalog {
public:
    // Throws HostError(plugin_error) naming the plugins and libraries involved; a gap or a missing requirement
    // also names `searched_dirs`, the plugin directories searched, since the missing library may simply lie in
    // another one.
    static Catalog build(const std::vector<std::unique_ptr<LoadedPlugin>>& plugins,
                         const std::vector<std::filesystem::path>& searched_dirs = {});

    // track -> its migrations, element i being version i + 1.
    const std::map<std::string, std::vector<const Migration*>>& tracks() const noexcept { return tracks_; }
    const Migration* find(const VersionRef& ref) const;
    std::int64_t latest(const std::string& track) const;  // 0 for an unknown track
    // Throws HostError(plugin_error) unless the track is known and 0 <= version <= latest.
    void require_known(const VersionRef& ref) const;

private:
    std::map<std::string, std::vector<const Migration*>> tracks_;
};

enum class Direction { upgrade, downgrade };

struct Step {
    const Migration* migration = nullptr;
    Direction direction = Direction::upgrade;

    std::int64_t from_version() const {
        return direction == Direction::upgrade ? migration->ref.version - 1 : migration->ref.version;
    }
    std::int64_t to_version() const {
        return direction == Direction::upgrade ? migration->ref.version : migration->ref.version - 1;
    }
};

// The version each track is at in the database; an absent track is at 0.
using VersionMap = std::map<std::string, std::int64_t>;

// The steps that bring the targets (every track to its latest when empty) up,
// requirements included, in a deterministic topological order: a track's
// versions in order, a requirement before what requires it, ties by track
// name. A relative target (TRACK@+N) counts from the track's version in
// `current`. Throws HostError: plugin_error for an unknown track or version,
// refused when a target lies below the database's version, usage for a
// relative target beyond the latest version.
std::vector<Step> plan_upgrade(const Catalog& catalog, const VersionMap& current,
                               const std::vector<UpgradeTarget>& targets);

// The version `target` takes its track down to: its own, or for TRACK@-N the
// version N below the track's in `current`. Throws HostError: plugin_error for
// an unknown track or version, refused for a database ahead of the plugins,
// usage for a count that goes below 0 (naming where the track is and how far
// back it can go).
VersionRef downgrade_goal(const Catalog& catalog, const VersionMap& current, const DowngradeTarget& target);

// The steps that bring `target.track` down to `target.version`, newest first.
// Throws HostError(refused) when a step is irreversible or an applied step of
// another track requires one it would undo, naming the blocking step.
std::vector<Step> plan_downgrade(const Catalog& catalog, const VersionMap& current, const VersionRef& target);

std::int64_t version_of(const VersionMap& versions, const std::string& track);

}  // namespace migration_host
