// The plugins command: every library in the plugin path, what it offers or why it cannot be used.
// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>

#include "command_line/cli.hpp"
#include "command_line/output.hpp"
#include "engine/planner.hpp"
#include "plugins/plugin_loader.hpp"

namespace migration_host {
namespace {

using nlohmann::json;

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

}  // namespace

ExitCode run_plugins(const Invocation& invocation) {
    PluginsResult result;
    result.directories = resolve_plugin_dirs(invocation.global.plugin_paths);
    result.discovery = discover_plugins(
        result.directories, invocation.global.allow_insecure_plugins ? InsecurePlugins::warn : InsecurePlugins::refuse);
    if (invocation.options.format == OutputFormat::json) {
        render_plugins_json(result);
    } else {
        render_plugins_text(result);
    }
    const auto& problems = result.discovery.problems;
    if (!problems.empty() && !invocation.global.skip_broken_plugins) {
        throw HostError(
            ExitCode::plugin_error,
            fmt::format("{} unusable plugin librar{} (listed {})", problems.size(), problems.size() == 1 ? "y" : "ies",
                        invocation.options.format == OutputFormat::json ? "in the output" : "above"));
    }
    // The catalog checks (gaps, duplicates, cycles) apply to the listing too.
    Catalog::build(result.discovery.plugins, result.directories);
    return ExitCode::success;
}

}  // namespace migration_host
