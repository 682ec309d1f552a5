// Fleet runs: one command on every database a targets file lists, each in a forked child process, N at a time.
// SPDX-License-Identifier: Apache-2.0
#include "command_line/fleet.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <system_error>

#include "command_line/config.hpp"
#include "command_line/output.hpp"
#include "command_line/session.hpp"
#include "command_line/terminal_text.hpp"
#include "database/redact.hpp"
#include "exit_codes.hpp"

namespace migration_host {
namespace {

using Clock = std::chrono::steady_clock;

HostError usage(const std::string& message) {
    return HostError(ExitCode::usage, message);
}

std::string trimmed(const std::string& text) {
    const auto first = text.find_first_not_of(" \t\r");
    if (first == std::string::npos) return {};
    const auto last = text.find_last_not_of(" \t\r");
    return text.substr(first, last - first + 1);
}

bool same_plugin_options(const GlobalOptions& a, const GlobalOptions& b) {
    return a.plugin_paths == b.plugin_paths && a.no_default_plugins == b.no_default_plugins &&
           a.skip_broken_plugins == b.skip_broken_plugins && a.allow_insecure_plugins == b.allow_insecure_plugins;
}

// Worst first; see worse_exit_code. A code not listed (none is expected) ranks just below a failed step.
int severity(int code) {
    static const int order[] = {1, 5, 4, 3, 2, 7, 8, 9, 6, 10, 0};
    const auto* found = std::find(std::begin(order), std::end(order), code);
    if (found == std::end(order)) return 21;
    return static_cast<int>(std::end(order) - found) * 2;
}

const char* result_name(int code) {
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
        case 6:
            return "pending";
        case 7:
            return "dirty";
        case 8:
            return "ahead";
        case 9:
            return "unknown track";
        case 10:
            return "sql incomplete";
        default:
            return "failed";
    }
}

struct Outcome {
    int exit_code = 0;
    double seconds = 0;
    std::string output;  // the child's stdout
    std::string log;     // the child's stderr
    std::optional<int> signal;
    std::string cause;  // one line, for a non-zero exit code
};

struct Child {
    std::size_t index = 0;
    pid_t pid = -1;
    int out_fd = -1;
    int err_fd = -1;
    Clock::time_point start;
    Outcome outcome;
};

const std::string error_prefix = "migration-host: error: ";

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

// The child's own first error line (the cause; further lines follow it), else its last line, else what the exit
// code means.
// A child killed by a signal says so after that, as its own crash report may not.
std::string cause_of(const Outcome& outcome) {
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
    return result_name(outcome.exit_code);
}

void write_stream(std::FILE* stream, const std::string& text) {
    std::fwrite(text.data(), 1, text.size(), stream);
    std::fflush(stream);
}

// The child's own side: its stdout and stderr are the pipes; it never returns.
[[noreturn]] void run_child(const Invocation& invocation, const FleetTarget& target, int out_fd, int err_fd,
                            const std::vector<Child>& running, const std::function<int(const Invocation&)>& run_one) {
    for (const auto& sibling : running) {
        ::close(sibling.out_fd);
        ::close(sibling.err_fd);
    }
    if (::dup2(out_fd, STDOUT_FILENO) < 0 || ::dup2(err_fd, STDERR_FILENO) < 0) std::_Exit(1);
    ::close(out_fd);
    ::close(err_fd);
    Invocation one = invocation;
    one.global = target.global;
    one.options.targets_file.reset();
    one.options.jobs = 1;
    // upgrade's own output is text; --format serves the fleet summary only.
    if (one.command == "upgrade") one.options.format = OutputFormat::text;
    const int code = run_one(one);
    std::fflush(nullptr);
    // _exit: the parent's atexit handlers and static destructors (plugin libraries, the logger) are the parent's.
    ::_exit(code);
}

Child start_child(const Invocation& invocation, const std::vector<FleetTarget>& targets, std::size_t index,
                  const std::vector<Child>& running, const std::function<int(const Invocation&)>& run_one) {
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
    child.pid = ::fork();
    if (child.pid < 0) {
        const int error = errno;
        for (const int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) ::close(fd);
        throw std::system_error(error, std::generic_category(), "fork");
    }
    if (child.pid == 0) {
        ::close(out_pipe[0]);
        ::close(err_pipe[0]);
        run_child(invocation, targets[index], out_pipe[1], err_pipe[1], running, run_one);
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

std::string clean(const std::string& text) {
    return escape_nonprintable(redact_secrets(text));
}

// Every database's own log lines, prefixed with its label so that they stay attributable, then one progress line.
void report_progress(const FleetTarget& target, const Outcome& outcome, std::size_t done, std::size_t total) {
    std::string text;
    for (const auto& line : lines_of(outcome.log)) text += fmt::format("[{}] {}\n", target.label, clean(line));
    text += fmt::format("migration-host: [{}/{}] {}: exit {} ({}) in {:.2f} s{}\n", done, total, target.label,
                        outcome.exit_code, result_name(outcome.exit_code), outcome.seconds,
                        outcome.exit_code == 0 ? "" : ": " + clean(outcome.cause));
    write_stream(stderr, text);
}

void print_text_report(const Invocation& invocation, const std::vector<FleetTarget>& targets,
                       const std::vector<Outcome>& outcomes, double seconds, int worst) {
    std::string text;
    for (std::size_t i = 0; i < targets.size(); ++i) {
        text += fmt::format("=== {} ===\n", targets[i].label);
        // Already redacted and escaped by the child's own output layer; redacted again for good measure.
        for (const auto& line : lines_of(outcomes[i].output)) text += redact_secrets(line) + "\n";
    }
    std::size_t label_width = std::string("TARGET").size();
    std::size_t result_width = std::string("RESULT").size();
    for (std::size_t i = 0; i < targets.size(); ++i) {
        label_width = std::max(label_width, targets[i].label.size());
        result_width = std::max(result_width, std::string(result_name(outcomes[i].exit_code)).size());
    }
    text += fmt::format("\nFleet summary: {} on {} database{}, {} at a time, in {:.2f} s: {}\n", invocation.command,
                        targets.size(), targets.size() == 1 ? "" : "s", invocation.options.jobs, seconds,
                        worst == 0 ? "all ok" : fmt::format("exit {} ({})", worst, result_name(worst)));
    text += fmt::format("{:<{}}  {:<{}}  {:>4}  {:>8}  {}\n", "TARGET", label_width, "RESULT", result_width, "EXIT",
                        "SECONDS", "CAUSE");
    for (std::size_t i = 0; i < targets.size(); ++i) {
        const auto& outcome = outcomes[i];
        text += fmt::format("{:<{}}  {:<{}}  {:>4}  {:>8.2f}  {}\n", targets[i].label, label_width,
                            result_name(outcome.exit_code), result_width, outcome.exit_code, outcome.seconds,
                            outcome.exit_code == 0 ? "" : clean(outcome.cause));
    }
    write_stream(stdout, text);
}

void print_json_report(const Invocation& invocation, const std::vector<FleetTarget>& targets,
                       const std::vector<Outcome>& outcomes, double seconds, int worst) {
    using nlohmann::json;
    json results = json::array();
    for (std::size_t i = 0; i < targets.size(); ++i) {
        const auto& outcome = outcomes[i];
        json entry = {{"target", targets[i].label},
                      {"result", result_name(outcome.exit_code)},
                      {"exit_code", outcome.exit_code},
                      {"seconds", outcome.seconds},
                      {"cause", outcome.exit_code == 0 ? json(nullptr) : json(clean(outcome.cause))}};
        if (invocation.command == "upgrade") {
            entry["output_lines"] = lines_of(outcome.output);
        } else {
            // The command's own JSON document; none when it failed before printing one.
            json document = json::parse(outcome.output, nullptr, false);
            entry["output"] = document.is_discarded() ? json(nullptr) : document;
        }
        results.push_back(std::move(entry));
    }
    print_json({{"command", invocation.command},
                {"jobs", invocation.options.jobs},
                {"seconds", seconds},
                {"exit_code", worst},
                {"result", result_name(worst)},
                {"targets", results}});
}

}  // namespace

int worse_exit_code(int a, int b) {
    return severity(a) >= severity(b) ? a : b;
}

std::vector<FleetTarget> read_fleet_targets(const Invocation& invocation) {
    const std::string& path = *invocation.options.targets_file;
    if (const char* dsn = std::getenv(environment_variable_for("dsn").c_str()); dsn != nullptr && *dsn != '\0') {
        throw usage(fmt::format("--targets and {}: a fleet run takes each database from its targets file",
                                environment_variable_for("dsn")));
    }
    std::error_code error;
    if (!std::filesystem::is_regular_file(path, error)) {
        throw usage(fmt::format("targets file {} {}", path,
                                std::filesystem::exists(path, error) ? "is not a regular file" : "does not exist"));
    }
    std::ifstream file(path);
    if (!file) throw usage(fmt::format("cannot read targets file {}: {}", path, std::strerror(errno)));
    const auto configured = configured_target_names(invocation.global);
    std::vector<FleetTarget> targets;
    std::map<std::string, std::size_t> line_of;  // the line each target was first listed on, by its text
    std::string raw;
    std::size_t number = 0;
    while (std::getline(file, raw)) {
        ++number;
        const std::string line = trimmed(raw);
        if (line.empty() || line.front() == '#') continue;
        const std::string where = fmt::format("{} line {}", path, number);
        if (const auto [it, inserted] = line_of.emplace(line, number); !inserted) {
            throw usage(fmt::format("{} lists the target of line {} again", where, it->second));
        }
        FleetTarget target;
        target.global = invocation.global;
        if (line.find('=') != std::string::npos) {
            if (const auto problem = connection_string_problem(line)) {
                throw usage(fmt::format("{}: invalid connection string: {}", where, *problem));
            }
            target.label = escape_nonprintable(redact_connection_string(line));
            target.global.dsn = line;
        } else {
            const bool prefixed = line.rfind("target:", 0) == 0;
            const std::string name = prefixed ? trimmed(line.substr(7)) : line;
            const bool is_configured = std::find(configured.begin(), configured.end(), name) != configured.end();
            target.label = escape_nonprintable(line);
            if (prefixed && !is_configured) {
                throw usage(fmt::format("{}: no [target.{}] section in {}", where, escape_nonprintable(name),
                                        invocation.global.config_file ? invocation.global.config_file->string()
                                                                      : "any configuration file (there is none)"));
            }
            if (is_configured) {
                target.global = resolve_target_options(invocation, name, where);
                if (!same_plugin_options(target.global, invocation.global)) {
                    throw usage(
                        fmt::format("{}: target {} loads other plugins than the run; a fleet run loads its "
                                    "plugins once, for every database",
                                    where, name));
                }
                if (!target.global.dsn) throw usage(fmt::format("{}: target {} sets no dsn", where, name));
            } else {
                target.global.dsn = line;
            }
        }
        targets.push_back(std::move(target));
    }
    if (file.bad()) throw usage(fmt::format("cannot read targets file {}: {}", path, std::strerror(errno)));
    if (targets.empty()) throw usage(fmt::format("targets file {} lists no target", path));
    return targets;
}

int run_fleet(const Invocation& invocation, const std::function<int(const Invocation&)>& run_one) {
    const auto targets = read_fleet_targets(invocation);
    // Once, before any child exists and before any thread or ODBC environment: each child inherits the loaded
    // libraries and the checked catalog.
    preload_catalog(invocation.global);

    const auto started = Clock::now();
    std::vector<Outcome> outcomes(targets.size());
    std::vector<Child> running;
    std::size_t next = 0;
    std::size_t done = 0;
    while (done < targets.size()) {
        while (running.size() < invocation.options.jobs && next < targets.size()) {
            running.push_back(start_child(invocation, targets, next++, running, run_one));
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
                else if (child.err_fd == polled.fd)
                    drain(child.err_fd, child.outcome.log);
            }
        }
        for (auto it = running.begin(); it != running.end();) {
            if (it->out_fd >= 0 || it->err_fd >= 0) {
                ++it;
                continue;
            }
            reap(*it);
            report_progress(targets[it->index], it->outcome, ++done, targets.size());
            outcomes[it->index] = std::move(it->outcome);
            it = running.erase(it);
        }
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    int worst = 0;
    for (const auto& outcome : outcomes) worst = worse_exit_code(worst, outcome.exit_code);
    if (invocation.options.format == OutputFormat::json) {
        print_json_report(invocation, targets, outcomes, seconds, worst);
    } else {
        print_text_report(invocation, targets, outcomes, seconds, worst);
    }
    return worst;
}

}  // namespace migration_host
