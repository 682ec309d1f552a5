// A schema as the host's catalog reader reads it, one line per fact: two schemas differ in the lines that differ.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

#include "database/schema_catalog.hpp"
#include "test_database.hpp"

namespace test_support {

// Everything the reader says, the names of keys and indexes included (verify leaves a foreign key's name out of its
// comparison; here it counts).
std::vector<std::string> schema_lines(const migration_host::Schema& schema);

// The schema of `database` without the host's own tables, as exactly as the test can read it: schema_lines of what
// the reader reads, then what it does not read: on SQLite each table's and index's own CREATE text (sqlite_master),
// on MySQL and PostgreSQL each CHECK constraint.
std::vector<std::string> database_schema_lines(const TestDatabase& database);

}  // namespace test_support
