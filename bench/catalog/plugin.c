/* The synthetic benchmark plugin: one C source that becomes N distinct real plugins, each "bench_<i>". */
/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Plugin i owns track "bench_<i>" with 20 steps; step s creates the table "bench_<i>_<s>" and its downgrade
 * drops it. The statement is the same on every dialect, so the native clients can replay the host's offline
 * script for exactly the same work.
 *
 * Built in two parts from this one file (bench/catalog/build), so that 1,000 plugins take seconds, not minutes:
 *   cc -O1 -fPIC -fvisibility=hidden -c plugin.c -o common.o            the steps and the entry, once
 *   cc -O1 -fPIC -fvisibility=hidden -shared -DPLUGIN_INDEX=i plugin.c common.o -o bench_i.so
 *                                                                         the id and name of plugin i, N times
 * Like the SDK's own plugins, the steps declare no checksum by default (the host renders them offline to
 * derive one); -DPLUGIN_CHECKSUMS=1 on the first command makes each step vouch for its own, as a step that
 * queries the database must.
 */
#include <migration_host/plugin.h>

#include <stdio.h>

/* Set by the per-plugin part: "bench_<i>" (plugin id and track) and the plugin's human name. */
extern const char bench_plugin_id[];
extern const char bench_plugin_name[];

#ifdef PLUGIN_INDEX

#define TEXT_(x) #x
#define TEXT(x) TEXT_(x)
const char bench_plugin_id[] = "bench_" TEXT(PLUGIN_INDEX);
const char bench_plugin_name[] = "Benchmark plugin " TEXT(PLUGIN_INDEX);

#else

#ifndef PLUGIN_CHECKSUMS
#define PLUGIN_CHECKSUMS 0
#endif

/* The same text offline and online, so the derived checksum is stable. */
static int32_t create_table(const mh_host_api *host, mh_host_context *ctx, int step) {
    char sql[200];
    snprintf(sql, sizeof sql,
             "CREATE TABLE %s_%d (id INTEGER NOT NULL, name VARCHAR(64), created_at TIMESTAMP NULL, PRIMARY KEY (id))",
             bench_plugin_id, step);
    return host->sql_exec(ctx, sql);
}

static int32_t drop_table(const mh_host_api *host, mh_host_context *ctx, int step) {
    char sql[100];
    snprintf(sql, sizeof sql, "DROP TABLE %s_%d", bench_plugin_id, step);
    return host->sql_exec(ctx, sql);
}

#if PLUGIN_CHECKSUMS
#define STEP_CHECKSUM(s) "bench-create-table:" #s ":1"
#else
#define STEP_CHECKSUM(s) NULL
#endif

#define STEP(s)                                                                                          \
    static int32_t upgrade_##s(const mh_host_api *host, mh_host_context *ctx) {                          \
        return create_table(host, ctx, s);                                                               \
    }                                                                                                    \
    static int32_t downgrade_##s(const mh_host_api *host, mh_host_context *ctx) {                        \
        return drop_table(host, ctx, s);                                                                 \
    }                                                                                                    \
    static const mh_migration migration_##s = {                                                          \
        .struct_size = sizeof(mh_migration),                                                             \
        .track = bench_plugin_id,                                                                        \
        .version = s,                                                                                    \
        .name = "step_" #s,                                                                              \
        .upgrade = upgrade_##s,                                                                          \
        .downgrade = downgrade_##s,                                                                      \
        .checksum = STEP_CHECKSUM(s),                                                                    \
    };

STEP(1) STEP(2) STEP(3) STEP(4) STEP(5) STEP(6) STEP(7) STEP(8) STEP(9) STEP(10)
STEP(11) STEP(12) STEP(13) STEP(14) STEP(15) STEP(16) STEP(17) STEP(18) STEP(19) STEP(20)

static const mh_migration *const all_migrations[] = {
    &migration_1,  &migration_2,  &migration_3,  &migration_4,  &migration_5,  &migration_6,  &migration_7,
    &migration_8,  &migration_9,  &migration_10, &migration_11, &migration_12, &migration_13, &migration_14,
    &migration_15, &migration_16, &migration_17, &migration_18, &migration_19, &migration_20,
};

static const mh_plugin_descriptor descriptor = {
    .struct_size = sizeof(mh_plugin_descriptor),
    .magic = MH_PLUGIN_MAGIC,
    .abi_major = MH_ABI_VERSION_MAJOR,
    .abi_minor = MH_ABI_VERSION_MINOR,
    .id = bench_plugin_id,
    .name = bench_plugin_name,
    .version = "1.0.0",
    .description = "synthetic: one CREATE TABLE per step (bench/catalog/plugin.c)",
    .migrations = all_migrations,
    .migration_count = sizeof all_migrations / sizeof all_migrations[0],
};

MH_PLUGIN_ENTRY(host_abi_major, host_abi_minor) {
    (void)host_abi_minor;
    return host_abi_major == MH_ABI_VERSION_MAJOR ? &descriptor : NULL;
}

#endif
