// Bad plugin version_max: its only migration has version INT64_MAX, so version 1 is missing.
// SPDX-License-Identifier: Apache-2.0
#include "bad_plugin.hpp"

namespace {
constexpr mh_migration first = bad::migration(bad::create_marker, "bad", INT64_MAX, "max_bad");
const mh_migration* const migrations[] = {&first};
constexpr mh_plugin_descriptor descriptor = bad::descriptor("bad_version_max", migrations);
}  // namespace

BAD_PLUGIN_ENTRY(&descriptor)
