// Reads the recorded step attempts, of every track or one, for the history command.
// SPDX-License-Identifier: Apache-2.0
#include "engine/history_query.hpp"

namespace migration_host {

std::vector<HistoryEntry> read_history(const std::optional<std::string>& track, const PluginOptions& plugins,
                                       const ConnectionOptions& connection) {
    const auto session = open_session(connection, Access::read_only);
    auto entries = session->history().entries(track);
    if (track && entries.empty() && !session->versions().versions().count(*track)) {
        load_catalog(plugins).catalog.require_known({*track, 0});
    }
    return entries;
}

}  // namespace migration_host
