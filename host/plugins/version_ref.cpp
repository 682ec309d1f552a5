// Parses and validates track names and TRACK@VERSION references.
// SPDX-License-Identifier: Apache-2.0
#include "plugins/version_ref.hpp"

#include <fmt/format.h>

#include <charconv>

#include "exit_codes.hpp"

namespace migration_host {
namespace {

std::optional<std::int64_t> parse_version(std::string_view text, std::int64_t min_version) {
    if (text.empty() || text.size() > 18) return std::nullopt;
    std::int64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || value < min_version) return std::nullopt;
    return value;
}

}  // namespace

bool is_valid_track_name(std::string_view track) {
    if (track.empty() || track.size() > 250) return false;
    const auto is_alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
    if (!is_alnum(track.front())) return false;
    for (char c : track) {
        if (!is_alnum(c) && c != '_' && c != '-' && c != '.') return false;
    }
    return true;
}

std::optional<VersionRef> parse_version_ref(std::string_view text, std::int64_t min_version) {
    const auto at = text.find('@');
    if (at == std::string_view::npos) return std::nullopt;
    const auto track = text.substr(0, at);
    if (!is_valid_track_name(track)) return std::nullopt;
    const auto version = parse_version(text.substr(at + 1), min_version);
    if (!version) return std::nullopt;
    return VersionRef{std::string(track), *version};
}

std::optional<UpgradeTarget> parse_upgrade_target(std::string_view text) {
    if (text.find('@') == std::string_view::npos) {
        if (!is_valid_track_name(text)) return std::nullopt;
        return UpgradeTarget{std::string(text), std::nullopt};
    }
    const auto ref = parse_version_ref(text, 0);
    if (!ref) return std::nullopt;
    return UpgradeTarget{ref->track, ref->version};
}

std::vector<UpgradeTarget> parse_upgrade_targets(const std::vector<std::string>& arguments) {
    std::vector<UpgradeTarget> targets;
    for (const auto& argument : arguments) {
        auto target = parse_upgrade_target(argument);
        if (!target) {
            throw HostError(ExitCode::usage,
                            fmt::format("invalid upgrade target '{}': expected TRACK or TRACK@VERSION", argument));
        }
        targets.push_back(std::move(*target));
    }
    return targets;
}

}  // namespace migration_host
