// The live schema as the database's catalog has it, for the inspect command: every table and view, or those named.
// SPDX-License-Identifier: Apache-2.0
#include "engine/inspection.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "bounded_list.hpp"
#include "exit_codes.hpp"

namespace migration_host {

InspectResult inspect_schema(const ConnectionOptions& connection, const std::vector<std::string>& tables) {
    const auto session = open_session(connection, Access::read_only);
    if (!tables.empty()) {
        const Relations existing = list_relations(*session->connection, session->database);
        std::vector<std::string> missing;
        for (const auto& name : tables) {
            if (!std::binary_search(existing.tables.begin(), existing.tables.end(), name) &&
                !std::binary_search(existing.views.begin(), existing.views.end(), name)) {
                missing.push_back(name);
            }
        }
        if (!missing.empty()) {
            throw HostError(ExitCode::refused, fmt::format("no table {} in the database", bounded_list(missing)));
        }
    }
    return {session->database, read_schema(*session->connection, session->database, tables)};
}

}  // namespace migration_host
