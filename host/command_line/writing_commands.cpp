// The commands that change the database (upgrade, downgrade, stamp, repair): a request for the runner, rendered.
// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>

#include "command_line/commands.hpp"
#include "command_line/run_output.hpp"
#include "engine/runner.hpp"

namespace migration_host {
namespace {

RunRequest request_for(const Invocation& invocation, RunRequest::Kind kind) {
    RunRequest request;
    request.kind = kind;
    request.plugins = plugin_options(invocation.global);
    request.connection = connection_options(invocation.global);
    request.lock_timeout = std::chrono::seconds(invocation.global.lock_timeout_seconds);
    if (kind == RunRequest::Kind::upgrade) {
        request.upgrade_targets = parse_upgrade_targets(invocation.arguments);
        return request;
    }
    const auto ref = parse_version_ref(invocation.arguments.at(0), 0);
    if (!ref) {
        throw HostError(ExitCode::usage, fmt::format("invalid {} target '{}': expected TRACK@VERSION",
                                                     invocation.command, invocation.arguments.at(0)));
    }
    request.target = *ref;
    return request;
}

ExitCode run(const Invocation& invocation, RunRequest::Kind kind) {
    const RunRequest request = request_for(invocation, kind);
    RunLog log;
    RunTextResult text;
    run_writing_command(request, RunReporter({&log, &text}));
    return ExitCode::success;
}

}  // namespace

ExitCode upgrade(const Invocation& invocation) {
    return run(invocation, RunRequest::Kind::upgrade);
}

ExitCode downgrade(const Invocation& invocation) {
    return run(invocation, RunRequest::Kind::downgrade);
}

ExitCode stamp(const Invocation& invocation) {
    return run(invocation, RunRequest::Kind::stamp);
}

ExitCode repair(const Invocation& invocation) {
    return run(invocation, RunRequest::Kind::repair);
}

}  // namespace migration_host
