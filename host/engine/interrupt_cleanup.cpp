// While verify holds a scratch: SIGINT and SIGTERM remove it before the process ends, whatever the steps are doing.
// SPDX-License-Identifier: Apache-2.0
#include "engine/interrupt_cleanup.hpp"

#include <fmt/format.h>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <utility>

#include "database/redact.hpp"

namespace migration_host {

InterruptCleanup::InterruptCleanup(std::string what, LastWords last_words)
    : what_(std::move(what)), last_words_(std::move(last_words)) {
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGINT);
    sigaddset(&signals_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals_, &previous_mask_);
    thread_ = std::thread([this] { wait_for_signal(); });
}

InterruptCleanup::~InterruptCleanup() {
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    // To this thread only: it takes the signal, sees stopping_ and returns. A real SIGTERM that it takes instead
    // after stopping_ was set is lost, and the process goes on to its end as if it had come a moment later.
    pthread_kill(thread_.native_handle(), SIGTERM);
    thread_.join();
    pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr);
}

void InterruptCleanup::set_cleanup(std::function<std::string()> cleanup) {
    const std::lock_guard<std::mutex> lock(mutex_);
    cleanup_ = std::move(cleanup);
}

void InterruptCleanup::exclusively(const std::function<void()>& work) {
    const std::lock_guard<std::mutex> lock(mutex_);
    work();
}

void InterruptCleanup::wait_for_signal() {
    int taken = 0;
    while (sigwait(&signals_, &taken) != 0) {
    }
    const std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return;
    const std::string name = taken == SIGINT ? "SIGINT" : "SIGTERM";
    spdlog::debug("{} interrupted by {}: removing what it must not leave behind", what_, name);
    const std::string done = cleanup_ ? cleanup_() : std::string();
    // The main thread may be anywhere (inside a plugin step): nothing is unwound, the process ends here.
    const std::string line =
        redact_secrets(fmt::format("{} interrupted by {}{}", what_, name, done.empty() ? "" : ": " + done));
    if (last_words_) {
        last_words_(line);
    } else {
        std::fprintf(stderr, "migration-host: error: %s\n", line.c_str());
    }
    std::fflush(stderr);
    spdlog::default_logger()->flush();
    _exit(128 + taken);
}

}  // namespace migration_host
