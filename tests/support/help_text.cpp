// What the real migration-host's --help says, for tests that check documents against it.
// SPDX-License-Identifier: Apache-2.0
#include "help_text.hpp"

#include <regex>

namespace test_support {

bool help_shows(const std::string& help, const std::string& option) {
    return std::regex_search(help, std::regex("(^|[\\s\\[])" + option + "($|[\\s=])"));
}

}  // namespace test_support
