// Identifies the database behind a connection: dialect, DBMS version, current database name.
// SPDX-License-Identifier: Apache-2.0
#include "database/database.hpp"

#include <algorithm>
#include <cctype>

namespace migration_host {

std::string dialect_for_dbms(std::string_view dbms_name) {
    std::string lower(dbms_name);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower.find("sqlite") != std::string::npos) return "sqlite";
    if (lower.find("mysql") != std::string::npos || lower.find("mariadb") != std::string::npos) return "mysql";
    if (lower.find("postgres") != std::string::npos) return "postgresql";
    return lower;
}

DatabaseInfo describe_database(const odbc::Connection& connection) {
    DatabaseInfo info;
    info.dbms_name = connection.info_string(SQL_DBMS_NAME);
    info.dbms_version = connection.info_string(SQL_DBMS_VER);
    info.dialect = dialect_for_dbms(info.dbms_name);
    // The drivers disagree on SQL_DATABASE_NAME (MariaDB's may be stale after
    // USE); ask the server itself where it can tell.
    std::string current_database_query;
    if (info.dialect == "mysql") current_database_query = "SELECT DATABASE()";
    if (info.dialect == "postgresql") current_database_query = "SELECT current_database()";
    if (!current_database_query.empty()) {
        const auto rows = connection.query(current_database_query);
        if (!rows.empty() && !rows.front().empty() && rows.front().front()) info.database_name = *rows.front().front();
    } else if (info.dialect != "sqlite") {
        info.database_name = connection.info_string(SQL_DATABASE_NAME);
    }
    return info;
}

bool has_transactional_ddl(const DatabaseInfo& database) {
    return database.dialect == "sqlite" || database.dialect == "postgresql";
}

bool table_exists(const odbc::Connection& connection, const DatabaseInfo& database, const std::string& table) {
    std::string sql;
    if (database.dialect == "sqlite") {
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?";
    } else if (database.dialect == "mysql") {
        sql = "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?";
    } else if (database.dialect == "postgresql") {
        sql = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
              "AND table_name = ?";
    } else {
        // Unknown DBMS: probing is the portable test. Only called outside a
        // step's transaction, so a failed probe aborts nothing.
        return !std::holds_alternative<odbc::Diagnostic>(connection.try_execute("SELECT 1 FROM " + table + " WHERE 1 = 0"));
    }
    return !connection.query(sql, {table}).empty();
}

}  // namespace migration_host
