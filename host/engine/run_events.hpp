// What a run reports as it goes: events as plain values, each stamped with a monotonic time, for observers to render.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "database/database.hpp"
#include "engine/planner.hpp"

namespace migration_host {

// A step as the events carry it: a value, not a pointer into the catalog, so that an observer may keep it.
struct StepDescription {
    std::string track;
    std::int64_t version = 0;  // the migration's own version
    std::int64_t from_version = 0;
    std::int64_t to_version = 0;
    Direction direction = Direction::upgrade;
    std::string name;   // "004_volume_type_to_uuid"
    std::string label;  // "cinder@4 (004_volume_type_to_uuid)", with " downgrade" after it for a downgrade
    std::string plugin_id, plugin_version;

    static StepDescription of(const Step& step);
};

// The events, by phase and scope: the run (started, lock, finished or failed) and each step in it.
namespace run_event {

// The database the run works on, described before the run changes anything.
struct Started {
    std::string command;  // "upgrade", "downgrade", "stamp", "repair"
    DatabaseInfo database;
};
// Another run holds the lock: reported when the wait begins, then every few seconds while it lasts.
struct LockWaiting {
    std::string lock;  // e.g. "MySQL GET_LOCK('migration_host:cinder')"
    std::optional<std::string> holder;
    std::chrono::seconds waited{0};
    std::chrono::seconds timeout{0};
};
struct LockAcquired {
    std::string lock;
    std::optional<std::chrono::duration<double>> waited;  // none: it was free at once
};
// One of the host's own tables did not exist and was created.
struct TableCreated {
    std::string table;
};
struct StepStarted {
    StepDescription step;
};
// The step finishes a dirty track's interrupted attempt of it (MySQL/MariaDB), reported before StepStarted.
struct StepResumed {
    StepDescription step;
    // After that many statements of `statements`, which the interrupted attempt recorded as done; none: the step
    // is restartable and runs again from its start.
    std::optional<std::size_t> after;
    std::size_t statements = 0;
};
struct StepFinished {
    StepDescription step;
    std::chrono::milliseconds duration{0};
};
// The step has run for `elapsed` and has not ended: reported every few seconds from a watch thread (see StepWatch),
// with what its session waits for and who blocks it, where the database can tell.
struct StepStillRunning {
    StepDescription step;
    std::chrono::seconds elapsed{0};
    std::optional<std::string> waiting;
};
// How far the step has come, as its plugin reported it (mh_host_api.progress_report, ABI 1.4): the latest report,
// at most one every StepExecutor::progress_interval (200 ms) per step, on the run's thread, between the step's
// StepStarted and its StepFinished or StepFailed. Nothing is reported for a step whose plugin does not report.
struct StepProgress {
    StepDescription step;
    std::uint64_t done = 0;
    std::uint64_t total = 0;  // 0: the plugin does not know
    std::string unit;         // "rows", ...; "items" when the plugin gave none. Plugin text: escape it to show it
};
// The step failed; the run's own failure (its exit code and message) follows as Failed.
struct StepFailed {
    StepDescription step;
    std::string error;
    std::chrono::milliseconds duration{0};
};
// Something the operator should know that does not stop the run.
struct Warning {
    std::string message;
};
// An upgrade with no step to run: every track at the version it is at.
struct UpToDate {
    std::vector<std::pair<std::string, std::int64_t>> versions;
};
// A downgrade or stamp whose track is already at the version asked for.
struct AlreadyAt {
    std::string track;
    std::int64_t version = 0;
};
// A version recorded without running a step: stamp, or repair of a dirty track's unfinished step.
struct VersionRecorded {
    std::string direction;  // "stamp" or "repair"
    std::string track;
    std::int64_t from_version = 0;
    std::int64_t to_version = 0;
    // repair only: the unfinished step it settles (track@version and its direction) and whether it is now done.
    std::optional<StepDescription> settled;
    bool settled_as_done = false;
};
// Every planned step was applied.
struct Finished {
    std::size_t steps = 0;
    std::chrono::milliseconds duration{0};
};
// The run stopped: the error the host reports, with its exit code.
struct Failed {
    int exit_code = 0;
    std::string message;
};

}  // namespace run_event

using RunEventKind =
    std::variant<run_event::Started, run_event::LockWaiting, run_event::LockAcquired, run_event::TableCreated,
                 run_event::StepResumed, run_event::StepStarted, run_event::StepStillRunning, run_event::StepProgress,
                 run_event::StepFinished, run_event::StepFailed, run_event::Warning, run_event::UpToDate,
                 run_event::AlreadyAt, run_event::VersionRecorded, run_event::Finished, run_event::Failed>;

struct RunEvent {
    std::chrono::steady_clock::time_point at;
    RunEventKind what;
};

// Renders or records a run's events (text lines, the log, a JSON document, a fleet's live view). Observers only
// observe: they never change what the run does. Called one event at a time, in the order things happen: on the run's
// thread, except StepStillRunning, which comes from a watch thread while the run's thread is inside the step (and
// may come between two StepProgress of the step).
class RunObserver {
public:
    virtual ~RunObserver() = default;
    virtual void on_event(const RunEvent& event) = 0;
};

// Hands each event to every observer, stamped with the time it is reported at.
class RunReporter {
public:
    RunReporter() = default;
    explicit RunReporter(std::vector<RunObserver*> observers) : observers_(std::move(observers)) {}
    void add(RunObserver& observer) { observers_.push_back(&observer); }
    void report(RunEventKind what) const;

private:
    std::vector<RunObserver*> observers_;
    mutable std::mutex mutex_;  // one event at a time, whichever thread reports it
};

}  // namespace migration_host
