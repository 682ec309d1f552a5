// Reports a step that runs long: every few seconds, how long, and what it waits for where the database can tell.
// SPDX-License-Identifier: Apache-2.0
#include "engine/step_watch.hpp"

#include <spdlog/spdlog.h>

#include "database/session_waits.hpp"

namespace migration_host {

StepWatch::StepWatch(const Session& session, StepDescription step, const RunReporter& reporter,
                     std::chrono::seconds interval)
    : session_(session), step_(std::move(step)), reporter_(reporter), interval_(interval) {
    // Asked once per run, on the steps' connection while it is idle: the watch thread must not use it.
    if (!session_.server_session_id) {
        session_.server_session_id = server_session_id(*session_.connection, session_.database.dialect).value_or("");
    }
    if (!session_.server_session_id->empty()) session_id_ = session_.server_session_id;
    thread_ = std::thread([this] { watch(); });
}

StepWatch::~StepWatch() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    stop_.notify_one();
    thread_.join();
}

void StepWatch::watch() {
    const auto started = std::chrono::steady_clock::now();
    auto next = started + interval_;
    std::unique_lock lock(mutex_);
    while (!stop_.wait_until(lock, next, [this] { return stopping_; })) {
        lock.unlock();
        run_event::StepStillRunning event{
            step_, std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started),
            what_it_waits_for()};
        reporter_.report(std::move(event));
        next += interval_;
        lock.lock();
    }
}

std::optional<std::string> StepWatch::what_it_waits_for() {
    if (!session_id_ || observer_failed_) return std::nullopt;
    try {
        if (!observer_) {
            observer_ = session_.open_another();
            // It only reads; said to the server too, so that nothing done on it by mistake could write.
            observer_->execute(session_.database.dialect == schema::Dialect::postgresql
                                   ? "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"
                                   : "SET SESSION TRANSACTION READ ONLY");
        }
        return describe_session_wait(*observer_, session_.database.dialect, *session_id_);
    } catch (const std::exception& error) {
        // Once: a server that refused a connection will refuse the next report's too.
        observer_failed_ = true;
        spdlog::debug("cannot ask what {} waits for: {}", step_.label, error.what());
        return std::nullopt;
    }
}

}  // namespace migration_host
