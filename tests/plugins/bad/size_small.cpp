// Bad plugin size_small: its descriptor declares 16 bytes: the ABI version, but no id or migrations.
// SPDX-License-Identifier: Apache-2.0
#include "bad_plugin.hpp"

namespace {
constexpr mh_migration first = bad::migration(bad::create_marker);
const mh_migration* const migrations[] = {&first};
constexpr mh_plugin_descriptor make() {
    mh_plugin_descriptor descriptor = bad::descriptor("bad_size_small", migrations);
    descriptor.struct_size = 16;
    return descriptor;
}
constexpr mh_plugin_descriptor descriptor = make();
}  // namespace

BAD_PLUGIN_ENTRY(&descriptor)
