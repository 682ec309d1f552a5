// Parses and validates track names and TRACK@VERSION references.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace migration_host {

struct VersionRef {
    std::string track;
    std::int64_t version = 0;

    std::string to_string() const { return track + "@" + std::to_string(version); }
    friend bool operator==(const VersionRef&, const VersionRef&) = default;
    friend auto operator<=>(const VersionRef&, const VersionRef&) = default;
};

// Lower-case letters, digits, '_', '-', '.'; starts with a letter or digit; 1..250 chars
// (the width of migrate_version.repository_id).
bool is_valid_track_name(std::string_view track);

// "track@version" with version >= min_version. Returns nullopt when malformed.
std::optional<VersionRef> parse_version_ref(std::string_view text, std::int64_t min_version);

// "track" or "track@version" (version >= 0): a target for upgrade.
struct UpgradeTarget {
    std::string track;
    std::optional<std::int64_t> version;
};
std::optional<UpgradeTarget> parse_upgrade_target(std::string_view text);

// Every argument as an upgrade target; throws HostError(usage) naming the first malformed one.
std::vector<UpgradeTarget> parse_upgrade_targets(const std::vector<std::string>& arguments);

}  // namespace migration_host
