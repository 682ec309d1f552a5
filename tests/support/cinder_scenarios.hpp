// The cinder_initial scenarios every backend must pass, run through the real migration-host executable.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

#include "host_process.hpp"
#include "test_database.hpp"

namespace test_support {

// Runs migration-host against `database` with the cinder_initial plugin directory.
ProcessResult run_cinder(const TestDatabase& database, std::vector<std::string> arguments);
// The same with both Cinder plugins (cinder_initial and cinder_grizzly: versions 1-9); `dsn_suffix` adds driver
// options (e.g. ";FKSupport=1").
ProcessResult run_cinder_chain(const TestDatabase& database, std::vector<std::string> arguments,
                               const std::string& dsn_suffix = "");

// Rows for 004 to renumber, at cinder@1 to @3: 4 volume types (one unused), their extra specs, 5 volumes (one without
// a type) and 2 snapshots.
void populate_volume_types(const TestDatabase& database);

// Fresh database: upgrade applies cinder@1, leaves the seed's schema and version 1; status shows it.
void check_upgrade_creates_schema(const TestDatabase& database);
// Second upgrade: exit 0, says nothing to do, changes nothing.
void check_reupgrade_is_noop(const TestDatabase& database);
// downgrade cinder@0: exit 5 with the seed's message, nothing changed.
void check_downgrade_refused(const TestDatabase& database);
// A table already there: exit 1, version 0, the table logged, the rest rolled back where DDL is transactional.
void check_table_creation_failure(const TestDatabase& database);
// Tables the first step creates already there, but no version row: exit 5 with a hint to stamp; nothing changed.
void check_unversioned_tables_refused(const TestDatabase& database);

}  // namespace test_support
