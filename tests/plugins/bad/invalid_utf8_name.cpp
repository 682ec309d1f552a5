// Bad plugin invalid_utf8_name: its human name is not valid UTF-8.
// SPDX-License-Identifier: Apache-2.0
#include "bad_plugin.hpp"

namespace {
constexpr mh_migration first = bad::migration(bad::create_marker);
const mh_migration* const migrations[] = {&first};
constexpr mh_plugin_descriptor make() {
    mh_plugin_descriptor descriptor = bad::descriptor("bad_invalid_utf8_name", migrations);
    descriptor.name = "bad \xff\xfe name";
    return descriptor;
}
constexpr mh_plugin_descriptor descriptor = make();
}  // namespace

BAD_PLUGIN_ENTRY(&descriptor)
