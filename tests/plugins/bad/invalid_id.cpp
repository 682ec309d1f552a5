// Bad plugin invalid_id: its id has upper case and a space.
// SPDX-License-Identifier: Apache-2.0
#include "bad_plugin.hpp"

namespace {
constexpr mh_migration first = bad::migration(bad::create_marker);
const mh_migration* const migrations[] = {&first};
constexpr mh_plugin_descriptor descriptor = bad::descriptor("Bad Plugin", migrations);
}  // namespace

BAD_PLUGIN_ENTRY(&descriptor)
