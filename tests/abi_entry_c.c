/* Compiles MH_PLUGIN_ENTRY as a plain C99 plugin would, with -Wmissing-prototypes -Werror: the macro must declare the entry function before defining it. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <migration_host/plugin.h>

static const mh_migration *const no_migrations[] = {NULL};

static const mh_plugin_descriptor descriptor = {
    .struct_size = sizeof(mh_plugin_descriptor),
    .magic = MH_PLUGIN_MAGIC,
    .abi_major = MH_ABI_VERSION_MAJOR,
    .abi_minor = MH_ABI_VERSION_MINOR,
    .id = "entry_check",
    .name = "entry prototype check",
    .version = "0",
    .description = NULL,
    .migrations = no_migrations,
    .migration_count = 0,
    .reserved0 = 0,
};

MH_PLUGIN_ENTRY(host_abi_major, host_abi_minor) {
    (void)host_abi_minor;
    return host_abi_major == MH_ABI_VERSION_MAJOR ? &descriptor : NULL;
}
