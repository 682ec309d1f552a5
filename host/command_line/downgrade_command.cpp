// The downgrade command: one track's steps undone down to a version, newest first.
// SPDX-License-Identifier: Apache-2.0
#include "command_line/run_request.hpp"

namespace migration_host {

ExitCode run_downgrade(const Invocation& invocation) {
    return run_and_render(run_request(invocation, RunRequest::Kind::downgrade), invocation.options.format);
}

}  // namespace migration_host
