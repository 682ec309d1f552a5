// Runs the real migration-host executable as a child process and captures its exit code, stdout and stderr.
#pragma once

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
    // MIGRATION_HOST_DSN and MIGRATION_HOST_PLUGIN_PATH are removed unless set here.
    std::map<std::string, std::string> environment;
    std::optional<std::string> working_directory;
};

// The path of the built migration-host executable.
std::string host_executable();

// Runs migration-host with `run.arguments`; waits for it to end.
ProcessResult run_host(const HostRun& run);
ProcessResult run_host(const std::vector<std::string>& arguments);

// Runs any program (argv[0] looked up in PATH) and waits for it.
ProcessResult run_process(const std::vector<std::string>& argv, const std::map<std::string, std::string>& environment = {},
                          const std::optional<std::string>& working_directory = std::nullopt);

// The number of non-empty lines in `text`.
std::size_t line_count(const std::string& text);

}  // namespace test_support
