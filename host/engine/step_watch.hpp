// Reports a step that runs long: every few seconds, how long, and what it waits for where the database can tell.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "engine/run_events.hpp"
#include "engine/session.hpp"

namespace migration_host {

// While it lives (one step's run), reports run_event::StepStillRunning after `interval` and every `interval` after,
// from a thread of its own, so that a step waiting on another session's lock is never silent. On MySQL/MariaDB and
// PostgreSQL each report also says what the step's session waits for and who blocks it, asked on a second,
// read-only connection opened at the first report (database/session_waits.hpp). A step that ends within `interval`
// costs a thread start and nothing on the database.
class StepWatch {
public:
    static constexpr std::chrono::seconds default_interval{5};

    StepWatch(const Session& session, StepDescription step, const RunReporter& reporter,
              std::chrono::seconds interval = default_interval);
    StepWatch(const StepWatch&) = delete;
    StepWatch& operator=(const StepWatch&) = delete;
    ~StepWatch();

private:
    void watch();
    std::optional<std::string> what_it_waits_for();

    const Session& session_;
    StepDescription step_;
    const RunReporter& reporter_;
    std::chrono::seconds interval_;
    std::optional<std::string> session_id_;
    std::unique_ptr<odbc::Connection> observer_;
    bool observer_failed_ = false;
    std::mutex mutex_;
    std::condition_variable stop_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace migration_host
