// Runs one command on many databases: each in a child process of its own, N at a time, its log relayed as it comes.
// SPDX-License-Identifier: Apache-2.0
#include "engine/fleet_runner.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <system_error>

#include "exit_codes.hpp"

namespace migration_host {
namespace {

using Clock = std::chrono::steady_clock;

std::string trimmed(const std::string& text) {
    const auto first = text.find_first_not_of(" \t\r");
    if (first == std::string::npos) return {};
    const auto last = text.find_last_not_of(" \t\r");
    return text.substr(first, last - first + 1);
}

// Worst first; see worse_exit_code. A code not listed (none is expected) ranks just below a failed step.
int severity(int code) {
    static const int order[] = {1, 5, 4, 3, 11, 2, 7, 8, 12, 9, 6, 10, 0};
    const auto* found = std::find(std::begin(order), std::end(order), code);
    if (found == std::end(order)) return static_cast<int>(std::size(order)) * 2 - 1;
    return static_cast<int>(std::end(order) - found) * 2;
}

}  // namespace

const char* exit_code_name(int code) {
    switch (code) {
        case 0:
            return "ok";
        case 1:
            return "step failed";
        case 2:
            return "usage error";
        case 3:
            return "cannot connect";
        case 4:
            return "plugin error";
        case 5:
            return "refused";
        case 11:
            return "lock timeout";
        case 6:
            return "pending";
        case 7:
            return "dirty";
        case 8:
            return "ahead";
        case 9:
            return "unknown track";
        case 12:
            return "unversioned";
        case 10:
            return "sql incomplete";
        default:
            return "failed";
    }
}

namespace {

struct Child {
    std::size_t index = 0;
    pid_t pid = -1;
    int out_fd = -1;
    int err_fd = -1;
    Clock::time_point start;
    FleetOutcome outcome;
    std::size_t relayed = 0;  // how much of outcome.log has gone to on_log_line
};

const std::string error_prefix = "migration-host: error: ";

// The child's own first error line (the cause; further lines follow it), else its last line, else what the exit
// code means.
// A child killed by a signal says so after that, as its own crash report may not.
std::string cause_of(const FleetOutcome& outcome) {
    const std::string signal =
        outcome.signal ? fmt::format("ended by signal {} ({})", *outcome.signal, strsignal(*outcome.signal)) : "";
    const auto lines = lines_of(outcome.log);
    for (const auto& line : lines) {
        if (line.rfind(error_prefix, 0) == 0) {
            return line.substr(error_prefix.size()) + (signal.empty() ? "" : "; " + signal);
        }
    }
    if (!signal.empty()) return signal;
    for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
        if (!trimmed(*it).empty()) return *it;
    }
    return exit_code_name(outcome.exit_code);
}

// The child's own side: its stdout and stderr are the pipes; it never returns.
[[noreturn]] void run_child(std::size_t index, int out_fd, int err_fd, const std::vector<Child>& running,
                            const std::function<int(std::size_t)>& run_one) {
    for (const auto& sibling : running) {
        ::close(sibling.out_fd);
        ::close(sibling.err_fd);
    }
    if (::dup2(out_fd, STDOUT_FILENO) < 0 || ::dup2(err_fd, STDERR_FILENO) < 0) std::_Exit(1);
    ::close(out_fd);
    ::close(err_fd);
    const int code = run_one(index);
    std::fflush(nullptr);
    // _exit: the parent's atexit handlers and static destructors (plugin libraries, the logger) are the parent's.
    ::_exit(code);
}

// The child's environment: this process's, with `overrides` set over it.
std::vector<std::string> child_environment(const std::vector<std::pair<std::string, std::string>>& overrides) {
    std::vector<std::string> variables;
    for (char** variable = environ; *variable != nullptr; ++variable) {
        const std::string entry(*variable);
        const auto name = entry.substr(0, entry.find('='));
        const bool overridden = std::any_of(overrides.begin(), overrides.end(),
                                            [&](const auto& override) { return override.first == name; });
        if (!overridden) variables.push_back(entry);
    }
    for (const auto& [name, value] : overrides) variables.push_back(name + "=" + value);
    return variables;
}

std::vector<char*> pointers_to(std::vector<std::string>& texts) {
    std::vector<char*> pointers;
    for (auto& text : texts) pointers.push_back(text.data());
    pointers.push_back(nullptr);
    return pointers;
}

// Exec mode: the host again, its stdout and stderr the pipes (dup2 clears their close-on-exec; every other
// descriptor of ours has it, the siblings' pipes included). posix_spawn forks and executes with no code of ours
// in between, which is safe in a process with threads.
pid_t spawn_child(const ChildCommand& command, int out_fd, int err_fd) {
    std::vector<std::string> argv{"migration-host"};
    argv.insert(argv.end(), command.arguments.begin(), command.arguments.end());
    std::vector<std::string> environment = child_environment(command.environment);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err_fd, STDERR_FILENO);
    pid_t pid = -1;
    const int error = ::posix_spawn(&pid, "/proc/self/exe", &actions, nullptr, pointers_to(argv).data(),
                                    pointers_to(environment).data());
    posix_spawn_file_actions_destroy(&actions);
    if (error != 0) throw std::system_error(error, std::generic_category(), "posix_spawn of the host");
    return pid;
}

Child start_child(std::size_t index, const std::vector<Child>& running, const ChildLauncher& launcher) {
    int out_pipe[2];
    int err_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
    if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
        const int error = errno;
        ::close(out_pipe[0]);
        ::close(out_pipe[1]);
        throw std::system_error(error, std::generic_category(), "pipe");
    }
    // Nothing buffered may be written twice, once by each process.
    std::fflush(nullptr);
    Child child;
    child.index = index;
    child.start = Clock::now();
    if (launcher.exec) {
        try {
            child.pid = spawn_child(launcher.command_for(index), out_pipe[1], err_pipe[1]);
        } catch (...) {
            for (const int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) ::close(fd);
            throw;
        }
        ::close(out_pipe[1]);
        ::close(err_pipe[1]);
        child.out_fd = out_pipe[0];
        child.err_fd = err_pipe[0];
        return child;
    }
    child.pid = ::fork();
    if (child.pid < 0) {
        const int error = errno;
        for (const int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) ::close(fd);
        throw std::system_error(error, std::generic_category(), "fork");
    }
    if (child.pid == 0) {
        ::close(out_pipe[0]);
        ::close(err_pipe[0]);
        run_child(index, out_pipe[1], err_pipe[1], running, launcher.run_one);
    }
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    child.out_fd = out_pipe[0];
    child.err_fd = err_pipe[0];
    return child;
}

// Reads what is there; closes the descriptor at end of file.
void drain(int& fd, std::string& into) {
    char buffer[65536];
    while (true) {
        const ssize_t got = ::read(fd, buffer, sizeof buffer);
        if (got > 0) {
            into.append(buffer, static_cast<std::size_t>(got));
            return;
        }
        if (got < 0 && errno == EINTR) continue;
        // End of file, or an error reading a pipe of our own: either way nothing more will come.
        ::close(fd);
        fd = -1;
        return;
    }
}

// Relays the lines of the child's stderr that are complete; once the pipe is closed, the rest too.
void relay_lines(Child& child, const FleetEvents& events) {
    const std::string& log = child.outcome.log;
    for (auto end = log.find('\n', child.relayed); end != std::string::npos; end = log.find('\n', child.relayed)) {
        if (events.on_log_line)
            events.on_log_line(child.index, std::string_view(log).substr(child.relayed, end - child.relayed));
        child.relayed = end + 1;
    }
    if (child.err_fd < 0 && child.relayed < log.size()) {
        if (events.on_log_line) events.on_log_line(child.index, std::string_view(log).substr(child.relayed));
        child.relayed = log.size();
    }
}

// Waits for the child, whose pipes are closed: it has ended or is about to.
void reap(Child& child) {
    int status = 0;
    while (::waitpid(child.pid, &status, 0) < 0) {
        if (errno != EINTR) throw std::system_error(errno, std::generic_category(), "waitpid");
    }
    child.outcome.seconds = std::chrono::duration<double>(Clock::now() - child.start).count();
    if (WIFEXITED(status)) {
        child.outcome.exit_code = WEXITSTATUS(status);
    } else {
        // A child killed by a signal (a crashing plugin or driver) may have left its database mid-step.
        child.outcome.exit_code = static_cast<int>(ExitCode::step_failed);
        if (WIFSIGNALED(status)) child.outcome.signal = WTERMSIG(status);
    }
    if (child.outcome.exit_code != 0) child.outcome.cause = cause_of(child.outcome);
}

}  // namespace

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        const auto end = std::min(text.find('\n', start), text.size());
        lines.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return lines;
}

int worse_exit_code(int a, int b) {
    return severity(a) >= severity(b) ? a : b;
}

std::size_t thread_count() {
    std::error_code error;
    std::size_t threads = 0;
    for (std::filesystem::directory_iterator it("/proc/self/task", error), end; !error && it != end;
         it.increment(error)) {
        ++threads;
    }
    return error ? 0 : threads;
}

std::vector<FleetOutcome> run_in_children(std::size_t count, std::size_t jobs, const ChildLauncher& launcher,
                                          const FleetEvents& events) {
    std::vector<FleetOutcome> outcomes(count);
    std::vector<Child> running;
    std::size_t next = 0;
    std::size_t done = 0;
    while (done < count) {
        while (running.size() < jobs && next < count) {
            running.push_back(start_child(next++, running, launcher));
            if (events.on_start) events.on_start(running.back().index);
        }
        std::vector<pollfd> watched;
        for (const auto& child : running) {
            for (const int fd : {child.out_fd, child.err_fd}) {
                if (fd >= 0) watched.push_back({fd, POLLIN, 0});
            }
        }
        if (::poll(watched.data(), watched.size(), -1) < 0) {
            if (errno == EINTR) continue;
            throw std::system_error(errno, std::generic_category(), "poll");
        }
        for (const auto& polled : watched) {
            if (polled.revents == 0) continue;
            for (auto& child : running) {
                if (child.out_fd == polled.fd)
                    drain(child.out_fd, child.outcome.output);
                else if (child.err_fd == polled.fd) {
                    drain(child.err_fd, child.outcome.log);
                    relay_lines(child, events);
                }
            }
        }
        for (auto it = running.begin(); it != running.end();) {
            if (it->out_fd >= 0 || it->err_fd >= 0) {
                ++it;
                continue;
            }
            reap(*it);
            ++done;
            if (events.on_done) events.on_done(it->index, it->outcome, done);
            outcomes[it->index] = std::move(it->outcome);
            it = running.erase(it);
        }
    }
    return outcomes;
}

}  // namespace migration_host
