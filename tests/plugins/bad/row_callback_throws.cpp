// Bad plugin row_callback_throws: a step whose query_run row callback throws a std::exception into the host, after
// SPDX-License-Identifier: Apache-2.0
// creating a table.
#include "bad_plugin.hpp"

#include <stdexcept>

namespace {

int32_t throw_on_row(const char* const*, const uint32_t*, uint32_t, void*) {
    throw std::runtime_error("row exploded");
}

// Creates bad_marker, then queries it with a callback that throws (offline there is nothing to query).
int32_t upgrade(const mh_host_api* host, mh_host_context* ctx) {
    const int32_t status = bad::create_marker(host, ctx);
    if (status != MH_OK || !bad::online(host, ctx)) return status;
    host->query_run(ctx, "SELECT 1", throw_on_row, nullptr);
    return MH_OK;  // ignores the failed query, as a careless plugin would
}

constexpr mh_migration first = bad::migration(upgrade);
const mh_migration* const migrations[] = {&first};
constexpr mh_plugin_descriptor descriptor = bad::descriptor("bad_row_callback_throws", migrations);

}  // namespace

BAD_PLUGIN_ENTRY(&descriptor)
