// Bad plugin entry_null: its entry function returns NULL to every host.
// SPDX-License-Identifier: Apache-2.0
#include "bad_plugin.hpp"

BAD_PLUGIN_ENTRY(nullptr)
