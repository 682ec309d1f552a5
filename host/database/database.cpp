// Identifies the database behind a connection: dialect, DBMS version, current database name.
// SPDX-License-Identifier: Apache-2.0
#include "database/database.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <string>

namespace migration_host {

namespace {

// MySQL's error for a system variable it does not have (ER_UNKNOWN_SYSTEM_VARIABLE).
constexpr std::int32_t unknown_system_variable = 1193;

// MySQL itself has no @@wsrep_on (error 1193), MariaDB without a provider says 0. Any other failure is the
// connection's, and is no answer: taken for "not Galera", it would make a host on a cluster lock with GET_LOCK,
// which other nodes do not see.
std::optional<DatabaseInfo::Galera> describe_galera(const odbc::Connection& connection) {
    bool wsrep_on = false;
    const std::string probe = "SELECT @@wsrep_on";
    auto failed = connection.try_query(probe, {}, [&wsrep_on](const odbc::Row& row) {
        wsrep_on = !row.empty() && row[0] && *row[0] == "1";
        return false;
    });
    if (failed && failed->native_error != unknown_system_variable) {
        throw odbc::Error("query failed: " + probe, std::move(*failed));
    }
    if (failed || !wsrep_on) return std::nullopt;
    const auto rows = connection.query(
        "SELECT @@wsrep_node_name, (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
        "WHERE VARIABLE_NAME = 'WSREP_CLUSTER_SIZE')");
    DatabaseInfo::Galera galera;
    if (!rows.empty() && rows.front().size() >= 2) {
        galera.node_name = rows.front()[0].value_or("");
        const std::string size = rows.front()[1].value_or("");
        std::from_chars(size.data(), size.data() + size.size(), galera.cluster_size);
    }
    return galera;
}

}  // namespace

DatabaseInfo describe_database(const odbc::Connection& connection) {
    DatabaseInfo info;
    info.dbms_name = connection.info_string(SQL_DBMS_NAME);
    info.dbms_version = connection.info_string(SQL_DBMS_VER);
    info.dialect = Dialect::for_dbms(info.dbms_name);
    // The drivers disagree on SQL_DATABASE_NAME (MariaDB's may be stale after USE) and pad the version; ask the
    // server itself where it can tell, in one round trip.
    const auto column = [](const std::vector<odbc::Row>& rows, std::size_t index) {
        return rows.empty() || rows.front().size() <= index ? std::string() : rows.front()[index].value_or("");
    };
    if (info.dialect == schema::Dialect::mysql) {
        const auto rows = connection.query("SELECT DATABASE(), VERSION(), @@port");
        info.database_name = column(rows, 0);
        info.server_version = column(rows, 1);
        const std::string host = connection.info_string(SQL_SERVER_NAME);
        const std::string port = column(rows, 2);
        // A socket link ("localhost via UNIX socket") has no port to show.
        info.server = host.empty() || port.empty() || host.find(' ') != std::string::npos ? host : host + ":" + port;
        info.galera = describe_galera(connection);
    } else if (info.dialect == schema::Dialect::postgresql) {
        const auto rows = connection.query(
            "SELECT current_database(), current_setting('server_version'), inet_server_addr(), inet_server_port()");
        info.database_name = column(rows, 0);
        info.server_version = column(rows, 1);
        const std::string address = column(rows, 2);
        // NULL address: a Unix-domain socket.
        info.server = address.empty() ? std::string("local socket") : address + ":" + column(rows, 3);
    } else if (info.dialect == schema::Dialect::sqlite) {
        const auto rows = connection.query(
            "SELECT sqlite_version(), (SELECT file FROM pragma_database_list WHERE name = 'main')");
        info.server_version = column(rows, 0);
        info.server = column(rows, 1).empty() ? std::string("in memory") : column(rows, 1);
    } else {
        info.database_name = connection.info_string(SQL_DATABASE_NAME);
        info.server = connection.info_string(SQL_SERVER_NAME);
    }
    if (info.server_version.empty()) info.server_version = info.dbms_version;
    return info;
}

std::string describe_connection(const DatabaseInfo& database) {
    std::string text = database.dbms_name + " " + database.server_version;
    if (database.galera) {
        text += " Galera cluster (node " + database.galera->node_name;
        if (database.galera->cluster_size > 0) text += " of " + std::to_string(database.galera->cluster_size);
        text += ")";
    }
    if (!database.server.empty()) text += " at " + database.server;
    if (!database.database_name.empty()) text += ", database " + database.database_name;
    return text + " (dialect " + database.dialect.name() + ")";
}

bool table_exists(const odbc::Connection& connection, const DatabaseInfo& database, const std::string& table) {
    const auto query = database.dialect.table_exists_query();
    if (!query) {
        // Another DBMS: probing is the portable test. Only called outside a step's transaction, so a failed probe
        // aborts nothing.
        return !std::holds_alternative<odbc::Diagnostic>(connection.try_execute("SELECT 1 FROM " + table + " WHERE 1 = 0"));
    }
    return !connection.query(*query, {table}).empty();
}

}  // namespace migration_host
