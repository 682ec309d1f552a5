// The __complete command: the words the completion scripts cannot know by themselves, asked at completion time.
// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>

#include <set>
#include <string>

#include "command_line/cli.hpp"
#include "command_line/output.hpp"
#include "command_line/settings.hpp"
#include "plugins/plugin_loader.hpp"

namespace migration_host {

ExitCode run_complete(const Invocation& invocation) {
    const std::string& what = invocation.arguments.front();
    std::set<std::string> words;  // each once, sorted
    if (what == "targets") {
        for (auto& name : configured_target_names(invocation.global)) words.insert(std::move(name));
    } else if (what == "tracks" || what == "versions") {
        // Libraries that cannot be used are left out silently: a completion has nowhere to report them.
        const auto discovery = discover_plugins(
            resolve_plugin_dirs(invocation.global.plugin_paths),
            invocation.global.allow_insecure_plugins ? InsecurePlugins::warn : InsecurePlugins::refuse);
        for (const auto& plugin : discovery.plugins) {
            for (const auto& migration : plugin->migrations()) {
                if (what == "tracks") {
                    words.insert(migration.ref.track);
                } else {
                    words.insert(migration.ref.track + "@0");  // no version: a downgrade's or a stamp's end
                    words.insert(migration.ref.to_string());
                }
            }
        }
    } else {
        throw usage_error(fmt::format("__complete lists targets, tracks or versions, not '{}'", what));
    }
    for (const auto& word : words) print_line(word);
    return ExitCode::success;
}

}  // namespace migration_host
