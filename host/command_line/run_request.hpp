// A writing command's request, built from the invocation, and its run with the text result and the log observing it.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "command_line/cli.hpp"
#include "engine/runner.hpp"

namespace migration_host {

// The request for `kind` from the global options and the arguments: upgrade's targets, downgrade's, or the
// TRACK@VERSION the other commands take (throws HostError(usage) naming the command for one that does not parse).
RunRequest run_request(const Invocation& invocation, RunRequest::Kind kind);

// Runs `request` as the runner does, rendering its events as log lines on stderr and, on stdout, as text lines or
// (`format` json) one JSON document, printed for a failed run too, before its failure goes on to the top level.
ExitCode run_and_render(const RunRequest& request, OutputFormat format);

}  // namespace migration_host
