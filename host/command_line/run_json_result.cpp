// Renders a run of upgrade, downgrade, stamp or repair as one JSON document on stdout (--format json).
// SPDX-License-Identifier: Apache-2.0
#include "command_line/run_json_result.hpp"

#include <string>
#include <type_traits>
#include <utility>

#include "command_line/output.hpp"
#include "command_line/result_json.hpp"

namespace migration_host {
namespace {

using nlohmann::json;

const char* direction_name(Direction direction) {
    return direction == Direction::upgrade ? "upgrade" : "downgrade";
}

json step_json(const StepDescription& step, const char* outcome, std::chrono::milliseconds duration) {
    return {{"track", step.track},
            {"version", step.version},
            {"from_version", step.from_version},
            {"to_version", step.to_version},
            {"direction", direction_name(step.direction)},
            {"name", step.name},
            {"plugin_id", step.plugin_id},
            {"plugin_version", step.plugin_version},
            {"outcome", outcome},
            {"duration_ms", duration.count()}};
}

json version_json(const std::string& track, std::int64_t version) {
    return {{"track", track}, {"version", version}};
}

}  // namespace

RunJsonResult::RunJsonResult(const std::string& command)
    : started_(std::chrono::steady_clock::now()),
      ended_(started_),
      document_({{"command", command},
                 {"database", nullptr},
                 {"outcome", nullptr},
                 {"steps", json::array()},
                 {"lock", nullptr},
                 {"tables_created", json::array()},
                 {"warnings", json::array()},
                 {"duration_ms", 0},
                 {"exit_code", 0},
                 {"error", nullptr}}) {}

void RunJsonResult::on_event(const RunEvent& event) {
    ended_ = event.at;
    std::visit(
        [&](const auto& what) {
            using Event = std::decay_t<decltype(what)>;
            if constexpr (std::is_same_v<Event, run_event::Started>) {
                document_["command"] = what.command;
                document_["database"] = database_json(what.database);
            } else if constexpr (std::is_same_v<Event, run_event::LockAcquired>) {
                const auto waited =
                    what.waited ? std::chrono::duration_cast<std::chrono::milliseconds>(*what.waited).count() : 0;
                document_["lock"] = {{"name", what.lock}, {"waited_ms", waited}};
            } else if constexpr (std::is_same_v<Event, run_event::TableCreated>) {
                document_["tables_created"].push_back(what.table);
            } else if constexpr (std::is_same_v<Event, run_event::StepResumed>) {
                resumed_ = json{{"after_statement", what.after ? json(*what.after) : json(nullptr)},
                                {"statements", what.statements}};
            } else if constexpr (std::is_same_v<Event, run_event::StepFinished>) {
                json step = step_json(what.step, "applied", what.duration);
                if (resumed_) step["resumed"] = *std::exchange(resumed_, std::nullopt);
                document_["steps"].push_back(std::move(step));
            } else if constexpr (std::is_same_v<Event, run_event::StepFailed>) {
                json step = step_json(what.step, "failed", what.duration);
                step["error"] = what.error;
                if (resumed_) step["resumed"] = *std::exchange(resumed_, std::nullopt);
                document_["steps"].push_back(std::move(step));
            } else if constexpr (std::is_same_v<Event, run_event::Warning>) {
                document_["warnings"].push_back(what.message);
            } else if constexpr (std::is_same_v<Event, run_event::UpToDate>) {
                document_["outcome"] = "up_to_date";
                json versions = json::array();
                for (const auto& [track, version] : what.versions) versions.push_back(version_json(track, version));
                document_["versions"] = std::move(versions);
            } else if constexpr (std::is_same_v<Event, run_event::AlreadyAt>) {
                document_["outcome"] = "already_at";
                document_["versions"] = json::array({version_json(what.track, what.version)});
            } else if constexpr (std::is_same_v<Event, run_event::VersionRecorded>) {
                document_["outcome"] = what.settled ? "repaired" : "stamped";
                json recorded = {
                    {"track", what.track}, {"from_version", what.from_version}, {"to_version", what.to_version}};
                if (what.settled) {
                    recorded["settled"] = {{"track", what.settled->track},
                                           {"version", what.settled->version},
                                           {"direction", direction_name(what.settled->direction)},
                                           {"done", what.settled_as_done}};
                }
                document_["recorded"] = std::move(recorded);
            } else if constexpr (std::is_same_v<Event, run_event::Finished>) {
                document_["outcome"] = "applied";
            } else if constexpr (std::is_same_v<Event, run_event::Failed>) {
                document_["outcome"] = "failed";
                document_["exit_code"] = what.exit_code;
                document_["error"] = what.message;
            }
        },
        event.what);
}

void RunJsonResult::print() const {
    json document = document_;
    document["duration_ms"] = std::chrono::duration_cast<std::chrono::milliseconds>(ended_ - started_).count();
    print_json(document);
}

}  // namespace migration_host
