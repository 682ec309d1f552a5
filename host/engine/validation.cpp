// Whether the applied steps still match the loaded plugins (validate): each step's recorded checksum against today's.
// SPDX-License-Identifier: Apache-2.0
#include "engine/validation.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "engine/offline.hpp"

namespace migration_host {
namespace {

// The most lines validate lists for one track's steps that no loaded plugin provides; a stored version can be as
// large as a BIGINT, so the rest is summed up in one entry.
constexpr std::int64_t max_unprovided_lines = 10;

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

void compute_validation(const Session& session, const Catalog& catalog, const DatabaseState& state,
                        ValidateResult& result) {
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
}

}  // namespace

ValidateResult read_validation(const PluginOptions& plugins, const ConnectionOptions& connection) {
    ValidateResult result;
    result.loaded = load_catalog(plugins);
    const auto session = open_session(connection, Access::read_only);
    compute_validation(*session, result.loaded.catalog, read_state(*session, result.loaded.catalog, HistoryDepth::full),
                       result);
    return result;
}

}  // namespace migration_host
