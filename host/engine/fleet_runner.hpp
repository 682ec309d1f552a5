// Runs one command on many databases: each in a child process of its own, N at a time, its log relayed as it comes.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace migration_host {

// How one database's run ended.
struct FleetOutcome {
    int exit_code = 0;
    double seconds = 0;
    std::string output;  // the child's stdout
    std::string log;     // the child's stderr
    std::optional<int> signal;
    std::string cause;  // one line, for a non-zero exit code: the child's own first error line, else what ended it
};

// The worse of two exit codes, in this order, worst first: 1 (a step failed: the database may be half changed),
// 5 (refused by its state), 4 (plugins), 3 (cannot connect), 11 (lock timeout), 2 (usage), then status --check's
// 7, 8, 12, 9, 6, then 10, then 0.
int worse_exit_code(int a, int b);

// A child's captured output as lines, without their newlines (a last line without one included).
std::vector<std::string> lines_of(const std::string& text);

// What an exit code means, in a word or two ("ok", "step failed", "refused", ...).
const char* exit_code_name(int code);

// The threads of this process (/proc/self/task; 0 when it cannot be read). A fork copies only the calling thread:
// a child forked while others run (a plugin runtime's scheduler or collector, a thread a library started in its
// constructor) inherits their locks held forever and may wait on them without end.
std::size_t thread_count();

// The host executed again for one database, when forking is unsafe: its arguments after the program name, and the
// variables set over the inherited environment (a connection string goes there, never on a command line that any
// user may read in /proc).
struct ChildCommand {
    std::vector<std::string> arguments;
    std::vector<std::pair<std::string, std::string>> environment;
};

// How each database's child process starts.
struct ChildLauncher {
    // Fork: the child runs `run_one(i)` (the host's top level for target i: it returns an exit code and reports its
    // own errors on stderr), inheriting the plugins loaded once. Only while this process has one thread.
    std::function<int(std::size_t)> run_one;
    // Exec, when `exec` is set: the child is this executable (/proc/self/exe) run with `command_for(i)`.
    bool exec = false;
    std::function<ChildCommand(std::size_t)> command_for;
};

// What the parent hears of its children while they run, each called in this process.
struct FleetEvents {
    // Child i has started (`running` children now, i included).
    std::function<void(std::size_t)> on_start;
    // One whole line child i wrote to stderr, without its newline, as soon as the line is complete; at the child's
    // end, a last line it did not end. A child's lines come in order, all before its on_done.
    std::function<void(std::size_t, std::string_view)> on_log_line;
    // Child i has ended (`finished` counts the ended ones).
    std::function<void(std::size_t, const FleetOutcome&, std::size_t)> on_done;
};

// Runs target i, for every i below `count`, in a child process of its own, started as `launcher` says, at most
// `jobs` at a time, each child's stdout captured and its stderr both captured and relayed line by line through
// `events` as the child writes it (every child's pipes are polled together, so that one database waiting on a lock
// never holds back another's lines). Returns every outcome, by index.
std::vector<FleetOutcome> run_in_children(std::size_t count, std::size_t jobs, const ChildLauncher& launcher,
                                          const FleetEvents& events);

}  // namespace migration_host
