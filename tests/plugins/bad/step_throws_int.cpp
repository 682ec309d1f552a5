// Bad plugin step_throws_int: a step that throws an int (no std::exception) through the C ABI, after creating a table.
// SPDX-License-Identifier: Apache-2.0
#include "bad_plugin.hpp"

namespace {

// Creates bad_marker, then misbehaves on the real run (rendered offline, it behaves).
int32_t upgrade(const mh_host_api* host, mh_host_context* ctx) {
    const int32_t status = bad::create_marker(host, ctx);
    if (status != MH_OK || !bad::online(host, ctx)) return status;
    throw 42;
}

constexpr mh_migration first = bad::migration(upgrade);
const mh_migration* const migrations[] = {&first};
constexpr mh_plugin_descriptor descriptor = bad::descriptor("bad_step_throws_int", migrations);

}  // namespace

BAD_PLUGIN_ENTRY(&descriptor)
