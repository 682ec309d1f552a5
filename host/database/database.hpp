// Identifies the database behind a connection: dialect, DBMS version, current database name.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "database/dialect.hpp"
#include "database/odbc.hpp"

namespace migration_host {

struct DatabaseInfo {
    Dialect dialect;  // chosen once, from the DBMS name the driver reports
    std::string dbms_name;      // as the driver reports it
    std::string dbms_version;
    std::string database_name;  // "" for SQLite
    // As the server itself reports it (VERSION(), current_setting('server_version'), sqlite_version()), not the
    // driver's padded SQL_DBMS_VER ("10.11.000019").
    std::string server_version;
    // Which server answered: host and port (PostgreSQL as the server sees its own address; MySQL as the driver
    // describes the link, plus the server's port), or the SQLite file. Never holds credentials.
    std::string server;
    // A MariaDB Galera cluster node (@@wsrep_on = 1): its lock must be cluster-wide (engine/galera_lock.hpp).
    struct Galera {
        std::string node_name;     // @@wsrep_node_name: which node answered
        int cluster_size = 0;      // wsrep_cluster_size when connecting; 0 when unknown
    };
    std::optional<Galera> galera;
};

// One line for status: "MariaDB 10.11.6-MariaDB-0+deb12u1 at 127.0.0.1 via TCP/IP:3306, database cinder (dialect
// mysql)"; on Galera "MariaDB 10.11.19-MariaDB-0+deb12u1 Galera cluster (node node2 of 3) at ...".
std::string describe_connection(const DatabaseInfo& database);


DatabaseInfo describe_database(const odbc::Connection& connection);


// Whether a table of that name exists in the connection's current database/schema.
bool table_exists(const odbc::Connection& connection, const DatabaseInfo& database, const std::string& table);

}  // namespace migration_host
