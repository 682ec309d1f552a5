/* Test plugin abi_1_0: plain C99 built as ABI 1.0, whose mh_migration ends before checksum, so the host must load it without reading past that size. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <migration_host/plugin.h>

#include <stddef.h>
#include <stdint.h>

/* The ABI this plugin stands for: what a plugin compiled against the 1.0
 * header would have put in its descriptor. */
#define LEGACY_ABI_MAJOR 1u
#define LEGACY_ABI_MINOR 0u
/* sizeof(mh_migration) in 1.0: everything up to where 1.1 appended checksum.
 * The checksum member is left zero here, but a correct host never reads it. */
#define LEGACY_MIGRATION_SIZE ((uint32_t)offsetof(mh_migration, checksum))

/* On failure the host already holds the database's message, so passing its
 * status on is the whole error handling. */
static int32_t upgrade_legacy(const mh_host_api *host, mh_host_context *ctx) {
    return host->sql_exec(ctx, "CREATE TABLE legacy_t (id INTEGER NOT NULL, PRIMARY KEY (id))");
}

static int32_t downgrade_legacy(const mh_host_api *host, mh_host_context *ctx) {
    return host->sql_exec(ctx, "DROP TABLE legacy_t");
}

static const mh_migration legacy_migration = {
    .struct_size = LEGACY_MIGRATION_SIZE,
    .flags = 0,
    .track = "legacy",
    .version = 1,
    .name = "001_legacy",
    .requirements = NULL,
    .requirement_count = 0,
    .reserved0 = 0,
    .upgrade = upgrade_legacy,
    .downgrade = downgrade_legacy,
    .downgrade_refusal = NULL,
};

static const mh_migration *const migrations[] = {&legacy_migration};

static const mh_plugin_descriptor descriptor = {
    .struct_size = sizeof(mh_plugin_descriptor),
    .magic = MH_PLUGIN_MAGIC,
    .abi_major = LEGACY_ABI_MAJOR,
    .abi_minor = LEGACY_ABI_MINOR,
    .id = "abi_1_0",
    .name = "ABI 1.0 plugin (test)",
    .version = "1.0.0",
    .description = "Track legacy: a plain C plugin built as ABI 1.0, without mh_migration.checksum",
    .migrations = migrations,
    .migration_count = 1,
    .reserved0 = 0,
};

/* Any minor version will do: later minors only append members, and a 1.0
 * plugin uses none of them. */
MH_EXPORT const mh_plugin_descriptor *migration_host_plugin_entry(uint32_t host_abi_major, uint32_t host_abi_minor) {
    (void)host_abi_minor;
    return host_abi_major == LEGACY_ABI_MAJOR ? &descriptor : NULL;
}
