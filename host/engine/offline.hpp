// Runs a step offline (statements recorded, not executed): step checksums, and the tables a first step would create.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "database/database.hpp"
#include "plugins/host_api.hpp"
#include "plugins/plugin_loader.hpp"

namespace migration_host {

struct OfflineRender {
    bool succeeded = false;
    std::vector<std::string> statements;  // bound values in a comment beside each statement that has some
    std::vector<RecordedStatement> issued;  // the same statements, values apart
    std::string error;  // why the step could not run offline (e.g. it queries)
    // The step asked for a query, which offline is refused: when it then failed, it needs a connection; otherwise
    // its failure is its own, as it would be live.
    bool query_refused = false;
};

// Whether `statement`, recorded offline, is a guard (MH_OFFLINE_GUARD_MARKER): SQL that stops a script where the
// step would refuse online. Guards are not part of a step's checksum.
bool is_offline_guard(std::string_view statement);

// The statements `migration`'s upgrade issues for this kind of database,
// without a connection. The step sees the dialect and DBMS name only: an
// empty database name and version, so that nothing rendered offline depends
// on which copy of the database, or which server release, it is. Only a
// script rendered for a DBA gives a `database_name` (sql --database), never a
// checksum.
OfflineRender render_upgrade_offline(const Migration& migration, const DatabaseInfo& database,
                                     std::string_view database_name = {});
// The same for `migration`'s downgrade.
OfflineRender render_downgrade_offline(const Migration& migration, const DatabaseInfo& database,
                                       std::string_view database_name = {});

// The plugin's own checksum when it gives one; otherwise "crc32:<hex>" of the
// statements the upgrade renders offline for this kind of database (the same
// for every database name and server version); "" when it cannot run offline.
std::string step_checksum(const Migration& migration, const DatabaseInfo& database);

// Whether a checksum recorded when the step was applied still describes the
// loaded step, whose step_checksum is `current`. Compare through this, not
// with ==: a recorded checksum may come from an earlier way of computing it.
bool checksum_matches(const std::string& recorded, const std::string& current, const Migration& migration,
                      const DatabaseInfo& database);

// Table names from the CREATE TABLE statements among `statements`, unquoted.
std::vector<std::string> tables_created_by(const std::vector<std::string>& statements);

}  // namespace migration_host
