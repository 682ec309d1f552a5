// Fuzz target: the strict numeric-option parser (parse_bounded_number) against an independent model of what it accepts.
// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "command_line/cli.hpp"
#include "fuzz_check.hpp"

namespace {

// Compares decimal digit strings without converting them (no overflow to get wrong twice).
int compare_decimal(std::string_view a, std::string_view b) {
    const auto strip = [](std::string_view digits) {
        const auto first = digits.find_first_not_of('0');
        return first == std::string_view::npos ? std::string_view() : digits.substr(first);
    };
    a = strip(a);
    b = strip(b);
    if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
    return a.compare(b) < 0 ? -1 : (a == b ? 0 : 1);
}

void check(std::string_view text, std::uint32_t min, std::uint32_t max) {
    const auto parsed = migration_host::parse_bounded_number(text, min, max);
    const bool all_digits =
        !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
    const bool in_range = all_digits && compare_decimal(text, std::to_string(min)) >= 0 &&
                          compare_decimal(text, std::to_string(max)) <= 0;
    fuzz::require(parsed.has_value() == in_range, "accepted exactly when all digits and within [min, max]", text);
    if (parsed) {
        fuzz::require(compare_decimal(text, std::to_string(*parsed)) == 0, "the value is the number written", text);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // The ranges the options use, then one chosen by the first 8 bytes.
    const std::string_view whole(reinterpret_cast<const char*>(data), size);
    check(whole, 1, 3600);
    check(whole, 0, 86400);
    if (size >= 8) {
        std::uint32_t bounds[2];
        std::memcpy(bounds, data, sizeof(bounds));
        check(whole.substr(8), std::min(bounds[0], bounds[1]), std::max(bounds[0], bounds[1]));
    }
    return 0;
}
