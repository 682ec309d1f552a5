// The live schema as the database's catalog has it, for the inspect command: every table and view, or those named.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

#include "database/schema_catalog.hpp"
#include "engine/session.hpp"

namespace migration_host {

struct InspectResult {
    DatabaseInfo database;
    Schema schema;
};

// Reads only, and creates nothing. A name in `tables` (a table or a view) that the database does not have is the
// database's state, not a usage error: throws HostError(refused) naming every one of them.
InspectResult inspect_schema(const ConnectionOptions& connection, const std::vector<std::string>& tables);

}  // namespace migration_host
