// Reads the recorded step attempts, of every track or one, for the history command.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/session.hpp"

namespace migration_host {

// Every row of the history (only `track`'s when given), oldest first, each checked. A track the database knows (a
// history or version row) lists even when no plugin provides it any more; any other must be one a loaded plugin
// provides, as for plan: a typo is not "no history" (throws HostError(plugin_error)).
std::vector<HistoryEntry> read_history(const std::optional<std::string>& track, const PluginOptions& plugins,
                                       const ConnectionOptions& connection);

}  // namespace migration_host
