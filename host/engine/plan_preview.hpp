// What an upgrade to the targets would run, read without the lock: the plan command's answer.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

#include "engine/session.hpp"

namespace migration_host {

struct PlanPreview {
    LoadedCatalog loaded;  // keeps the plugins that `steps` points into
    bool run_in_progress = false;
    std::vector<Step> steps;
    std::vector<std::string> warnings;  // applied steps whose plugin changed since
};

// Loads the plugins, reads the database without the lock and without creating anything, plans the upgrade to
// `targets`, and refuses (throws HostError) whatever the upgrade would refuse, from the same code.
PlanPreview preview_upgrade(const std::vector<UpgradeTarget>& targets, const PluginOptions& plugins,
                            const ConnectionOptions& connection);

}  // namespace migration_host
