// Bad plugin escape_name: its migration's name holds a terminal escape sequence.
// SPDX-License-Identifier: Apache-2.0
#include "bad_plugin.hpp"

namespace {
constexpr mh_migration first = bad::migration(bad::create_marker, "bad", 1, "001_\x1b[2Jbad");
const mh_migration* const migrations[] = {&first};
constexpr mh_plugin_descriptor descriptor = bad::descriptor("bad_escape_name", migrations);
}  // namespace

BAD_PLUGIN_ENTRY(&descriptor)
