// The plan command: the steps an upgrade to the targets would run, in order, and what it would refuse.
// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "command_line/cli.hpp"
#include "command_line/output.hpp"
#include "engine/plan_preview.hpp"

namespace migration_host {
namespace {

using nlohmann::json;

std::string requirements_text(const Migration& migration) {
    std::string text;
    for (const auto& requirement : migration.requirements) {
        text += (text.empty() ? ", requires " : ", ") + requirement.to_string();
    }
    return text;
}

void render_plan_text(const PlanPreview& result) {
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

void render_plan_json(const PlanPreview& result) {
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

}  // namespace

ExitCode run_plan(const Invocation& invocation) {
    const PlanPreview result =
        preview_upgrade(parse_upgrade_targets(invocation.arguments), plugin_options(invocation.global),
                        connection_options(invocation.global));
    for (const auto& warning : result.warnings) spdlog::warn("{}", warning);
    if (invocation.options.format == OutputFormat::json) {
        render_plan_json(result);
    } else {
        render_plan_text(result);
    }
    return ExitCode::success;
}

}  // namespace migration_host
