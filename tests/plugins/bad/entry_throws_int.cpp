// Bad plugin entry_throws_int: its entry function throws an int, which is no std::exception.
// SPDX-License-Identifier: Apache-2.0
#include "bad_plugin.hpp"

extern "C" MH_EXPORT const mh_plugin_descriptor* migration_host_plugin_entry(uint32_t, uint32_t) {
    throw 42;
}
