// What a named scratch (--scratch-dsn) holds besides verify's marker, and emptying it again after a verify.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "database/dialect.hpp"
#include "database/odbc.hpp"

namespace migration_host::named_scratch {

// Everything in a named scratch that verify would build over or remove (its own marker aside): what makes it not
// empty. "schema.name" on PostgreSQL.
std::vector<std::string> named_contents(const odbc::Connection& connection, const Dialect& dialect,
                                        const std::string& database_name);

// PostgreSQL: what a named scratch has before verify builds in it, and keeps: "schema:NAME", "extension:NAME".
std::vector<std::string> kept_by_named(const odbc::Connection& connection);

// Removes everything verify built in a named scratch, its marker last: a MySQL database's tables, views, routines
// and events; on PostgreSQL the extensions and schemas not in `kept`, then the relations, routines and types left in
// the kept schemas (members of an extension aside). Returns the first statement that failed, if any.
std::optional<std::string> empty_named(const odbc::Connection& connection, const Dialect& dialect,
                                       const std::string& database_name, const std::vector<std::string>& kept);

}  // namespace migration_host::named_scratch
