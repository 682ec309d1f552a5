// Bad plugin null_id: its descriptor has no id (NULL).
// SPDX-License-Identifier: Apache-2.0
#include "bad_plugin.hpp"

namespace {
constexpr mh_migration first = bad::migration(bad::create_marker);
const mh_migration* const migrations[] = {&first};
constexpr mh_plugin_descriptor descriptor = bad::descriptor(nullptr, migrations);
}  // namespace

BAD_PLUGIN_ENTRY(&descriptor)
