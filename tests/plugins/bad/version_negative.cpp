// Bad plugin version_negative: its migration has version -1.
// SPDX-License-Identifier: Apache-2.0
#include "bad_plugin.hpp"

namespace {
constexpr mh_migration first = bad::migration(bad::create_marker, "bad", -1, "minus_one");
const mh_migration* const migrations[] = {&first};
constexpr mh_plugin_descriptor descriptor = bad::descriptor("bad_version_negative", migrations);
}  // namespace

BAD_PLUGIN_ENTRY(&descriptor)
