// A writing command's request, built from the invocation, and its run with the text result and the log observing it.
// SPDX-License-Identifier: Apache-2.0
#include "command_line/run_request.hpp"

#include <fmt/format.h>

#include "command_line/progress_display.hpp"
#include "command_line/run_json_result.hpp"
#include "command_line/run_output.hpp"

namespace migration_host {

RunRequest run_request(const Invocation& invocation, RunRequest::Kind kind) {
    RunRequest request;
    request.kind = kind;
    request.plugins = plugin_options(invocation.global);
    request.connection = connection_options(invocation.global);
    request.lock_timeout = std::chrono::seconds(invocation.global.lock_timeout_seconds);
    if (kind == RunRequest::Kind::upgrade) {
        request.upgrade_targets = parse_upgrade_targets(invocation.arguments);
        return request;
    }
    const std::string& argument = invocation.arguments.at(0);
    if (kind == RunRequest::Kind::downgrade) {
        request.downgrade_target = parse_downgrade_target_argument(argument);
        return request;
    }
    const auto ref = parse_version_ref(argument, 0);
    if (!ref) {
        const auto at = argument.find('@');
        const bool relative =
            at != std::string::npos && at + 1 < argument.size() && (argument[at + 1] == '+' || argument[at + 1] == '-');
        throw HostError(
            ExitCode::usage,
            fmt::format("invalid {} target '{}': expected TRACK@VERSION{}", invocation.command, argument,
                        relative ? " (only upgrade and downgrade count steps from the current version)" : ""));
    }
    request.target = *ref;
    return request;
}

ExitCode run_and_render(const RunRequest& request, OutputFormat format) {
    RunLog log;
    // The progress display before the result: a bar is cleared at a step's end before its result line.
    ProgressDisplay progress(ProgressDisplay::style_for_stderr());
    if (format == OutputFormat::text) {
        RunTextResult text;
        run_writing_command(request, RunReporter({&log, &progress, &text}));
        return ExitCode::success;
    }
    RunJsonResult document(command_name(request.kind));
    try {
        run_writing_command(request, RunReporter({&log, &progress, &document}));
    } catch (...) {
        document.print();  // the runner reported the failure (run_event::Failed) before it threw
        throw;
    }
    document.print();
    return ExitCode::success;
}

}  // namespace migration_host
