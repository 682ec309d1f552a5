// What a fuzz target does when a property fails: print what broke and abort, which libFuzzer reports as a crash.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace fuzz {

inline void require(bool holds, const char* property, std::string_view input = {}) {
    if (holds) return;
    std::fprintf(stderr, "property failed: %s\ninput (%zu bytes): '%.*s'\n", property, input.size(),
                 static_cast<int>(input.size()), input.data());
    std::abort();
}

}  // namespace fuzz
