// Runs the real migration-host on a pseudo-terminal, as an operator's shell would, and keeps what it draws there.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sys/types.h>

#include <chrono>
#include <mutex>
#include <string>
#include <thread>

#include "host_process.hpp"

namespace test_support {

// A migration-host started on a new pseudo-terminal (openpty; 100 columns, 24 rows) as its controlling terminal and
// its stdin, stdout and stderr, with run_host's environment rules (set TERM, and NO_COLOR or not, in `run`). A thread
// reads the terminal as the child writes, so the child never blocks on it. A child still running when the object is
// destroyed is killed and reaped.
class TerminalHost {
public:
    explicit TerminalHost(const HostRun& run);
    TerminalHost(const TerminalHost&) = delete;
    TerminalHost& operator=(const TerminalHost&) = delete;
    ~TerminalHost();

    // Everything shown on the terminal so far, stdout and stderr as one stream, as the terminal got it (its line
    // discipline turns each "\n" into "\r\n").
    std::string output_so_far() const;
    // Waits until the terminal has shown `text` (true), the child ends, or `limit` passes (false); polls.
    bool wait_for_output(const std::string& text, std::chrono::seconds limit);
    // Waits for the child to end; its exit code, and in `out` everything the terminal showed (`err` stays empty).
    ProcessResult wait();

private:
    void read_terminal();
    pid_t pid_ = -1;
    int master_fd_ = -1;
    bool reaped_ = false;
    int status_ = 0;
    mutable std::mutex mutex_;
    std::string output_;
    bool closed_ = false;  // the child side is gone: nothing more will come
    std::thread reader_;
};

}  // namespace test_support
