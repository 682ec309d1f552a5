// Bad plugin entry_throws: its entry function throws a std::exception.
// SPDX-License-Identifier: Apache-2.0
#include "bad_plugin.hpp"

#include <stdexcept>

extern "C" MH_EXPORT const mh_plugin_descriptor* migration_host_plugin_entry(uint32_t, uint32_t) {
    throw std::runtime_error("entry exploded");
}
