// Renders a run's events: its results as text lines on stdout, its progress as log lines on stderr.
// SPDX-License-Identifier: Apache-2.0
#include "command_line/run_output.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <string>
#include <type_traits>

#include "command_line/logging.hpp"
#include "command_line/output.hpp"
#include "command_line/result_json.hpp"

namespace migration_host {
namespace {

std::string held_by(const std::optional<std::string>& holder) {
    return holder ? ", held by " + *holder : std::string();
}

double seconds(std::chrono::milliseconds duration) {
    return static_cast<double>(duration.count()) / 1000.0;
}

}  // namespace

void RunLog::on_event(const RunEvent& event) {
    std::visit(
        [](const auto& what) {
            using Event = std::decay_t<decltype(what)>;
            if constexpr (std::is_same_v<Event, run_event::LockWaiting>) {
                if (what.waited.count() == 0) {
                    spdlog::info("waiting up to {} s for the lock {}{}", what.timeout.count(), what.lock,
                                 held_by(what.holder));
                } else {
                    spdlog::info("still waiting for the lock {} after {} s of {}{}", what.lock, what.waited.count(),
                                 what.timeout.count(), held_by(what.holder));
                }
            } else if constexpr (std::is_same_v<Event, run_event::LockAcquired>) {
                if (what.waited) spdlog::info("got the lock {} after {:.1f} s", what.lock, what.waited->count());
                spdlog::debug("holding the run lock: {}", what.lock);
            } else if constexpr (std::is_same_v<Event, run_event::TableCreated>) {
                spdlog::info("created {}", what.table);
            } else if constexpr (std::is_same_v<Event, run_event::StepResumed>) {
                const StepDescription& step = what.step;
                set_log_step(step.track, step.version);
                if (what.after) {
                    spdlog::info("resuming {}@{} after statement {} of {}, recorded by the interrupted attempt",
                                 step.track, step.version, *what.after, what.statements);
                } else {
                    spdlog::info("running {}@{} again from its start: the interrupted attempt stopped partway, and "
                                 "the step is restartable",
                                 step.track, step.version);
                }
            } else if constexpr (std::is_same_v<Event, run_event::StepStarted>) {
                // Until the step ends, every log line (the plugin's too) is about it: JSON lines say which.
                set_log_step(what.step.track, what.step.version);
                spdlog::info("running {} from plugin {} {}", what.step.label, what.step.plugin_id,
                             what.step.plugin_version);
            } else if constexpr (std::is_same_v<Event, run_event::StepStillRunning>) {
                spdlog::info("still running {} ({} s){}", what.step.label, what.elapsed.count(),
                             what.waiting ? ": " + *what.waiting : std::string());
            } else if constexpr (std::is_same_v<Event, run_event::Warning>) {
                spdlog::warn("{}", what.message);
            } else if constexpr (std::is_same_v<Event, run_event::StepFinished> ||
                                 std::is_same_v<Event, run_event::StepFailed> ||
                                 std::is_same_v<Event, run_event::Finished> ||
                                 std::is_same_v<Event, run_event::Failed>) {
                clear_log_step();
            }
        },
        event.what);
}

RunTextResult::RunTextResult() {
    flush_every_line();
}

void RunTextResult::on_event(const RunEvent& event) {
    std::visit(
        [](const auto& what) {
            using Event = std::decay_t<decltype(what)>;
            if constexpr (std::is_same_v<Event, run_event::Started>) {
                // Before anything changes: which database this is, as status says it.
                print_line(database_line(what.database));
            } else if constexpr (std::is_same_v<Event, run_event::StepFinished>) {
                const StepDescription& step = what.step;
                print_line(fmt::format("{} {} {} -> {}: {} ({} {}) in {:.3f} s",
                                       step.direction == Direction::upgrade ? "Upgraded" : "Downgraded", step.track,
                                       step.from_version, step.to_version, step.name, step.plugin_id,
                                       step.plugin_version, seconds(what.duration)));
            } else if constexpr (std::is_same_v<Event, run_event::Finished>) {
                // The last line of every run that applied steps, upgrade or downgrade alike, so scripts read one
                // shape.
                print_line(fmt::format("Applied {} step{} in {:.3f} s.", what.steps, what.steps == 1 ? "" : "s",
                                       seconds(what.duration)));
            } else if constexpr (std::is_same_v<Event, run_event::UpToDate>) {
                std::string where;
                for (const auto& [track, version] : what.versions) {
                    where += fmt::format("{}{} at {}", where.empty() ? "" : ", ", track, version);
                }
                print_line(fmt::format("Nothing to do: already up to date ({}).", where.empty() ? "no tracks" : where));
            } else if constexpr (std::is_same_v<Event, run_event::AlreadyAt>) {
                print_line(fmt::format("Nothing to do: {} is already at version {}.", what.track, what.version));
            } else if constexpr (std::is_same_v<Event, run_event::VersionRecorded>) {
                if (!what.settled) {
                    print_line(fmt::format("Stamped {} at version {} (was {}); no step was run.", what.track,
                                           what.to_version, what.from_version));
                } else {
                    const StepDescription& step = *what.settled;
                    print_line(fmt::format("Repaired {}: {}@{} {} marked as {}; {} is at version {}.", what.track,
                                           step.track, step.version,
                                           step.direction == Direction::upgrade ? "upgrade" : "downgrade",
                                           what.settled_as_done ? "done" : "not done", what.track, what.to_version));
                }
            }
        },
        event.what);
}

}  // namespace migration_host
