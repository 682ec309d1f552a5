/* A shared library without the plugin entry symbol: the host must reject it by name. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <migration_host/plugin.h>

MH_EXPORT int not_a_plugin_answer(void);

MH_EXPORT int not_a_plugin_answer(void) {
    return 42;
}
