// Bad plugin wrong_magic: its descriptor has the wrong magic number.
// SPDX-License-Identifier: Apache-2.0
#include "bad_plugin.hpp"

namespace {
constexpr mh_migration first = bad::migration(bad::create_marker);
const mh_migration* const migrations[] = {&first};
constexpr mh_plugin_descriptor make() {
    mh_plugin_descriptor descriptor = bad::descriptor("bad_wrong_magic", migrations);
    descriptor.magic = 0x4C50484Du;  // "MHPL" byte-swapped
    return descriptor;
}
constexpr mh_plugin_descriptor descriptor = make();
}  // namespace

BAD_PLUGIN_ENTRY(&descriptor)
