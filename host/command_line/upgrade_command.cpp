// The upgrade command: every pending step the targets need, in dependency order, each recorded as it ends.
// SPDX-License-Identifier: Apache-2.0
#include "command_line/run_request.hpp"

namespace migration_host {

ExitCode run_upgrade(const Invocation& invocation) {
    return run_and_render(run_request(invocation, RunRequest::Kind::upgrade), invocation.options.format);
}

}  // namespace migration_host
