// Bad plugin long_version: its product version is longer than the history can store (101 bytes).
// SPDX-License-Identifier: Apache-2.0
#include "bad_plugin.hpp"

namespace {
constexpr mh_migration first = bad::migration(bad::create_marker);
const mh_migration* const migrations[] = {&first};
constexpr mh_plugin_descriptor make() {
    mh_plugin_descriptor descriptor = bad::descriptor("bad_long_version", migrations);
    descriptor.version =
        "1.0.0-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    return descriptor;
}
constexpr mh_plugin_descriptor descriptor = make();
}  // namespace

BAD_PLUGIN_ENTRY(&descriptor)
