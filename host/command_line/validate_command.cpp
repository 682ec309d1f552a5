// The validate command: whether every applied step still matches the loaded plugins.
// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "bounded_list.hpp"
#include "command_line/cli.hpp"
#include "command_line/output.hpp"
#include "engine/validation.hpp"

namespace migration_host {
namespace {

using nlohmann::json;

void render_validation_text(const ValidateResult& result) {
    for (const auto& step : result.steps) {
        const std::string label = step.migration->label();
        switch (step.outcome) {
            case CheckedStep::Outcome::no_checksum_recorded:
                print_line(fmt::format("{}: no checksum recorded (applied before this host, or stamped)", label));
                break;
            case CheckedStep::Outcome::no_offline_checksum:
                print_line(fmt::format("{}: cannot compute a checksum offline; plugin should declare one", label));
                break;
            case CheckedStep::Outcome::ok:
                print_line(fmt::format("{}: ok ({})", label, step.current));
                break;
            case CheckedStep::Outcome::changed:
                print_line(fmt::format("{}: CHANGED: applied as {}, the loaded plugin now gives {}", label,
                                       step.recorded, step.current));
                break;
        }
    }
    for (const auto& unprovided : result.unprovided) {
        if (unprovided.first == unprovided.last) {
            print_line(fmt::format("{}: {}, but no loaded plugin provides it",
                                   VersionRef{unprovided.track, unprovided.first}.to_string(), unprovided.origin));
        } else {
            print_line(fmt::format("{} to {}: {} more applied steps that no loaded plugin provides",
                                   VersionRef{unprovided.track, unprovided.first}.to_string(),
                                   VersionRef{unprovided.track, unprovided.last}.to_string(),
                                   unprovided.last - unprovided.first + 1));
        }
    }
    if (result.changed_labels.empty() && result.unprovided_count == 0) {
        print_line(fmt::format("{} applied step{} verified.", result.verified, result.verified == 1 ? "" : "s"));
    }
}

const char* outcome_name(CheckedStep::Outcome outcome) {
    switch (outcome) {
        case CheckedStep::Outcome::ok:
            return "ok";
        case CheckedStep::Outcome::changed:
            return "changed";
        case CheckedStep::Outcome::no_checksum_recorded:
            return "no_checksum_recorded";
        case CheckedStep::Outcome::no_offline_checksum:
            return "no_offline_checksum";
    }
    return "?";
}

void render_validation_json(const ValidateResult& result) {
    json steps = json::array();
    for (const auto& step : result.steps) {
        steps.push_back({{"track", step.migration->ref.track},
                         {"version", step.migration->ref.version},
                         {"name", step.migration->name},
                         {"outcome", outcome_name(step.outcome)},
                         {"recorded_checksum", step.recorded.empty() ? json(nullptr) : json(step.recorded)},
                         {"current_checksum", step.current.empty() ? json(nullptr) : json(step.current)}});
    }
    json unprovided = json::array();
    for (const auto& range : result.unprovided) {
        json entry = {{"track", range.track}, {"from_version", range.first}, {"to_version", range.last}};
        entry["origin"] = range.origin.empty() ? json(nullptr) : json(range.origin);
        unprovided.push_back(entry);
    }
    print_json({{"valid", result.changed_labels.empty() && result.unprovided_count == 0},
                {"verified", result.verified},
                {"changed", result.changed_labels.size()},
                {"unprovided", result.unprovided_count},
                {"steps", steps},
                {"unprovided_steps", unprovided}});
}

}  // namespace

ExitCode run_validate(const Invocation& invocation) {
    const ValidateResult result =
        read_validation(plugin_options(invocation.global), connection_options(invocation.global));
    if (invocation.options.format == OutputFormat::json) {
        render_validation_json(result);
    } else {
        render_validation_text(result);
    }
    std::vector<std::string> problems;
    if (!result.changed_labels.empty()) {
        problems.push_back(fmt::format("{} applied step{} changed since applied: {}", result.changed_labels.size(),
                                       result.changed_labels.size() == 1 ? "" : "s",
                                       bounded_list(result.changed_labels)));
    }
    if (result.unprovided_count > 0) {
        problems.push_back(fmt::format("{} applied step{} that no loaded plugin provides: {}", result.unprovided_count,
                                       result.unprovided_count == 1 ? "" : "s",
                                       fmt::join(result.unprovided_labels, ", ")));
    }
    if (!problems.empty()) throw HostError(ExitCode::refused, fmt::format("{}", fmt::join(problems, "; ")));
    return ExitCode::success;
}

}  // namespace migration_host
