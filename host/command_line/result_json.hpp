// The JSON shapes several commands share: a history row and the database a result is about.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "database/database.hpp"
#include "engine/history.hpp"

namespace migration_host {

nlohmann::json history_entry_json(const HistoryEntry& entry);
// dialect, dbms, version, server, name, and galera on a cluster only.
nlohmann::json database_json(const DatabaseInfo& database);
// status's "Database: ..." line: which database the results are about.
std::string database_line(const DatabaseInfo& database);

}  // namespace migration_host
