// Identifies the database behind a connection: dialect, DBMS version, current database name.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

#include "database/odbc.hpp"

namespace migration_host {

struct DatabaseInfo {
    std::string dialect;        // "sqlite", "mysql", "postgresql", or the lower-cased DBMS name
    std::string dbms_name;      // as the driver reports it
    std::string dbms_version;
    std::string database_name;  // "" for SQLite
};

// "MariaDB"/"MySQL" -> "mysql", "SQLite" -> "sqlite", "PostgreSQL" -> "postgresql",
// anything else lower-cased.
std::string dialect_for_dbms(std::string_view dbms_name);

DatabaseInfo describe_database(const odbc::Connection& connection);

// Where DDL is transactional (SQLite, PostgreSQL), a step and its version
// update commit together; elsewhere DDL commits implicitly.
bool has_transactional_ddl(const DatabaseInfo& database);

// Whether a table of that name exists in the connection's current database/schema.
bool table_exists(const odbc::Connection& connection, const DatabaseInfo& database, const std::string& table);

}  // namespace migration_host
