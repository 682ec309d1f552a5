// Compiles the ABI header as strict C++ (-Wall -Wextra -pedantic -Werror), whatever the build's warning options.
// SPDX-License-Identifier: Apache-2.0
#include <migration_host/plugin.h>

#include <type_traits>

static_assert(std::is_standard_layout_v<mh_plugin_descriptor>, "the descriptor must be a C struct");
static_assert(std::is_standard_layout_v<mh_migration>, "a migration must be a C struct");
static_assert(std::is_standard_layout_v<mh_host_api>, "the host API must be a C struct");
static_assert(offsetof(mh_plugin_descriptor, magic) == sizeof(uint32_t), "magic follows struct_size");
