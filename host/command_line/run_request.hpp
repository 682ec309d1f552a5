// A writing command's request, built from the invocation, and its run with the text result and the log observing it.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "command_line/cli.hpp"
#include "engine/runner.hpp"

namespace migration_host {

// The request for `kind` from the global options and the arguments: upgrade's targets, downgrade's, or the
// TRACK@VERSION the other commands take (throws HostError(usage) naming the command for one that does not parse).
RunRequest run_request(const Invocation& invocation, RunRequest::Kind kind);

// Runs `request` as the runner does, rendering its events as text lines on stdout and log lines on stderr.
ExitCode run_and_render(const RunRequest& request);

}  // namespace migration_host
