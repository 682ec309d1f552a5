/* A plugin, written in plain C, that claims a future ABI major version: the host must refuse it. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <migration_host/plugin.h>

static int32_t noop_step(const mh_host_api *host, mh_host_context *ctx) {
    (void)host;
    (void)ctx;
    return MH_OK;
}

static const mh_migration first = {
    sizeof(mh_migration), 0, "future", 1, "001_future", NULL, 0, 0, noop_step, noop_step, NULL, NULL,
};

static const mh_migration *const migrations[] = {&first};

static const mh_plugin_descriptor descriptor = {
    sizeof(mh_plugin_descriptor),
    MH_PLUGIN_MAGIC,
    MH_ABI_VERSION_MAJOR + 1u,
    0,
    "wrong_abi",
    "Plugin built for a future ABI",
    "9.9.9",
    NULL,
    migrations,
    1,
    0,
};

MH_EXPORT const mh_plugin_descriptor *migration_host_plugin_entry(uint32_t host_abi_major, uint32_t host_abi_minor) {
    /* Deliberately ignores the host's version, as a careless plugin would:
     * the host must still check the descriptor's abi_major itself. */
    (void)host_abi_major;
    (void)host_abi_minor;
    return &descriptor;
}
