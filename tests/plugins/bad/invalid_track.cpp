// Bad plugin invalid_track: its migration's track has upper case and a slash.
// SPDX-License-Identifier: Apache-2.0
#include "bad_plugin.hpp"

namespace {
constexpr mh_migration first = bad::migration(bad::create_marker, "Bad/Track", 1, "001_bad");
const mh_migration* const migrations[] = {&first};
constexpr mh_plugin_descriptor descriptor = bad::descriptor("bad_invalid_track", migrations);
}  // namespace

BAD_PLUGIN_ENTRY(&descriptor)
