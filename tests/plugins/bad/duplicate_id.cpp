// Bad plugin duplicate_id: built twice (bad_duplicate_id_a, bad_duplicate_id_b): two libraries with one plugin id.
// SPDX-License-Identifier: Apache-2.0
#include "bad_plugin.hpp"

namespace {
constexpr mh_migration first = bad::migration(bad::create_marker);
const mh_migration* const migrations[] = {&first};
constexpr mh_plugin_descriptor descriptor = bad::descriptor("bad_duplicate", migrations);
}  // namespace

BAD_PLUGIN_ENTRY(&descriptor)
