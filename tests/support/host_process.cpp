// Runs the real migration-host executable as a child process and captures its exit code, stdout and stderr.
// SPDX-License-Identifier: Apache-2.0
#include "host_process.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <regex>
#include <stdexcept>
#include <thread>
#include <utility>

#include "host_environment.hpp"

#ifndef MIGRATION_HOST_EXECUTABLE
#error "MIGRATION_HOST_EXECUTABLE must be defined by the build"
#endif

extern char** environ;

namespace test_support {
namespace {

void drain(int out_fd, int err_fd, std::string& out, std::string& err) {
    std::array<pollfd, 2> fds{{{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}}};
    std::array<char, 4096> buffer{};
    int open = 2;
    while (open > 0) {
        if (poll(fds.data(), fds.size(), -1) < 0) {
            if (errno == EINTR) continue;
            throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
        }
        for (std::size_t i = 0; i < fds.size(); ++i) {
            if (fds[i].fd < 0 || fds[i].revents == 0) continue;
            const ssize_t n = read(fds[i].fd, buffer.data(), buffer.size());
            if (n > 0) {
                (i == 0 ? out : err).append(buffer.data(), static_cast<std::size_t>(n));
            } else if (n == 0 || errno != EINTR) {
                close(fds[i].fd);
                fds[i].fd = -1;
                --open;
            }
        }
    }
}

int exit_code_of(int status) {
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// An already unlinked file: nothing to clean up however the test ends.
int anonymous_file() {
    std::string pattern = (std::filesystem::temp_directory_path() / "mh-host-output-XXXXXX").string();
    const int fd = mkostemp(pattern.data(), O_CLOEXEC);
    if (fd < 0) throw std::runtime_error("mkostemp failed for " + pattern + ": " + std::strerror(errno));
    unlink(pattern.c_str());
    return fd;
}

// pread, from offset 0, leaves the file's offset alone: a child still running writes through the same open file, and
// lseek would move its offset under it.
std::string read_all_from_start(int fd) {
    std::string text;
    std::array<char, 4096> buffer{};
    for (;;) {
        const ssize_t n = pread(fd, buffer.data(), buffer.size(), static_cast<off_t>(text.size()));
        if (n > 0) {
            text.append(buffer.data(), static_cast<std::size_t>(n));
        } else if (n == 0) {
            return text;
        } else if (errno != EINTR) {
            throw std::runtime_error(std::string("pread: ") + std::strerror(errno));
        }
    }
}

// Every variable the host (or its fault-injecting build) reads an option from: a test sets those it means, none leaks
// in from the shell.
std::map<std::string, std::string> without_host_variables() {
    std::map<std::string, std::string> removed;
    for (const char* option :
         {"DSN", "PLUGIN_PATH", "NO_DEFAULT_PLUGINS", "CONFIG", "TARGET", "LOG_LEVEL", "LOG_FORMAT", "CONNECT_TIMEOUT",
          "LOCK_TIMEOUT", "STATEMENT_TIMEOUT", "SKIP_BROKEN_PLUGINS", "ALLOW_INSECURE_PLUGINS", "FORCE_PORTABLE_LOCK",
          "LOCK_LEASE_SECONDS", "FAULT_AT", "FAULT_KIND", "FAULT_TRACE", "FLEET_TARGET"}) {
        removed.emplace(std::string("MIGRATION_HOST_") + option, "");
    }
    return removed;
}

}  // namespace

std::vector<std::string> host_environment(const HostRun& run) {
    std::map<std::string, std::string> variables;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        const std::string text(*entry);
        const auto equals = text.find('=');
        if (equals != std::string::npos) variables[text.substr(0, equals)] = text.substr(equals + 1);
    }
    std::map<std::string, std::string> changes = without_host_variables();
    for (const auto& [name, value] : run.environment) changes[name] = value;
    for (const auto& [name, value] : changes) {
        if (value.empty()) {
            variables.erase(name);
        } else {
            variables[name] = value;
        }
    }
    std::vector<std::string> result;
    for (const auto& [name, value] : variables) result.push_back(name + "=" + value);
    return result;
}

BackgroundHost::BackgroundHost(BackgroundHost&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      out_fd_(std::exchange(other.out_fd_, -1)),
      err_fd_(std::exchange(other.err_fd_, -1)),
      reaped_(std::exchange(other.reaped_, false)),
      status_(std::exchange(other.status_, 0)) {}

BackgroundHost& BackgroundHost::operator=(BackgroundHost&& other) noexcept {
    if (this != &other) {
        reset();
        pid_ = std::exchange(other.pid_, -1);
        out_fd_ = std::exchange(other.out_fd_, -1);
        err_fd_ = std::exchange(other.err_fd_, -1);
        reaped_ = std::exchange(other.reaped_, false);
        status_ = std::exchange(other.status_, 0);
    }
    return *this;
}

BackgroundHost::~BackgroundHost() {
    reset();
}

void BackgroundHost::reset() noexcept {
    if (pid_ > 0 && !reaped_) {
        ::kill(pid_, SIGKILL);
        while (waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {
        }
    }
    if (out_fd_ >= 0) close(out_fd_);
    if (err_fd_ >= 0) close(err_fd_);
    pid_ = -1;
    out_fd_ = -1;
    err_fd_ = -1;
    reaped_ = false;
    status_ = 0;
}

void BackgroundHost::start(const HostRun& run) {
    if (pid_ > 0) throw std::logic_error("BackgroundHost::start: already started");
    reset();
    // Everything the child needs is built here: between fork and exec only
    // async-signal-safe calls are allowed, and the test process may have threads.
    const std::string executable = host_executable();
    std::vector<std::string> arguments{executable};
    arguments.insert(arguments.end(), run.arguments.begin(), run.arguments.end());
    const std::vector<std::string> environment = host_environment(run);
    std::vector<char*> argv;
    for (const auto& argument : arguments) argv.push_back(const_cast<char*>(argument.c_str()));
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (const auto& variable : environment) envp.push_back(const_cast<char*>(variable.c_str()));
    envp.push_back(nullptr);
    const char* const directory = run.working_directory ? run.working_directory->c_str() : nullptr;

    out_fd_ = anonymous_file();
    err_fd_ = anonymous_file();
    const pid_t pid = fork();
    if (pid < 0) {
        const int error = errno;
        reset();
        throw std::runtime_error(std::string("fork failed: ") + std::strerror(error));
    }
    if (pid == 0) {
        dup2(out_fd_, STDOUT_FILENO);
        dup2(err_fd_, STDERR_FILENO);
        const int null_fd = open("/dev/null", O_RDONLY);
        if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
        if (directory != nullptr && chdir(directory) != 0) _exit(126);
        execve(executable.c_str(), argv.data(), envp.data());
        _exit(127);
    }
    pid_ = pid;
}

bool BackgroundHost::running() {
    if (pid_ <= 0 || reaped_) return false;
    int status = 0;
    pid_t ended = 0;
    while ((ended = waitpid(pid_, &status, WNOHANG)) < 0 && errno == EINTR) {
    }
    if (ended == pid_) {
        reaped_ = true;
        status_ = status;
    }
    return !reaped_;
}

void BackgroundHost::kill(int signal) {
    if (pid_ > 0 && !reaped_) ::kill(pid_, signal);
}

ProcessResult BackgroundHost::wait() {
    if (pid_ <= 0) throw std::logic_error("BackgroundHost::wait: not started");
    if (!reaped_) {
        while (waitpid(pid_, &status_, 0) < 0) {
            if (errno != EINTR) throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
        }
        reaped_ = true;
    }
    ProcessResult result;
    result.exit_code = exit_code_of(status_);
    result.out = read_all_from_start(out_fd_);
    result.err = read_all_from_start(err_fd_);
    return result;
}

std::string BackgroundHost::err_so_far() const {
    if (err_fd_ < 0) throw std::logic_error("BackgroundHost::err_so_far: not started");
    return read_all_from_start(err_fd_);
}

HostRun host_run_on(const std::string& dsn, const std::vector<std::string>& plugin_dirs,
                    const std::vector<std::string>& arguments, std::map<std::string, std::string> environment) {
    HostRun run;
    // Exactly these directories: the build tree's default one holds both Cinder plugins.
    run.arguments = {"--dsn", dsn, "--no-default-plugins"};
    for (const auto& dir : plugin_dirs) {
        run.arguments.push_back("--plugin-path");
        run.arguments.push_back(dir);
    }
    run.arguments.insert(run.arguments.end(), arguments.begin(), arguments.end());
    run.environment = std::move(environment);
    return run;
}

std::string host_executable() {
    return MIGRATION_HOST_EXECUTABLE;
}

ProcessResult run_process(const std::vector<std::string>& argv, const std::map<std::string, std::string>& environment,
                          const std::optional<std::string>& working_directory) {
    std::array<int, 2> out_pipe{}, err_pipe{};
    if (pipe(out_pipe.data()) != 0 || pipe(err_pipe.data()) != 0) throw std::runtime_error("pipe failed");
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        dup2(out_pipe[1], STDOUT_FILENO);
        dup2(err_pipe[1], STDERR_FILENO);
        close(out_pipe[0]);
        close(out_pipe[1]);
        close(err_pipe[0]);
        close(err_pipe[1]);
        const int null_fd = open("/dev/null", O_RDONLY);
        if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
        for (const auto& [name, value] : environment) {
            if (value.empty()) {
                unsetenv(name.c_str());
            } else {
                setenv(name.c_str(), value.c_str(), 1);
            }
        }
        if (working_directory && chdir(working_directory->c_str()) != 0) _exit(126);
        std::vector<char*> args;
        for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
        args.push_back(nullptr);
        execvp(args[0], args.data());
        _exit(127);
    }
    close(out_pipe[1]);
    close(err_pipe[1]);
    ProcessResult result;
    drain(out_pipe[0], err_pipe[0], result.out, result.err);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
}

ProcessResult run_host(const HostRun& run) {
    return run_host(run, host_executable());
}

ProcessResult run_host(const HostRun& run, const std::string& executable) {
    std::vector<std::string> argv{executable};
    argv.insert(argv.end(), run.arguments.begin(), run.arguments.end());
    std::map<std::string, std::string> environment = without_host_variables();
    for (const auto& [name, value] : run.environment) environment[name] = value;
    return run_process(argv, environment, run.working_directory);
}

ProcessResult run_host(const std::vector<std::string>& arguments) {
    return run_host(HostRun{arguments, {}, std::nullopt});
}

std::vector<std::string> error_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        const std::string line = text.substr(start, end - start);
        if (line.rfind("migration-host: error: ", 0) == 0) lines.push_back(line);
        start = end + 1;
    }
    return lines;
}

std::vector<std::string> warning_lines(const std::string& text) {
    static const std::regex logged_warning(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (warning|error|critical) )");
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(start, end - start);
        if (std::regex_search(line, logged_warning)) lines.push_back(std::move(line));
        start = end + 1;
    }
    return lines;
}

bool wait_for_file(const std::string& path, BackgroundHost& host, std::chrono::seconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (std::filesystem::exists(path)) return true;
        if (!host.running()) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
}

bool wait_for_err_text(const std::string& text, BackgroundHost& host, std::chrono::seconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (host.err_so_far().find(text) != std::string::npos) return true;
        if (!host.running()) return host.err_so_far().find(text) != std::string::npos;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

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

std::size_t line_count(const std::string& text) {
    std::size_t count = 0;
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        if (end > start) ++count;
        start = end + 1;
    }
    return count;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

void require_ok(const ProcessResult& result) {
    INFO(result.all());
    REQUIRE(result.exit_code == 0);
}

void check_one_line_error(const ProcessResult& result, const std::string& cause) {
    INFO(result.all());
    CHECK(line_count(result.err) == 1);
    CHECK(result.err.rfind("migration-host: error: ", 0) == 0);
    CHECK(contains(result.err, cause));
}

}  // namespace test_support
