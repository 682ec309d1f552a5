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

namespace {

// A TRACK@... argument as written: the track, then a version, or a count of steps with its sign.
struct ParsedTarget {
    std::string track;
    std::optional<std::int64_t> version;
    char sign = 0;  // '+' or '-' for a count of steps (which may be 0 here: the caller says why it is refused)
    std::int64_t steps = 0;
};

// nullopt for text without '@', or with a bad track name or number.
std::optional<ParsedTarget> parse_target(std::string_view text) {
    const auto at = text.find('@');
    if (at == std::string_view::npos) return std::nullopt;
    ParsedTarget parsed;
    const auto track = text.substr(0, at);
    if (!is_valid_track_name(track)) return std::nullopt;
    parsed.track = std::string(track);
    auto number = text.substr(at + 1);
    if (!number.empty() && (number.front() == '+' || number.front() == '-')) {
        parsed.sign = number.front();
        const auto steps = parse_version(number.substr(1), 0);
        if (!steps) return std::nullopt;
        parsed.steps = *steps;
        return parsed;
    }
    parsed.version = parse_version(number, 0);
    if (!parsed.version) return std::nullopt;
    return parsed;
}

// Why `argument`, which parses, is no target for `command`, whose relative targets take `sign`; "" when it is one.
std::string relative_refusal(const ParsedTarget& parsed, const std::string& argument, std::string_view command,
                             char sign) {
    if (parsed.sign == 0) return "";
    if (parsed.steps == 0) {
        return fmt::format("a relative target moves at least one step ({}@{}1)", parsed.track, sign);
    }
    if (parsed.sign != sign) {
        const bool upgrading = command == "upgrade";
        return fmt::format("{} goes {} (TRACK@{}N); '{} {}' goes {}", command, upgrading ? "forward" : "back", sign,
                           upgrading ? "downgrade" : "upgrade", argument, upgrading ? "back" : "forward");
    }
    return "";
}

}  // namespace

std::string UpgradeTarget::to_string() const {
    if (version) return track + "@" + std::to_string(*version);
    if (steps_forward > 0) return track + "@+" + std::to_string(steps_forward);
    return track;
}

std::string DowngradeTarget::to_string() const {
    if (version) return track + "@" + std::to_string(*version);
    return track + "@-" + std::to_string(steps_back);
}

std::optional<UpgradeTarget> parse_upgrade_target(std::string_view text) {
    if (text.find('@') == std::string_view::npos) {
        if (!is_valid_track_name(text)) return std::nullopt;
        return UpgradeTarget{std::string(text), std::nullopt};
    }
    const auto parsed = parse_target(text);
    if (!parsed || !relative_refusal(*parsed, std::string(text), "upgrade", '+').empty()) return std::nullopt;
    return UpgradeTarget{parsed->track, parsed->version, parsed->sign == '+' ? parsed->steps : 0};
}

std::vector<UpgradeTarget> parse_upgrade_targets(const std::vector<std::string>& arguments) {
    std::vector<UpgradeTarget> targets;
    for (const auto& argument : arguments) {
        auto target = parse_upgrade_target(argument);
        if (!target) {
            const auto parsed = parse_target(argument);
            const std::string why = parsed ? relative_refusal(*parsed, argument, "upgrade", '+') : "";
            throw HostError(ExitCode::usage,
                            fmt::format("invalid upgrade target '{}': {}", argument,
                                        why.empty() ? "expected TRACK, TRACK@VERSION or TRACK@+N" : why));
        }
        targets.push_back(std::move(*target));
    }
    return targets;
}

std::optional<DowngradeTarget> parse_downgrade_target(std::string_view text) {
    const auto parsed = parse_target(text);
    if (!parsed || !relative_refusal(*parsed, std::string(text), "downgrade", '-').empty()) return std::nullopt;
    return DowngradeTarget{parsed->track, parsed->version, parsed->sign == '-' ? parsed->steps : 0};
}

DowngradeTarget parse_downgrade_target_argument(const std::string& argument) {
    if (auto target = parse_downgrade_target(argument)) return std::move(*target);
    const auto parsed = parse_target(argument);
    const std::string why = parsed ? relative_refusal(*parsed, argument, "downgrade", '-') : "";
    throw HostError(ExitCode::usage, fmt::format("invalid downgrade target '{}': {}", argument,
                                                 why.empty() ? "expected TRACK@VERSION or TRACK@-N" : why));
}

}  // namespace migration_host
