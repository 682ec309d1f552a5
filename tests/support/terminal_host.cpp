// Runs the real migration-host on a pseudo-terminal, as an operator's shell would, and keeps what it draws there.
// SPDX-License-Identifier: Apache-2.0
#include "terminal_host.hpp"

#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "host_environment.hpp"

namespace test_support {

TerminalHost::TerminalHost(const HostRun& run) {
    // Everything the child needs is built before fork: the test process may have threads.
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

    int slave_fd = -1;
    winsize size{};
    size.ws_row = 24;
    size.ws_col = 100;
    if (openpty(&master_fd_, &slave_fd, nullptr, nullptr, &size) != 0) {
        throw std::runtime_error(std::string("openpty failed: ") + std::strerror(errno));
    }
    fcntl(master_fd_, F_SETFD, FD_CLOEXEC);
    const pid_t pid = fork();
    if (pid < 0) {
        const int error = errno;
        close(master_fd_);
        close(slave_fd);
        throw std::runtime_error(std::string("fork failed: ") + std::strerror(error));
    }
    if (pid == 0) {
        setsid();
        ioctl(slave_fd, TIOCSCTTY, 0);
        dup2(slave_fd, STDIN_FILENO);
        dup2(slave_fd, STDOUT_FILENO);
        dup2(slave_fd, STDERR_FILENO);
        if (slave_fd > STDERR_FILENO) close(slave_fd);
        if (directory != nullptr && chdir(directory) != 0) _exit(126);
        execve(executable.c_str(), argv.data(), envp.data());
        _exit(127);
    }
    close(slave_fd);
    pid_ = pid;
    reader_ = std::thread([this] { read_terminal(); });
}

TerminalHost::~TerminalHost() {
    if (pid_ > 0 && !reaped_) {
        ::kill(pid_, SIGKILL);
        while (waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {
        }
    }
    if (reader_.joinable()) reader_.join();
    if (master_fd_ >= 0) close(master_fd_);
}

void TerminalHost::read_terminal() {
    std::array<char, 4096> buffer{};
    for (;;) {
        const ssize_t n = read(master_fd_, buffer.data(), buffer.size());
        if (n > 0) {
            const std::lock_guard lock(mutex_);
            output_.append(buffer.data(), static_cast<std::size_t>(n));
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            // EIO: every descriptor of the child side is closed, the child has ended.
            const std::lock_guard lock(mutex_);
            closed_ = true;
            return;
        }
    }
}

std::string TerminalHost::output_so_far() const {
    const std::lock_guard lock(mutex_);
    return output_;
}

bool TerminalHost::wait_for_output(const std::string& text, std::chrono::seconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
        {
            const std::lock_guard lock(mutex_);
            if (output_.find(text) != std::string::npos) return true;
            if (closed_) return false;
        }
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

ProcessResult TerminalHost::wait() {
    if (!reaped_) {
        while (waitpid(pid_, &status_, 0) < 0) {
            if (errno != EINTR) throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
        }
        reaped_ = true;
    }
    if (reader_.joinable()) reader_.join();
    ProcessResult result;
    result.exit_code = WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_);
    result.out = output_so_far();
    return result;
}

}  // namespace test_support
