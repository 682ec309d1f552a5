// The inspect and verify commands: the live schema, and drift against what the applied steps should have left.
// SPDX-License-Identifier: Apache-2.0
#include "command_line/commands.hpp"

namespace migration_host {

ExitCode inspect_schema(const Invocation&) {
    throw HostError(ExitCode::usage, "inspect: not built yet");
}

ExitCode verify_schema(const Invocation&) {
    throw HostError(ExitCode::usage, "verify: not built yet");
}

}  // namespace migration_host
