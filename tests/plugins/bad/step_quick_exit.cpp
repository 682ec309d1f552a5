// Bad plugin step_quick_exit: a step that ends the process with quick_exit(0), after creating a table.
// SPDX-License-Identifier: Apache-2.0
#include "bad_plugin.hpp"

#include <cstdlib>

namespace {

// Creates bad_marker, then misbehaves on the real run (rendered offline, it behaves).
int32_t upgrade(const mh_host_api* host, mh_host_context* ctx) {
    const int32_t status = bad::create_marker(host, ctx);
    if (status != MH_OK || !bad::online(host, ctx)) return status;
    std::quick_exit(0);
}

constexpr mh_migration first = bad::migration(upgrade);
const mh_migration* const migrations[] = {&first};
constexpr mh_plugin_descriptor descriptor = bad::descriptor("bad_step_quick_exit", migrations);

}  // namespace

BAD_PLUGIN_ENTRY(&descriptor)
