// The repair command: a dirty track's unfinished step marked as done or not done.
// SPDX-License-Identifier: Apache-2.0
#include "command_line/run_request.hpp"

namespace migration_host {

ExitCode run_repair(const Invocation& invocation) {
    return run_and_render(run_request(invocation, RunRequest::Kind::repair), invocation.options.format);
}

}  // namespace migration_host
