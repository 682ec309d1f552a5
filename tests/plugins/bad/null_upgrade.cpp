// Bad plugin null_upgrade: its migration has no upgrade function.
// SPDX-License-Identifier: Apache-2.0
#include "bad_plugin.hpp"

namespace {
constexpr mh_migration first = bad::migration(nullptr);
const mh_migration* const migrations[] = {&first};
constexpr mh_plugin_descriptor descriptor = bad::descriptor("bad_null_upgrade", migrations);
}  // namespace

BAD_PLUGIN_ENTRY(&descriptor)
