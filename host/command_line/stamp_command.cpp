// The stamp command: a track's version recorded without running any step (a baseline).
// SPDX-License-Identifier: Apache-2.0
#include "command_line/run_request.hpp"

namespace migration_host {

ExitCode run_stamp(const Invocation& invocation) {
    return run_and_render(run_request(invocation, RunRequest::Kind::stamp), invocation.options.format);
}

}  // namespace migration_host
