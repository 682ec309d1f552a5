// Runs an action on a thread of its own at a deadline, unless destroyed first: the one watchdog the host uses.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

namespace migration_host {

// Bounds waits that nothing else bounds: a statement the driver will not time out (cancelled at its deadline), a
// server that never answers a connect or a cancellation (the run ends). Destroying it before the deadline stops
// and joins its thread, so the action never runs after the waiting code has moved on.
class Alarm {
public:
    using Clock = std::chrono::steady_clock;

    Alarm(Clock::time_point deadline, std::function<void()> action)
        : thread_([this, deadline, action = std::move(action)] {
              {
                  std::unique_lock lock(mutex_);
                  if (stopped_.wait_until(lock, deadline, [this] { return done_; })) return;
                  rang_ = true;
              }
              action();
          }) {}
    Alarm(const Alarm&) = delete;
    Alarm& operator=(const Alarm&) = delete;
    ~Alarm() {
        {
            std::lock_guard lock(mutex_);
            done_ = true;
        }
        stopped_.notify_one();
        thread_.join();
    }
    // Whether the deadline passed and the action was started.
    bool rang() {
        std::lock_guard lock(mutex_);
        return rang_;
    }

private:
    std::mutex mutex_;
    std::condition_variable stopped_;
    bool done_ = false;
    bool rang_ = false;
    std::thread thread_;  // last: starts after the members it uses exist
};

}  // namespace migration_host
