// What a run leaves in a database that tests compare between runs: versions, history and the schema itself.
// SPDX-License-Identifier: Apache-2.0
#include "end_state.hpp"

#include <fmt/format.h>

#include "cinder_schema_check.hpp"

namespace test_support {

EndState end_state(const TestDatabase& db) {
    EndState state;
    for (const auto& row : db.query("SELECT repository_id, version FROM migrate_version ORDER BY repository_id")) {
        state.versions.push_back(fmt::format("{}@{}", row[0].value_or(""), row[1].value_or("")));
    }
    for (const auto& row :
         db.query("SELECT track, version, direction, outcome, checksum FROM migration_host_history ORDER BY id")) {
        state.history.push_back(fmt::format("{}@{} {} {} {}", row[0].value_or(""), row[1].value_or(""),
                                            row[2].value_or(""), row[3].value_or(""), row[4].value_or("")));
    }
    state.tables = describe_tables(read_tables(db));
    return state;
}

}  // namespace test_support
