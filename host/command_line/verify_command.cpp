// The verify command: every difference between the live schema and what the applied steps should have left.
// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "command_line/cli.hpp"
#include "command_line/output.hpp"
#include "engine/verification.hpp"

namespace migration_host {
namespace {

nlohmann::json database_json(const DatabaseInfo& database) {
    return {{"dialect", database.dialect.name()}, {"name", database.database_name}};
}

// "12 tables", "1 table and 1 view": views are named only where there are some.
std::string relation_count(const Schema& schema) {
    const auto count = [](std::size_t n, const char* noun) {
        return fmt::format("{} {}{}", n, noun, n == 1 ? "" : "s");
    };
    if (schema.views.empty()) return count(schema.tables.size(), "table");
    return count(schema.tables.size(), "table") + " and " + count(schema.views.size(), "view");
}

std::string applied_list(const std::vector<UpgradeTarget>& targets) {
    std::vector<std::string> labels;
    for (const auto& target : targets) labels.push_back(fmt::format("{}@{}", target.track, target.version.value_or(0)));
    return labels.empty() ? std::string("no applied steps") : fmt::format("{}", fmt::join(labels, ", "));
}

nlohmann::json differences_json(const std::vector<SchemaDifference>& differences) {
    nlohmann::json listed = nlohmann::json::array();
    for (const auto& difference : differences) {
        listed.push_back({{"table", difference.table},
                          {"kind", difference.kind},
                          {"object", difference.object},
                          {"attribute", difference.attribute},
                          {"expected", difference.expected},
                          {"found", difference.found},
                          {"message", difference.describe()}});
    }
    return listed;
}

nlohmann::json versions_json(const std::vector<UpgradeTarget>& targets) {
    nlohmann::json tracks = nlohmann::json::object();
    for (const auto& target : targets) tracks[target.track] = target.version.value_or(0);
    return tracks;
}

std::string step_label(const HistoryEntry& attempt) {
    return fmt::format("{}@{} {}", attempt.track, attempt.version, attempt.direction);
}

// "cinder@8 upgrade done", "cinder@8 upgrade not done, manila@3 upgrade done"
std::string candidate_label(const VerifyResult& result, const DirtyCandidate& candidate) {
    std::vector<std::string> parts;
    for (std::size_t i = 0; i < result.dirty.size(); ++i) {
        parts.push_back(step_label(result.dirty[i].attempt) + (candidate.done[i] ? " done" : " not done"));
    }
    return fmt::format("{}", fmt::join(parts, ", "));
}

std::string repair_commands(const std::vector<VersionRef>& repairs) {
    std::vector<std::string> commands;
    for (const auto& repair : repairs) {
        commands.push_back(fmt::format("'migration-host repair {}'", repair.to_string()));
    }
    return fmt::format("{}", fmt::join(commands, " and "));
}

std::string leave(const std::vector<UpgradeTarget>& applied) {
    return fmt::format("what {} leave{}", applied_list(applied), applied.size() == 1 ? "s" : "");
}

nlohmann::json dirty_json(const VerifyResult& result) {
    nlohmann::json steps = nlohmann::json::array();
    for (std::size_t i = 0; i < result.dirty.size(); ++i) {
        const DirtyTrack& dirty = result.dirty[i];
        const HistoryEntry& attempt = dirty.attempt;
        steps.push_back({{"track", attempt.track},
                         {"version", attempt.version},
                         {"direction", attempt.direction},
                         {"outcome", attempt.outcome},
                         {"from_version", attempt.from_version},
                         {"to_version", attempt.to_version},
                         {"message", dirty.describe()},
                         {"resumable", static_cast<bool>(result.resumable[i])}});
    }
    return steps;
}

nlohmann::json candidates_json(const VerifyResult& result) {
    nlohmann::json candidates = nlohmann::json::array();
    for (std::size_t i = 0; i < result.candidates.size(); ++i) {
        const DirtyCandidate& candidate = result.candidates[i];
        nlohmann::json done = nlohmann::json::object();
        for (std::size_t d = 0; d < result.dirty.size(); ++d) done[result.dirty[d].attempt.track] = candidate.done[d];
        nlohmann::json repair = nlohmann::json::array();
        for (const auto& target : candidate.repairs) repair.push_back(target.to_string());
        candidates.push_back({{"done", std::move(done)},
                              {"applied", versions_json(candidate.applied)},
                              {"repair", std::move(repair)},
                              {"expected_tables", candidate.expected.tables.size()},
                              {"expected_views", candidate.expected.views.size()},
                              {"matches", candidate.differences.empty()},
                              {"differences", differences_json(candidate.differences)}});
    }
    return candidates;
}

// Each candidate with its differences, or that the database is exactly it.
void print_candidates(const VerifyResult& result) {
    for (const auto& dirty : result.dirty) print_line("Dirty: " + dirty.describe());
    for (const auto& candidate : result.candidates) {
        print_line(fmt::format("Expected with {}: {} ({})", candidate_label(result, candidate),
                               leave(candidate.applied), candidate.built_in));
        for (const auto& difference : candidate.differences) print_line("  " + difference.describe());
        if (candidate.differences.empty()) {
            print_line(fmt::format("  Match: the database has exactly the {} these steps create.",
                                   relation_count(candidate.expected)));
        }
    }
}

// The verdict on dirty tracks: which repair the live schema calls for, or why none can be named.
std::string repair_verdict(const VerifyResult& result, const std::string& listed) {
    std::vector<std::string> tracks;
    for (const auto& dirty : result.dirty) tracks.push_back(dirty.attempt.track);
    const std::string subject = tracks.size() == 1 ? fmt::format("track {} is dirty", tracks.front())
                                                   : fmt::format("tracks {} are dirty", fmt::join(tracks, " and "));
    if (result.matching.size() == 1) {
        const DirtyCandidate& match = result.candidates[result.matching.front()];
        return fmt::format("{}, and the live schema is exactly {} ({}): run {}", subject, leave(match.applied),
                           candidate_label(result, match), repair_commands(match.repairs));
    }
    if (!result.matching.empty()) {
        return fmt::format(
            "{}, and the live schema is exactly what each of {} candidates leaves (listed {}): the "
            "unfinished step{} change{} nothing verify compares; check by hand whether {} in place, "
            "then run 'migration-host repair' to the step's target version if so, its start if not",
            subject, result.matching.size(), listed, tracks.size() == 1 ? "" : "s", tracks.size() == 1 ? "s" : "",
            tracks.size() == 1 ? "its changes are" : "each one's are");
    }
    if (result.candidates.size() == 2) {
        const DirtyCandidate& not_done = result.candidates[0];
        const DirtyCandidate& done = result.candidates[1];
        const auto count = [](const DirtyCandidate& candidate) {
            const std::size_t n = candidate.differences.size();
            return fmt::format("{} difference{}", n, n == 1 ? "" : "s");
        };
        return fmt::format(
            "{}, and the live schema is neither {} ({}: {}) nor {} ({}: {}), listed {}: complete or "
            "undo the step's changes by hand, then run {} (done) or {} (not done)",
            subject, leave(not_done.applied), candidate_label(result, not_done), count(not_done), leave(done.applied),
            candidate_label(result, done), count(done), listed, repair_commands(done.repairs),
            repair_commands(not_done.repairs));
    }
    return fmt::format(
        "{}, and the live schema is none of the {} combinations of their unfinished steps done and not "
        "done (differences listed {}): make it one of them by hand, then run 'migration-host repair' "
        "on each track to the version that combination names",
        subject, result.candidates.size(), listed);
}

// The verdict, as the error line; where `upgrade` would finish an interrupted step by itself, that is said too: unlike
// repair, it runs the rest of the step, data changes that verify cannot see included.
std::string dirty_verdict(const VerifyResult& result, const std::string& listed) {
    std::vector<std::string> resumable;
    for (std::size_t i = 0; i < result.dirty.size(); ++i) {
        if (result.resumable[i]) resumable.push_back(step_label(result.dirty[i].attempt));
    }
    if (resumable.empty()) return repair_verdict(result, listed);
    return fmt::format("{}; or run 'migration-host upgrade', which finishes the interrupted {} from where {} stopped",
                       repair_verdict(result, listed), fmt::join(resumable, " and "),
                       resumable.size() == 1 ? "it" : "each");
}

}  // namespace

ExitCode run_verify(const Invocation& invocation) {
    VerifyRequest request;
    request.plugins = plugin_options(invocation.global);
    request.connection = connection_options(invocation.global);
    if (invocation.global.scratch_dsn)
        request.scratch = ConnectionTarget::parse(*invocation.global.scratch_dsn, "--scratch-dsn");
    request.lock_timeout_seconds = invocation.global.lock_timeout_seconds;
    request.interrupted = [](const std::string& line) { print_error_line(line); };
    const VerifyResult result = verify_schema(request);
    const std::string applied = applied_list(result.applied);

    const bool as_json = invocation.options.format == OutputFormat::json;
    if (as_json) {
        nlohmann::json repair = nullptr;
        if (result.matching.size() == 1) {
            repair = nlohmann::json::array();
            for (const auto& target : result.candidates[result.matching.front()].repairs) {
                repair.push_back(target.to_string());
            }
        }
        print_json({{"database", database_json(result.database)},
                    {"applied", versions_json(result.applied)},
                    {"expected_tables", result.expected.tables.size()},
                    {"expected_views", result.expected.views.size()},
                    {"run_in_progress", result.run_in_progress},
                    {"clean", result.differences.empty() && result.dirty.empty()},
                    {"differences", differences_json(result.differences)},
                    {"dirty", dirty_json(result)},
                    {"candidates", candidates_json(result)},
                    {"repair", std::move(repair)}});
    } else {
        if (result.run_in_progress) {
            print_line(
                "note: another migration-host is running against this database; its steps may be changing "
                "the schema being compared");
        }
        if (!result.dirty.empty()) {
            print_candidates(result);
        } else {
            print_line(fmt::format("Expected: {} ({})", leave(result.applied), result.built_in));
            for (const auto& difference : result.differences) print_line(difference.describe());
            if (result.differences.empty()) {
                print_line(fmt::format("No drift: the database has exactly the {} the applied steps create.",
                                       relation_count(result.expected)));
            }
        }
    }
    const std::string listed = as_json ? "in the JSON" : "above";
    if (!result.dirty.empty()) throw HostError(ExitCode::refused, dirty_verdict(result, listed));
    if (!result.differences.empty()) {
        throw HostError(
            ExitCode::refused,
            fmt::format("schema drift: {} difference{} from what {} should have left (listed {})",
                        result.differences.size(), result.differences.size() == 1 ? "" : "s", applied, listed));
    }
    return ExitCode::success;
}

}  // namespace migration_host
