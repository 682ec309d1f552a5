// Bad plugin null_name: its migration has no name (NULL).
// SPDX-License-Identifier: Apache-2.0
#include "bad_plugin.hpp"

namespace {
constexpr mh_migration first = bad::migration(bad::create_marker, "bad", 1, nullptr);
const mh_migration* const migrations[] = {&first};
constexpr mh_plugin_descriptor descriptor = bad::descriptor("bad_null_name", migrations);
}  // namespace

BAD_PLUGIN_ENTRY(&descriptor)
