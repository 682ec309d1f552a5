// What Cinder 2013.1's original migrations 002-009 leave at each version, per database, and a catalog check against it.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <vector>

#include "cinder_schema_check.hpp"
#include "test_database.hpp"

namespace test_support {

// Every Cinder table at `version` (1-9) on `backend`, in name order.
std::vector<TableInfo> expected_grizzly_tables(Backend backend, int version);

// Catch2 checks: the database holds exactly those tables, with their columns, types,
// nullability, defaults, keys, foreign keys, indexes, CHECK constraints and, on MySQL,
// engine and collation.
void check_grizzly_schema(const TestDatabase& database, int version);

}  // namespace test_support
