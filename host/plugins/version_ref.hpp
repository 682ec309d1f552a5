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

// "track", "track@version" (version >= 0) or "track@+N" (N >= 1): a target for upgrade. A relative target counts
// from the version the database has, which only the plan, reading it, knows.
struct UpgradeTarget {
    std::string track;
    std::optional<std::int64_t> version;  // none: the latest, or `steps_forward` past the database's version
    std::int64_t steps_forward = 0;       // TRACK@+N: N; 0 for any other form

    std::string to_string() const;  // as it was given (up to leading zeros)
};
std::optional<UpgradeTarget> parse_upgrade_target(std::string_view text);

// Every argument as an upgrade target; throws HostError(usage) naming the first malformed one, and saying why when
// it is a relative target that cannot be one (TRACK@-N, which goes back; TRACK@+0, which goes nowhere).
std::vector<UpgradeTarget> parse_upgrade_targets(const std::vector<std::string>& arguments);

// "track@version" (version >= 0) or "track@-N" (N >= 1): a target for downgrade, relative as UpgradeTarget's.
struct DowngradeTarget {
    std::string track;
    std::optional<std::int64_t> version;  // none: `steps_back` below the database's version
    std::int64_t steps_back = 0;          // TRACK@-N: N; 0 for TRACK@VERSION

    std::string to_string() const;  // as it was given (up to leading zeros)
};
std::optional<DowngradeTarget> parse_downgrade_target(std::string_view text);

// The argument as a downgrade target; throws HostError(usage) as parse_upgrade_targets does.
DowngradeTarget parse_downgrade_target_argument(const std::string& argument);

}  // namespace migration_host
