// Fuzz target: a version read from migrate_version is accepted exactly when it is the canonical text of a 64-bit integer.
// SPDX-License-Identifier: Apache-2.0
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/version_state.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto parsed = migration_host::parse_stored_version(text);
    // The model: what std::to_string prints for some int64 is accepted, and nothing else.
    std::int64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    const bool canonical = error == std::errc() && end == text.data() + text.size() && std::to_string(value) == text;
    fuzz::require(parsed.has_value() == canonical, "accepted exactly when canonical base-10 int64 text", text);
    if (parsed) fuzz::require(*parsed == value, "the value read is the value written", text);
    return 0;
}
