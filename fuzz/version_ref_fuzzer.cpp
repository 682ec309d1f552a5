// Fuzz target: TRACK@VERSION, upgrade and downgrade targets (version_ref) never crash; what is accepted is valid and round-trips.
// SPDX-License-Identifier: Apache-2.0
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "exit_codes.hpp"
#include "fuzz_check.hpp"
#include "plugins/version_ref.hpp"

using namespace migration_host;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    for (const std::int64_t min_version : {std::int64_t{0}, std::int64_t{1}}) {
        const auto ref = parse_version_ref(text, min_version);
        if (!ref) continue;
        fuzz::require(is_valid_track_name(ref->track), "an accepted reference has a valid track name", text);
        fuzz::require(ref->version >= min_version, "an accepted version is at least the minimum", text);
        fuzz::require(text.substr(0, ref->track.size()) == ref->track && text[ref->track.size()] == '@',
                      "the track is the text before '@'", text);
        fuzz::require(parse_version_ref(ref->to_string(), min_version) == ref, "to_string() parses back", text);
    }
    if (const auto target = parse_upgrade_target(text)) {
        fuzz::require(is_valid_track_name(target->track), "an accepted target has a valid track name", text);
        fuzz::require(!target->version || *target->version >= 0, "an upgrade target's version is not negative", text);
        fuzz::require(target->steps_forward >= 0, "a count of steps forward is not negative", text);
        fuzz::require(
            (target->version.has_value() || target->steps_forward > 0) == (text.find('@') != std::string_view::npos),
            "a version or a count of steps exactly when the text has '@'", text);
        fuzz::require(!(target->version && target->steps_forward > 0), "a version or a count, never both", text);
    }
    if (const auto target = parse_downgrade_target(text)) {
        fuzz::require(is_valid_track_name(target->track), "an accepted downgrade target has a valid track name", text);
        fuzz::require(target->version.has_value() != (target->steps_back > 0),
                      "a downgrade target has a version or a count of steps back, not both", text);
        fuzz::require(!target->version || *target->version >= 0, "a downgrade target's version is not negative", text);
        fuzz::require(parse_downgrade_target(target->to_string())->to_string() == target->to_string(),
                      "to_string() parses back", text);
    }
    try {
        static_cast<void>(parse_downgrade_target_argument(std::string(text)));
    } catch (const HostError& error) {
        fuzz::require(error.code() == ExitCode::usage, "a malformed downgrade target is a usage error", text);
    }
    try {
        const auto targets = parse_upgrade_targets({std::string(text)});
        fuzz::require(targets.size() == 1, "one argument, one target", text);
    } catch (const HostError& error) {
        fuzz::require(error.code() == ExitCode::usage, "a malformed target is a usage error", text);
    }
    return 0;
}
