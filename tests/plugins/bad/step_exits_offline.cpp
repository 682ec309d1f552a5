// Bad plugin step_exits_offline: a step that ends the process with exit(0) even when the host renders it offline
// SPDX-License-Identifier: Apache-2.0
// (before anything runs).
#include "bad_plugin.hpp"

#include <cstdlib>

namespace {

int32_t upgrade(const mh_host_api* host, mh_host_context* ctx) {
    bad::create_marker(host, ctx);
    std::exit(0);
}

constexpr mh_migration first = bad::migration(upgrade);
const mh_migration* const migrations[] = {&first};
constexpr mh_plugin_descriptor descriptor = bad::descriptor("bad_step_exits_offline", migrations);

}  // namespace

BAD_PLUGIN_ENTRY(&descriptor)
