// The migration-host executable's top level: the one place where host exceptions become exit codes.
// SPDX-License-Identifier: Apache-2.0
#pragma once

namespace migration_host {

// Everything `migration-host` does for one command line: parses it, runs the command (or the fleet), reports every
// failure as one error line on stderr, and returns the exit code.
int run_host(int argc, char* argv[]);

}  // namespace migration_host
