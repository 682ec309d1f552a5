// The JSON shapes several commands share: a history row and the database a result is about.
// SPDX-License-Identifier: Apache-2.0
#include "command_line/result_json.hpp"

namespace migration_host {

using nlohmann::json;

json history_entry_json(const HistoryEntry& entry) {
    return {
        {"id", entry.id},
        {"track", entry.track},
        {"version", entry.version},
        {"direction", entry.direction},
        {"from_version", entry.from_version},
        {"to_version", entry.to_version},
        {"plugin_id", entry.plugin_id},
        {"plugin_version", entry.plugin_version},
        {"library_path", entry.library_path},
        {"checksum", entry.checksum},
        {"os_user", entry.os_user},
        {"host_name", entry.host_name},
        {"started_at", entry.started_at},
        {"finished_at", entry.finished_at},
        {"duration_ms", entry.duration_ms ? json(*entry.duration_ms) : json(nullptr)},
        {"outcome", entry.outcome},
        {"error", entry.error},
    };
}

json database_json(const DatabaseInfo& database) {
    json result = {{"dialect", database.dialect.name()},
                   {"dbms", database.dbms_name},
                   {"version", database.server_version},
                   {"server", database.server},
                   {"name", database.database_name}};
    // Only on a cluster, so that every other status keeps its shape.
    if (database.galera) {
        result["galera"] = {{"node", database.galera->node_name}, {"cluster_size", database.galera->cluster_size}};
    }
    return result;
}

std::string database_line(const DatabaseInfo& database) {
    return "Database: " + describe_connection(database);
}

}  // namespace migration_host
