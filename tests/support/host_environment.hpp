// The environment run_host, BackgroundHost and TerminalHost give a migration-host they start.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

#include "host_process.hpp"

namespace test_support {

// This process's environment with the host's own variables removed unless `run` sets them, and those `run` sets to
// "" removed; "NAME=value" each.
std::vector<std::string> host_environment(const HostRun& run);

}  // namespace test_support
