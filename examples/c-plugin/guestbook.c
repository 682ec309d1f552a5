/* The guestbook plugin: a complete migration-host plugin in plain C99 (track "guestbook", versions 1 and 2). */
/* SPDX-License-Identifier: Apache-2.0 */
#include <migration_host/plugin.h>

#include <stdio.h>
#include <string.h>

/* Version 1: a table. Every dialect accepts this statement; MySQL/MariaDB also get an explicit engine and
 * character set, to show a step that asks which database it runs on. */
#define CREATE_ENTRIES                                                                                        \
    "CREATE TABLE guestbook_entries (id INTEGER NOT NULL, author VARCHAR(64) NOT NULL, message VARCHAR(255) " \
    "NOT NULL, PRIMARY KEY (id))"

static int32_t create_entries(const mh_host_api *host, mh_host_context *ctx) {
    if (strcmp(host->dialect_name(ctx), "mysql") == 0) {
        return host->sql_exec(ctx, CREATE_ENTRIES " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4");
    }
    /* On failure the host already holds the database's message: passing the status on is enough. */
    return host->sql_exec(ctx, CREATE_ENTRIES);
}

static int32_t drop_entries(const mh_host_api *host, mh_host_context *ctx) {
    return host->sql_exec(ctx, "DROP TABLE guestbook_entries");
}

/* Version 2: a settings table and its first rows. The values are bound to `?` markers (ABI 1.2), never pasted
 * into SQL; NULL stands for SQL NULL. */
static const char *const default_settings[][2] = {
    {"title", "Guestbook"},
    {"moderator", NULL},
};

static int32_t create_settings(const mh_host_api *host, mh_host_context *ctx) {
    size_t i;
    int32_t status;
    /* A host older than ABI 1.2 has no bound parameters: fail before changing anything, and say why. */
    if (!MH_STRUCT_HAS(host, mh_host_api, sql_exec_params)) {
        host->error_set(ctx, "002_settings needs bound parameters (ABI 1.2); upgrade migration-host");
        return MH_E_UNSUPPORTED;
    }
    status = host->sql_exec(ctx,
                            "CREATE TABLE guestbook_settings (name VARCHAR(64) NOT NULL, value VARCHAR(255), "
                            "PRIMARY KEY (name))");
    for (i = 0; status == MH_OK && i < sizeof default_settings / sizeof default_settings[0]; ++i) {
        status = host->sql_exec_params(ctx, "INSERT INTO guestbook_settings (name, value) VALUES (?, ?)",
                                       default_settings[i], 2);
    }
    return status;
}

/* A row callback: counts rows into the `user` pointer query_run passes through. */
static int32_t count_row(const char *const *values, const uint32_t *lengths, uint32_t column_count, void *user) {
    (void)values;
    (void)lengths;
    (void)column_count;
    ++*(unsigned long *)user;
    return MH_OK;
}

/* Downgrades never run offline, so they may query freely. */
static int32_t drop_settings(const mh_host_api *host, mh_host_context *ctx) {
    unsigned long rows = 0;
    char message[80];
    int32_t status = host->query_run(ctx, "SELECT name FROM guestbook_settings", count_row, &rows);
    if (status != MH_OK) return status;
    snprintf(message, sizeof message, "dropping guestbook_settings and its %lu rows", rows);
    host->log_write(ctx, MH_LOG_INFO, message);
    return host->sql_exec(ctx, "DROP TABLE guestbook_settings");
}

/* Static, constant, and alive as long as the library is loaded: the host keeps pointers into them.
 * Designated initializers keep meaning the same under every later minor version of plugin.h. */
static const mh_migration entries = {
    .struct_size = sizeof(mh_migration),
    .track = "guestbook",
    .version = 1,
    .name = "001_entries",
    .upgrade = create_entries,
    .downgrade = drop_entries,
};

static const mh_migration settings = {
    .struct_size = sizeof(mh_migration),
    .track = "guestbook",
    .version = 2,
    .name = "002_settings",
    .upgrade = create_settings,
    .downgrade = drop_settings,
};

static const mh_migration *const migrations[] = {&entries, &settings};

static const mh_plugin_descriptor descriptor = {
    .struct_size = sizeof(mh_plugin_descriptor),
    .magic = MH_PLUGIN_MAGIC,
    .abi_major = MH_ABI_VERSION_MAJOR,
    .abi_minor = MH_ABI_VERSION_MINOR,
    .id = "guestbook",
    .name = "Guestbook (C example)",
    .version = "1.0.0",
    .description = "Track guestbook: entries, then settings with default rows",
    .migrations = migrations,
    .migration_count = sizeof migrations / sizeof migrations[0],
};

/* Any 1.x host will do: a step checks for what it needs from later minor versions (MH_STRUCT_HAS above). */
MH_PLUGIN_ENTRY(host_abi_major, host_abi_minor) {
    (void)host_abi_minor;
    return host_abi_major == MH_ABI_VERSION_MAJOR ? &descriptor : NULL;
}
