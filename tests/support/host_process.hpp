// Runs the real migration-host executable as a child process and captures its exit code, stdout and stderr.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace test_support {

struct ProcessResult {
    int exit_code = -1;  // 128 + signal when killed by one
    std::string out;
    std::string err;

    std::string all() const { return out + err; }
};

struct HostRun {
    std::vector<std::string> arguments;
    // Variables set for the child (an empty value removes the variable).
    // The variables the host reads options from (MIGRATION_HOST_DSN, ...) are removed unless set here.
    std::map<std::string, std::string> environment;
    std::optional<std::string> working_directory;
};

// A run against the database `dsn` with `plugin_dirs`, and only those (--no-default-plugins), on the plugin path,
// then `arguments` (global options before the command, as the CLI expects them).
HostRun host_run_on(const std::string& dsn, const std::vector<std::string>& plugin_dirs,
                    const std::vector<std::string>& arguments, std::map<std::string, std::string> environment = {});

// The path of the built migration-host executable.
std::string host_executable();

// Runs migration-host with `run.arguments`; waits for it to end.
ProcessResult run_host(const HostRun& run);
// The same with another build of the host (the fault-injecting one) instead of migration-host.
ProcessResult run_host(const HostRun& run, const std::string& executable);
ProcessResult run_host(const std::vector<std::string>& arguments);

// Runs any program (argv[0] looked up in PATH) and waits for it.
ProcessResult run_process(const std::vector<std::string>& argv, const std::map<std::string, std::string>& environment = {},
                          const std::optional<std::string>& working_directory = std::nullopt);

// A migration-host started without waiting for it, so that several can run at
// once. Its stdout and stderr go to unlinked temporary files, not pipes: a pipe
// nobody reads until wait() would stall a chatty child while it holds the run
// lock, and with it every host queued behind it. A child still running when
// the object is destroyed is killed and reaped, so a failing test leaves no
// process behind.
class BackgroundHost {
public:
    BackgroundHost() = default;
    explicit BackgroundHost(const HostRun& run) { start(run); }
    BackgroundHost(BackgroundHost&& other) noexcept;
    BackgroundHost& operator=(BackgroundHost&& other) noexcept;
    BackgroundHost(const BackgroundHost&) = delete;
    BackgroundHost& operator=(const BackgroundHost&) = delete;
    ~BackgroundHost();

    // Starts migration-host as run_host would (same environment rules) and returns at once.
    void start(const HostRun& run);
    pid_t pid() const noexcept { return pid_; }
    // False once the child has ended (then reaped; wait() still gives its result).
    bool running();
    // Sends `signal` to a child that has not been reaped yet.
    void kill(int signal);
    // Waits for the child to end; its exit code and everything it wrote.
    ProcessResult wait();
    // What the child has written to stderr so far (it keeps running).
    std::string err_so_far() const;

private:
    void reset() noexcept;
    pid_t pid_ = -1;
    int out_fd_ = -1;
    int err_fd_ = -1;
    bool reaped_ = false;
    int status_ = 0;
};

// Waits until `path` exists (true), `host` ends, or `limit` passes (false); polls, so that a test acts as soon as a
// step signals it is running, and never relies on how long anything took.
bool wait_for_file(const std::string& path, BackgroundHost& host, std::chrono::seconds limit);

// Waits until `host` has written `text` to stderr (true), ends, or `limit` passes (false); polls, as wait_for_file.
bool wait_for_err_text(const std::string& text, BackgroundHost& host, std::chrono::seconds limit);

// The lines of `text` that start with the host's error prefix "migration-host: error: ", in order.
std::vector<std::string> error_lines(const std::string& text);

// The lines of `text` the host logged at level warning or above ("2026-01-01T00:00:00.000Z warning ..."), in order.
std::vector<std::string> warning_lines(const std::string& text);

// The lines of `text`, without their newlines (a last line without one included).
std::vector<std::string> lines_of(const std::string& text);

// The number of non-empty lines in `text`.
std::size_t line_count(const std::string& text);

// Whether `part` occurs in `text`.
bool contains(const std::string& text, const std::string& part);

// REQUIREs that the run exited 0, showing all it wrote when it did not.
void require_ok(const ProcessResult& result);

// CHECKs that stderr is one line, the host's error line as the README documents it, naming `cause`.
void check_one_line_error(const ProcessResult& result, const std::string& cause);

}  // namespace test_support
