// While verify holds a scratch: SIGINT and SIGTERM remove it before the process ends, whatever the steps are doing.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <csignal>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace migration_host {

// A signal handler can run no SQL, so the signals are blocked instead (in the constructing thread, and so in every
// thread it starts later) and taken by a thread of this object's with sigwait. On SIGINT or SIGTERM that thread runs
// the cleanup (which must work while the main thread is blocked in a plugin step), hands one line, e.g.
// "verify interrupted by SIGINT: removed its scratch database ...", to `last_words` (the command's rendering: the
// engine prints nothing itself), and ends the process with 128 + the signal (130, 143), as a shell reports a
// process the signal ended.
class InterruptCleanup {
public:
    using LastWords = std::function<void(const std::string& line)>;
    // `what` was interrupted, e.g. "verify". `last_words` is called from the signal thread, once, just before the
    // process ends; the line has its secrets redacted already. Empty: the line goes to stderr as it is.
    InterruptCleanup(std::string what, LastWords last_words);
    InterruptCleanup(const InterruptCleanup&) = delete;
    InterruptCleanup& operator=(const InterruptCleanup&) = delete;
    // Stops the thread and unblocks the signals: one that came meanwhile is then delivered and ends the process as
    // it would have.
    ~InterruptCleanup();

    // What to run on a signal: returns one line saying what it did ("" for nothing). Called under the lock that
    // `exclusively` takes, so never at the same time as the work given there.
    void set_cleanup(std::function<std::string()> cleanup);
    // Runs `work` (e.g. the normal removal of what the cleanup would remove) where no cleanup runs meanwhile.
    void exclusively(const std::function<void()>& work);

private:
    void wait_for_signal();

    std::string what_;
    LastWords last_words_;
    sigset_t signals_{};
    sigset_t previous_mask_{};
    std::mutex mutex_;
    std::function<std::string()> cleanup_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace migration_host
