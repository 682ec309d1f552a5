// What a run leaves in a database that tests compare between runs: versions, history and the schema itself.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

#include "test_database.hpp"

namespace test_support {

struct EndState {
    std::vector<std::string> versions;  // "track@version", by track
    std::vector<std::string> history;   // "track@version direction outcome checksum", in the order run
    std::vector<std::string> tables;    // describe_tables of the live schema
    friend bool operator==(const EndState&, const EndState&) = default;
};

EndState end_state(const TestDatabase& db);

}  // namespace test_support
