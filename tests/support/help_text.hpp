// What the real migration-host's --help says, for tests that check documents against it.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

namespace test_support {

// Whether `help` (the text of a --help) shows `option` ("--dsn") as an option of its own, not inside a longer one.
bool help_shows(const std::string& help, const std::string& option);

}  // namespace test_support
