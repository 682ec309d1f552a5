// The few SQL helpers a scratch's files share: quoting a database name, reading one value, the marker's name.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

#include "database/odbc.hpp"

namespace migration_host::scratch_sql {

// The table that marks a named scratch as in use by verify (a host table: never compared). A PostgreSQL one lists
// the schemas and extensions the scratch had before, which its clean-up keeps.
inline constexpr const char* marker_table = "migration_host_verify_scratch";

// A database name quoted for MySQL (backticks) or PostgreSQL (double quotes), whatever it holds.
inline std::string quoted_mysql(const std::string& name) {
    std::string result = "`";
    for (const char c : name) result += c == '`' ? std::string("``") : std::string(1, c);
    return result + "`";
}

inline std::string quoted_postgresql(const std::string& name) {
    std::string result = "\"";
    for (const char c : name) result += c == '"' ? std::string("\"\"") : std::string(1, c);
    return result + "\"";
}

// The first column of the first row, "" for none or NULL.
inline std::string first_value(const odbc::Connection& connection, const std::string& sql,
                               const std::vector<odbc::Parameter>& parameters = {}) {
    const auto rows = connection.query(sql, parameters);
    return rows.empty() || rows.front().empty() ? std::string() : rows.front().front().value_or("");
}

}  // namespace migration_host::scratch_sql
