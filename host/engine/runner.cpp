// Carries out the commands that change the database (upgrade, downgrade, stamp, repair): the whole run, as events.
// SPDX-License-Identifier: Apache-2.0
#include "engine/runner.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "engine/locking.hpp"
#include "engine/offline.hpp"
#include "engine/step_journal.hpp"
#include "engine/step_progress.hpp"
#include "engine/step_transaction.hpp"
#include "engine/step_watch.hpp"
#include "engine/upgrade_checks.hpp"
#include "exit_codes.hpp"
#include "plugins/host_api.hpp"

namespace migration_host {
namespace {

using Clock = std::chrono::steady_clock;

std::int64_t milliseconds_since(Clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

std::unique_ptr<RunLock> lock_database(const Session& session, const RunRequest& request,
                                       const RunReporter& reporter) {
    return RunLock::acquire(*session.connection, session.database, request.lock_timeout, session.open_another,
                            reporter);
}

// Creates the version and history tables, before anything else is written.
void prepare_tables(const Session& session, const RunReporter& reporter) {
    if (session.versions().create_table_if_missing()) reporter.report(run_event::TableCreated{VersionStore::table_name});
    if (session.history().create_table_if_missing()) reporter.report(run_event::TableCreated{HistoryStore::table_name});
    session.history().add_journal_column_if_missing();
}

// Who runs this process, looked up once per run: getpwuid reads /etc/passwd (or asks NSS) on every call.
const RunBy& run_by() {
    static const RunBy once = current_run_by();
    return once;
}

HistoryEntry history_entry(const Step& step, const std::string& direction) {
    const Migration& migration = *step.migration;
    HistoryEntry entry;
    entry.track = migration.ref.track;
    entry.version = migration.ref.version;
    entry.direction = direction;
    entry.from_version = step.from_version();
    entry.to_version = step.to_version();
    entry.plugin_id = migration.plugin->id();
    entry.plugin_version = migration.plugin->version();
    entry.library_path = migration.plugin->path().string();
    entry.os_user = run_by().os_user;
    entry.host_name = run_by().host_name;
    entry.started_at = utc_now_iso8601();
    return entry;
}

// The step's own code, reported while it runs long (StepWatch) and not a moment after, with the progress it reports.
StepResult run_watched(StepExecutor& executor, mh_step_fn function, const std::string& library, const Session& session,
                       const StepDescription& description, const RunReporter& reporter) {
    const StepWatch watch(session, description, reporter);
    StepProgressReporter progress(description, reporter);
    struct ProgressFor {
        StepExecutor& executor;
        ~ProgressFor() { executor.set_progress_sink(nullptr); }
    } const progress_for_this_step{executor};
    executor.set_progress_sink(&progress);
    return executor.run(function, description.label, library);
}

// Runs one step and moves its track's version. Where DDL is transactional the
// step, its version update and its history row commit together, and a
// failure leaves only a "failed" history row. Elsewhere the history row is
// written "started" first, so that a crash or failure leaves the track dirty.
// A failure is reported with the step's own error first; a history row that
// cannot be written then is a further line, never a replacement. Returns the checksum recorded ("" for none).
std::string apply_step(const Session& session, const Step& step, const RunReporter& reporter,
                       const Resumption* resume = nullptr) {
    const Migration& migration = *step.migration;
    const bool upgrading = step.direction == Direction::upgrade;
    const std::string direction = upgrading ? "upgrade" : "downgrade";
    StepDescription description = StepDescription::of(step);
    const std::string& label = description.label;
    const VersionStore versions = session.versions();
    const HistoryStore history = session.history();
    HistoryEntry entry = history_entry(step, direction);
    if (upgrading) entry.checksum = step_checksum(migration, session.database);
    if (resume != nullptr) {
        std::optional<std::size_t> after;
        if (resume->kind == Resumption::Kind::after_statements) after = resume->journal.completed;
        reporter.report(run_event::StepResumed{description, after, resume->statements});
    }
    reporter.report(run_event::StepStarted{description});

    StepExecutor executor(session.connection.get(), session.database);
    const mh_step_fn function = upgrading ? migration.upgrade : migration.downgrade;
    const auto start = Clock::now();
    std::optional<std::string> failure;
    std::string aftermath;
    std::vector<std::string> further;

    if (session.database.dialect.transactional_ddl()) {
        StepTransaction transaction(*session.connection, session.database);
        const StepResult result =
            run_watched(executor, function, migration.plugin->path().string(), session, description, reporter);
        if (!result.succeeded) {
            failure = storable_error(result.error);
        } else if (auto broken = transaction.broken()) {
            failure = std::move(broken);
        } else {
            failure = versions.compare_and_set(migration.ref.track, step.from_version(), step.to_version());
        }
        if (!failure) {
            entry.outcome = "succeeded";
            entry.finished_at = utc_now_iso8601();
            entry.duration_ms = milliseconds_since(start);
            try {
                history.append(entry);
                transaction.commit();
            } catch (const odbc::Error& error) {
                if (transaction.committed()) {
                    // The step, its version and its history row are committed: only what came after failed.
                    const std::chrono::milliseconds duration(milliseconds_since(start));
                    reporter.report(run_event::StepFinished{description, duration});
                    throw HostError(ExitCode::step_failed,
                                    fmt::format("{} was applied and {} is at version {}, but the connection failed "
                                                "right after its commit: {}",
                                                label, migration.ref.track, step.to_version(), error.what()));
                }
                failure = fmt::format("recording it failed: {}", error.what());
            }
        }
        if (failure) {
            // Rolled back before the failure is recorded.
            const bool ended = transaction.roll_back();
            if (ended && !result.succeeded) {
                *failure += "; it had ended the host's transaction first (a step must not COMMIT or ROLLBACK)";
            }
            aftermath = ended ? "statements it ran may persist and the version was not moved" : "rolled back";
            entry.outcome = "failed";
            entry.finished_at = utc_now_iso8601();
            entry.duration_ms = milliseconds_since(start);
            entry.error = *failure;
            try {
                history.append(entry);
            } catch (const odbc::Error& error) {
                further.push_back(
                    fmt::format("could not record the failure in {}: {}", HistoryStore::table_name, error.what()));
            }
        }
    } else {
        // The history row first, so that a kill leaves the track dirty; then every statement through the journal.
        entry.outcome = "started";
        entry.statements_done = resume && resume->kind == Resumption::Kind::after_statements
                                    ? static_cast<std::int64_t>(resume->journal.completed)
                                    : 0;
        const auto id = history.append(entry);
        StepJournal journal(*session.connection, history, id,
                            resume && resume->kind == Resumption::Kind::after_statements ? resume->journal
                                                                                         : JournalResume{});
        executor.set_statement_gate(&journal);
        const StepResult result =
            run_watched(executor, function, migration.plugin->path().string(), session, description, reporter);
        const auto finish = [&](const std::string& outcome, const std::string& error) {
            history.finish(id, outcome, utc_now_iso8601(), milliseconds_since(start), error,
                           static_cast<std::int64_t>(journal.done()));
        };
        if (result.succeeded) {
            // The version and the row commit with the step's last data statements, or not at all: a kill between
            // them would leave the version moved and the row saying "started".
            try {
                journal.begin_final();
                failure = versions.compare_and_set(migration.ref.track, step.from_version(), step.to_version());
                if (!failure) {
                    finish("succeeded", "");
                    journal.commit();
                }
            } catch (const odbc::Error& error) {
                journal.roll_back();
                throw HostError(ExitCode::step_failed,
                                fmt::format("{} was applied, but {} and its {} row {} could not be recorded: {}; the "
                                            "track is dirty: run 'migration-host upgrade' again, or check the schema "
                                            "and run 'migration-host repair {}@{}'",
                                            label, migration.ref.track, HistoryStore::table_name, id, error.what(),
                                            migration.ref.track, step.to_version()));
            }
        } else {
            failure = storable_error(result.error);
        }
        if (failure) {
            journal.roll_back();
            try {
                finish("failed", *failure);
            } catch (const odbc::Error& error) {
                // A row left "started" for a step that failed would hide how it ended: without the text the
                // database refused, it may still be stored.
                try {
                    finish("failed", fmt::format("(the step's error could not be stored: {})", error.what()));
                    further.push_back(
                        fmt::format("the step's error could not be stored in {} row {} ({}); the row says "
                                    "failed without it",
                                    HistoryStore::table_name, id, error.what()));
                } catch (const odbc::Error& again) {
                    further.push_back(
                        fmt::format("could not record the failure in {} row {}, which still says "
                                    "started: {}",
                                    HistoryStore::table_name, id, again.what()));
                }
            }
        }
        aftermath =
            "statements before the failure stay applied (DDL commits implicitly here) and the track is "
            "dirty until 'migration-host repair'";
    }
    const std::chrono::milliseconds duration(milliseconds_since(start));
    if (failure) {
        reporter.report(run_event::StepFailed{description, *failure, duration});
        throw HostError(ExitCode::step_failed,
                        fmt::format("{} failed: {}; {}, {} stays at version {}", label, *failure, aftermath,
                                    migration.ref.track, step.from_version()),
                        std::move(further));
    }
    reporter.report(run_event::StepFinished{std::move(description), duration});
    return entry.checksum;
}

// After an upgrade (under its lock), the per-track summaries a later command reads instead of the history: extended
// by the steps this run applied where they were current, else made anew from the whole history the run read. Steps
// are done by now and the summary is a cache, so a summary that cannot be written is a warning: the next command
// reads the whole history, as when there is none.
void record_track_summaries(const Session& session, const DatabaseState& state,
                            const std::vector<std::pair<const Step*, std::string>>& applied,
                            const RunReporter& reporter) {
    std::map<std::string, TrackSummary> summaries;
    const bool extending = state.summaries.has_value();
    if (extending) {
        summaries = *state.summaries;
    } else {
        const AppliedSteps applied_steps(state.history);
        for (const auto& entry : state.history) {
            if (!summaries.count(entry.track)) {
                summaries[entry.track] = summarize_track(entry.track, version_of(state.versions, entry.track),
                                                         applied_steps);
            }
        }
    }
    std::set<std::string> touched;
    const AppliedSteps nothing_recorded({});
    for (const auto& [step, checksum] : applied) {
        const std::string& track = step->migration->ref.track;
        auto found = summaries.find(track);
        if (found == summaries.end()) {
            // No history row before this run: the versions it had were stamped, or set by another tool.
            found = summaries.emplace(track, summarize_track(track, step->from_version(), nothing_recorded)).first;
        }
        found->second.extend(step->to_version(), checksum);
        touched.insert(track);
    }
    const TrackSummaryStore store = session.track_summaries();
    try {
        const auto counts = store.history_counts();
        std::vector<TrackSummary> rows;
        for (auto& [track, summary] : summaries) {
            const auto count = counts.find(track);
            if (count == counts.end() || (extending && !touched.count(track))) continue;
            summary.history_rows = count->second.first;
            summary.last_id = count->second.second;
            rows.push_back(summary);
        }
        store.store(rows, !extending);
    } catch (const odbc::Error& error) {
        reporter.report(run_event::Warning{
            fmt::format("could not record the per-track summary of the history in {} ({}); the next command reads the "
                        "whole history instead",
                        TrackSummaryStore::table_name, error.what())});
    }
}

// Records a version without running anything (stamp, repair), with its history row. The row names the plugin of
// `unfinished` (the step a repair settles, which the loaded plugins may no longer provide), else the loaded plugin
// that provides the version.
void record_version(const Session& session, const std::string& direction, const std::string& track, std::int64_t from,
                    std::int64_t to, const Catalog& catalog, const HistoryEntry* unfinished = nullptr) {
    const VersionStore versions = session.versions();
    HistoryEntry entry;
    entry.track = track;
    entry.version = to;
    entry.direction = direction;
    entry.from_version = from;
    entry.to_version = to;
    if (unfinished != nullptr) {
        entry.plugin_id = unfinished->plugin_id;
        entry.plugin_version = unfinished->plugin_version;
        entry.library_path = unfinished->library_path;
    } else if (const Migration* migration = catalog.find({track, std::max<std::int64_t>(to, 1)})) {
        entry.plugin_id = migration->plugin->id();
        entry.plugin_version = migration->plugin->version();
        entry.library_path = migration->plugin->path().string();
    }
    entry.os_user = run_by().os_user;
    entry.host_name = run_by().host_name;
    entry.started_at = utc_now_iso8601();
    entry.finished_at = entry.started_at;
    entry.duration_ms = 0;
    entry.outcome = "succeeded";
    odbc::Transaction transaction(*session.connection);
    // MySQL counts changed rows only: setting the version it already has is no change.
    if (from != to) {
        if (const auto failure = versions.compare_and_set(track, from, to)) throw HostError(ExitCode::refused, *failure);
    }
    try {
        session.history().append(entry);
    } catch (const odbc::Error& error) {
        // E.g. a version stored beyond what the history's INTEGER columns hold on MySQL and PostgreSQL.
        throw HostError(ExitCode::refused,
                        fmt::format("cannot record the {} of {} from {} to {} in {}: {}; the "
                                    "version was not changed",
                                    direction, track, from, to, HistoryStore::table_name, error.what()));
    }
    transaction.commit();
}

void ensure_track_row(const Session& session, DatabaseState& state, const std::string& track,
                      const Catalog& catalog) {
    if (state.versions.count(track)) return;
    const Migration* first = catalog.find({track, 1});
    session.versions().add_track(track, first ? first->plugin->path().string() : "");
    state.versions[track] = 0;
}

}  // namespace

namespace {

void run_upgrade(const RunRequest& request, const LoadedCatalog& loaded, const Session& session,
                 const RunReporter& reporter) {
    // Plan once before waiting for the lock, so that an unknown track or version fails at once; plan again under the
    // lock from fresh state.
    plan_upgrade(loaded.catalog, read_versions(session, loaded.catalog), request.upgrade_targets);
    const auto lock = lock_database(session, request, reporter);
    DatabaseState state = read_state(session, loaded.catalog);
    const std::vector<Step> steps = plan_upgrade(loaded.catalog, state.versions, request.upgrade_targets);
    // What plan predicts, from the same code.
    refuse_upgrade(session, state, loaded.catalog, request.upgrade_targets, steps);
    for (auto& warning : changed_step_warnings(session, state, loaded.catalog)) {
        reporter.report(run_event::Warning{std::move(warning)});
    }
    if (steps.empty()) {
        run_event::UpToDate up_to_date;
        for (const auto& [track, migrations] : loaded.catalog.tracks()) {
            up_to_date.versions.emplace_back(track, version_of(state.versions, track));
        }
        // A history read whole for want of a current summary is summarized, so that the next run need not.
        if (!state.summaries && !state.history.empty()) record_track_summaries(session, state, {}, reporter);
        reporter.report(std::move(up_to_date));
        return;
    }
    auto resumed = resumptions(session, state, loaded.catalog, steps);
    prepare_tables(session, reporter);
    const auto start = Clock::now();
    std::vector<std::pair<const Step*, std::string>> applied;
    for (const auto& step : steps) {
        lock->require_held(step.migration->label());
        ensure_track_row(session, state, step.migration->ref.track, loaded.catalog);
        // Only the track's first step resumes: the interrupted attempt was of it.
        const auto resume = resumed.find(step.migration->ref.track);
        const Resumption* resuming = resume == resumed.end() ? nullptr : &resume->second;
        applied.emplace_back(&step, apply_step(session, step, reporter, resuming));
        if (resuming != nullptr) resumed.erase(resume);
    }
    record_track_summaries(session, state, applied, reporter);
    reporter.report(run_event::Finished{steps.size(), std::chrono::milliseconds(milliseconds_since(start))});
}

void run_downgrade(const RunRequest& request, const LoadedCatalog& loaded, const Session& session,
                   const RunReporter& reporter) {
    // The whole state, not just the versions: a history no command may act on is named before any plan error.
    const VersionMap before_lock = read_state(session, loaded.catalog).versions;
    plan_downgrade(loaded.catalog, before_lock, downgrade_goal(loaded.catalog, before_lock, request.downgrade_target));
    const auto lock = lock_database(session, request, reporter);
    const DatabaseState state = read_state(session, loaded.catalog);
    // A relative target counts from the version the lock holds still.
    const VersionRef target = downgrade_goal(loaded.catalog, state.versions, request.downgrade_target);
    const std::vector<Step> steps = plan_downgrade(loaded.catalog, state.versions, target);
    refuse_if_dirty(state, target.track);
    if (steps.empty()) {
        reporter.report(run_event::AlreadyAt{target.track, target.version});
        return;
    }
    require_history_room(session);
    prepare_tables(session, reporter);
    const auto start = Clock::now();
    for (const auto& step : steps) {
        lock->require_held(step.migration->label() + " downgrade");
        apply_step(session, step, reporter);
    }
    reporter.report(run_event::Finished{steps.size(), std::chrono::milliseconds(milliseconds_since(start))});
}

void run_stamp(const RunRequest& request, const LoadedCatalog& loaded, const Session& session,
               const RunReporter& reporter) {
    const VersionRef& target = request.target;
    const auto lock = lock_database(session, request, reporter);
    DatabaseState state = read_state(session, loaded.catalog);
    const auto from = version_of(state.versions, target.track);
    if (state.versions.count(target.track) && from == target.version) {
        reporter.report(run_event::AlreadyAt{target.track, target.version});
        return;
    }
    require_history_room(session);
    prepare_tables(session, reporter);
    ensure_track_row(session, state, target.track, loaded.catalog);
    record_version(session, "stamp", target.track, from, target.version, loaded.catalog);
    reporter.report(run_event::VersionRecorded{"stamp", target.track, from, target.version, std::nullopt, false});
}

void run_repair(const RunRequest& request, const LoadedCatalog& loaded, const Session& session,
                const RunReporter& reporter) {
    const VersionRef& target = request.target;
    const auto lock = lock_database(session, request, reporter);
    const DatabaseState state = read_state(session, loaded.catalog);
    const auto dirty = state.dirty.find(target.track);
    if (dirty == state.dirty.end()) {
        throw HostError(ExitCode::refused, fmt::format("track {} is not dirty: nothing to repair", target.track));
    }
    const HistoryEntry& attempt = dirty->second.attempt;
    if (target.version != attempt.from_version && target.version != attempt.to_version) {
        throw HostError(ExitCode::refused,
                        fmt::format("the unfinished step {}@{} {} moves {} from {} to {}: repair to {} (its changes are "
                                    "in place) or {} (they are not), not {}",
                                    attempt.track, attempt.version, attempt.direction, attempt.track,
                                    attempt.from_version, attempt.to_version, attempt.to_version,
                                    attempt.from_version, target.version));
    }
    const auto from = version_of(state.versions, target.track);
    require_history_room(session);
    record_version(session, "repair", target.track, from, target.version, loaded.catalog, &attempt);
    StepDescription settled;
    settled.track = attempt.track;
    settled.version = attempt.version;
    settled.from_version = attempt.from_version;
    settled.to_version = attempt.to_version;
    settled.direction = attempt.direction == "downgrade" ? Direction::downgrade : Direction::upgrade;
    reporter.report(run_event::VersionRecorded{"repair", target.track, from, target.version, std::move(settled),
                                               target.version == attempt.to_version});
}

}  // namespace

const char* command_name(RunRequest::Kind kind) {
    switch (kind) {
        case RunRequest::Kind::upgrade: return "upgrade";
        case RunRequest::Kind::downgrade: return "downgrade";
        case RunRequest::Kind::stamp: return "stamp";
        case RunRequest::Kind::repair: return "repair";
    }
    return "?";
}

void run_writing_command(const RunRequest& request, const RunReporter& reporter) {
    try {
        const LoadedCatalog loaded = load_catalog(request.plugins);
        if (request.kind == RunRequest::Kind::stamp) loaded.catalog.require_known(request.target);
        if (request.kind == RunRequest::Kind::repair) loaded.catalog.require_known({request.target.track, 0});
        const auto session = open_session(request.connection);
        reporter.report(run_event::Started{command_name(request.kind), session->database});
        switch (request.kind) {
            case RunRequest::Kind::upgrade: run_upgrade(request, loaded, *session, reporter); break;
            case RunRequest::Kind::downgrade: run_downgrade(request, loaded, *session, reporter); break;
            case RunRequest::Kind::stamp: run_stamp(request, loaded, *session, reporter); break;
            case RunRequest::Kind::repair: run_repair(request, loaded, *session, reporter); break;
        }
    } catch (const HostError& error) {
        reporter.report(run_event::Failed{static_cast<int>(error.code()), error.what()});
        throw;
    } catch (const odbc::Error& error) {
        // Worded as the top level's error line (host/top_level.cpp) words it.
        reporter.report(
            run_event::Failed{static_cast<int>(ExitCode::step_failed), std::string("database error: ") + error.what()});
        throw;
    } catch (const std::exception& error) {
        reporter.report(run_event::Failed{static_cast<int>(ExitCode::step_failed),
                                          std::string("unexpected error: ") + error.what()});
        throw;
    }
}

}  // namespace migration_host
