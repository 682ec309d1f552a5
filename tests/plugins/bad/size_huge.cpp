// Bad plugin size_huge: its descriptor declares an absurd struct_size (4 GiB).
// SPDX-License-Identifier: Apache-2.0
#include "bad_plugin.hpp"

namespace {
constexpr mh_migration first = bad::migration(bad::create_marker);
const mh_migration* const migrations[] = {&first};
constexpr mh_plugin_descriptor make() {
    mh_plugin_descriptor descriptor = bad::descriptor("bad_size_huge", migrations);
    descriptor.struct_size = 0xFFFFFFFFu;
    return descriptor;
}
constexpr mh_plugin_descriptor descriptor = make();
}  // namespace

BAD_PLUGIN_ENTRY(&descriptor)
