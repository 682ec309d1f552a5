// Bad plugin version_zero: its migration has version 0.
// SPDX-License-Identifier: Apache-2.0
#include "bad_plugin.hpp"

namespace {
constexpr mh_migration first = bad::migration(bad::create_marker, "bad", 0, "000_bad");
const mh_migration* const migrations[] = {&first};
constexpr mh_plugin_descriptor descriptor = bad::descriptor("bad_version_zero", migrations);
}  // namespace

BAD_PLUGIN_ENTRY(&descriptor)
