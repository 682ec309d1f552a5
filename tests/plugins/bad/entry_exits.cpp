// Bad plugin entry_exits: its entry function ends the process with exit(0).
// SPDX-License-Identifier: Apache-2.0
#include "bad_plugin.hpp"

#include <cstdlib>

extern "C" MH_EXPORT const mh_plugin_descriptor* migration_host_plugin_entry(uint32_t, uint32_t) {
    std::exit(0);
}
