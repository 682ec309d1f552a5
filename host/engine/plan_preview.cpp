// What an upgrade to the targets would run, read without the lock: the plan command's answer.
// SPDX-License-Identifier: Apache-2.0
#include "engine/plan_preview.hpp"

#include "engine/upgrade_checks.hpp"

namespace migration_host {

PlanPreview preview_upgrade(const std::vector<UpgradeTarget>& targets, const PluginOptions& plugins,
                            const ConnectionOptions& connection) {
    PlanPreview preview;
    preview.loaded = load_catalog(plugins);
    const Catalog& catalog = preview.loaded.catalog;
    const auto session = open_session(connection, Access::read_only);
    const DatabaseState state = read_state_unlocked(*session, catalog);
    preview.run_in_progress = state.run_in_progress;
    preview.steps = plan_upgrade(catalog, state.versions, targets);
    refuse_upgrade(*session, state, catalog, targets, preview.steps);
    preview.warnings = changed_step_warnings(*session, state, catalog);
    return preview;
}

}  // namespace migration_host
