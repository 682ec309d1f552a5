/* The stable C ABI between migration-host and its migration plugins. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MIGRATION_HOST_PLUGIN_H
#define MIGRATION_HOST_PLUGIN_H

/*
 * This header is the only contract between the host and a plugin. It is plain
 * C99 so that a plugin built by any compiler, from any project, works with any
 * host of the same ABI major version.
 *
 * Conventions (after CLAP and libgit2):
 * - Names are `mh_<module>_<verb>`; constants are `MH_...`.
 * - Every struct starts with `struct_size`, the size in bytes of the struct as
 *   its producer compiled it. Structs only ever grow at the end; a reader uses
 *   a member only when `MH_STRUCT_HAS(ptr, type, member)` says the producer's
 *   struct covers it. There are no enums and no bitfields in structs, only
 *   fixed-width integers, so the layout does not depend on the compiler.
 * - Functions that can fail return an `int32_t` status (`MH_OK` or one of the
 *   `MH_E_*` codes). A failing call leaves a human-readable message: the host's
 *   functions in `mh_host_api.error_last`, a plugin's step in
 *   `mh_host_api.error_set`. The side that receives a message copies it; no
 *   side ever frees memory that the other side allocated.
 * - No C++ exception, longjmp or signal may cross this boundary.
 * - Out-parameters come first, callbacks take `void *user` last.
 *
 * Threading: the host calls a plugin from one thread at a time. Every host API
 * function must be called on the thread that the host used to call the step,
 * during that call, and with the context that the host passed to it. Host API
 * functions may be called from inside an mh_row_fn callback, except query_run
 * itself (no nested queries).
 *
 * Transactions: the host owns them. Where DDL is transactional (SQLite,
 * PostgreSQL) each step runs inside a transaction the host commits together
 * with the version update; a step must never issue COMMIT, ROLLBACK, BEGIN or
 * SAVEPOINT statements, nor change autocommit on the raw connection.
 *
 * Offline runs: the host also calls a step's upgrade without a database
 * (odbc_connection returns NULL, sql_exec records instead of executing) to
 * derive its checksum and the tables it creates, possibly several times in
 * one run. An upgrade must therefore be deterministic for a given database
 * and have no side effects other than through the host API; a step that
 * must query declares its own checksum (mh_migration.checksum).
 *
 * Versioning: MH_ABI_VERSION_MAJOR changes only when an existing member
 * changes meaning or layout (never planned). MH_ABI_VERSION_MINOR grows when a
 * member is appended to a struct; members are grouped by the minor version
 * that added them. History: 1.0 first release; 1.1 mh_migration.checksum;
 * 1.2 mh_host_api.sql_exec_params and query_run_params (bound parameters);
 * 1.3 the flag MH_MIGRATION_RESTARTABLE (no layout change: a bit in the
 * existing mh_migration.flags); 1.4 mh_host_api.progress_report (a long step
 * says how far it has come).
 * MH_*_SIZE_1_N (after the structs) name each earlier layout's size, so that a
 * plugin can say which layout it fills in.
 *
 * Designated initializers (C99 `.member = value`, C++20 likewise) are the
 * recommended way to fill these structs: members can only be appended, so a
 * designated initializer keeps compiling, and means the same, under every
 * later minor version of this header.
 */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MH_ABI_VERSION_MAJOR 1u
#define MH_ABI_VERSION_MINOR 4u

/* "MHPL" in ASCII: the first check that a descriptor really is one. */
#define MH_PLUGIN_MAGIC 0x4D48504Cu

/* The one symbol a plugin library exports (see mh_plugin_entry_fn). */
#define MH_PLUGIN_ENTRY_SYMBOL "migration_host_plugin_entry"

#if defined(_WIN32)
#define MH_EXPORT __declspec(dllexport)
#elif defined(__GNUC__)
#define MH_EXPORT __attribute__((visibility("default")))
#else
#define MH_EXPORT
#endif

/* True when the struct that `ptr` points to, as its producer sized it in
 * `struct_size`, contains `member` entirely. */
#define MH_STRUCT_HAS(ptr, type, member)                                       \
    ((ptr) != NULL &&                                                          \
     (size_t)(ptr)->struct_size >= offsetof(type, member) + sizeof(((type *)0)->member))

/* Status codes. Anything other than MH_OK is a failure; unknown non-zero
 * values are treated as MH_E_FAILED. */
#define MH_OK 0
#define MH_E_FAILED 1      /* generic failure; the message says why */
#define MH_E_SQL 2         /* the database rejected a statement */
#define MH_E_INVALID 3     /* an argument was NULL or malformed */
#define MH_E_UNSUPPORTED 4 /* not available here (e.g. no connection offline) */
#define MH_E_ABORTED 5     /* a row callback asked to stop */

/* Log levels for mh_host_api.log_write. */
#define MH_LOG_TRACE 0
#define MH_LOG_DEBUG 1
#define MH_LOG_INFO 2
#define MH_LOG_WARN 3
#define MH_LOG_ERROR 4

/* Offline, a statement passed to sql_exec that starts with this text is a
 * guard: SQL that stops a script (migration-host sql) where the step, online,
 * would refuse after querying the database (the C++ SDK's SQLite rebuild
 * checks the table that way: operations.hpp, Op::rebuild). The host leaves
 * guards out of a step's checksum, which therefore does not change when a
 * step gains or loses one. Online a step issues none. */
#define MH_OFFLINE_GUARD_MARKER "/* migration-host guard */"

/* mh_migration.flags */
#define MH_MIGRATION_IRREVERSIBLE 0x1u /* downgrade is refused even if set */
/* The upgrade may be run again from its start on a database where an earlier
 * attempt of it stopped partway (a killed host or a lost machine, on
 * MySQL/MariaDB, where DDL commits as it goes): it checks what is already done
 * (drops only what is there, creates only what is missing, changes only rows
 * not yet changed) and leaves what a single clean run leaves. A 1.3 host then
 * finishes such a step on a track left dirty by a kill by running it again,
 * with no `repair` (a step that failed with its own error still needs one).
 * Set it only when that holds from every point the step can stop at; a host
 * before 1.3 ignores it (the track then needs `repair`, as for any step). */
#define MH_MIGRATION_RESTARTABLE 0x2u

/* Opaque per-call host context. Owned by the host; valid only during the call
 * of the step that received it. NULL is never passed to a step. A context kept
 * past its step's call (in a later step, another thread, a library destructor)
 * is refused: every function then returns MH_E_INVALID, "" or NULL and runs
 * nothing, and the host logs a warning naming the function and the step. */
typedef struct mh_host_context mh_host_context;

/*
 * Receives one row of a query result.
 *   values[i]  the i-th column as UTF-8 text, NUL-terminated, or NULL for SQL
 *              NULL. Owned by the host, valid only during this call: copy what
 *              you keep.
 *   lengths[i] the byte length of values[i] (0 for NULL).
 *   column_count the number of entries in values and lengths.
 *   user       the pointer passed to mh_host_api.query_run, untouched.
 * Return MH_OK to receive the next row; anything else stops the query, which
 * then returns MH_E_ABORTED.
 */
typedef int32_t (*mh_row_fn)(const char *const *values, const uint32_t *lengths,
                             uint32_t column_count, void *user);

/*
 * The services the host offers to a running step. The table is owned by the
 * host, constant, and valid during the step call that received it. Every
 * function takes the context the step received; none may be NULL unless its
 * documentation says so (check with MH_STRUCT_HAS for members added after 1.0).
 */
typedef struct mh_host_api {
    uint32_t struct_size; /* sizeof(mh_host_api) as the host compiled it */
    uint32_t abi_major;   /* the host's MH_ABI_VERSION_MAJOR */
    uint32_t abi_minor;   /* the host's MH_ABI_VERSION_MINOR */

    /* Executes one SQL statement (no trailing separator needed, never several
     * statements in one call: some drivers reject that). `sql` is UTF-8,
     * NUL-terminated, borrowed for the call. Result rows, if any, are
     * discarded. Offline (see odbc_connection) the statement is recorded
     * instead of executed and MH_OK is returned.
     * Returns MH_OK, MH_E_SQL (message in error_last) or MH_E_INVALID. */
    int32_t (*sql_exec)(mh_host_context *ctx, const char *sql);

    /* Runs one SQL query and calls `on_row` for each row, in order, on this
     * thread, before returning. `user` is passed to on_row untouched and may
     * be NULL. Offline it returns MH_E_UNSUPPORTED without calling on_row.
     * Returns MH_OK, MH_E_SQL, MH_E_INVALID, MH_E_UNSUPPORTED or MH_E_ABORTED
     * (on_row returned non-MH_OK). */
    int32_t (*query_run)(mh_host_context *ctx, const char *sql, mh_row_fn on_row,
                         void *user);

    /* The SQL dialect: "sqlite", "mysql" (MySQL and MariaDB), "postgresql", or
     * for any other database the DBMS name as the driver reports it, in lower
     * case. Never NULL; owned by the host, valid during the step call. */
    const char *(*dialect_name)(mh_host_context *ctx);

    /* The DBMS version as the driver reports it through ODBC's SQL_DBMS_VER,
     * in the driver's own format, e.g. "10.11.000019" from MariaDB
     * Connector/ODBC (not the server's "10.11.6-MariaDB"), "15.0.18" from
     * psqlodbc, "3.39.3" from sqliteodbc. Not the place to tell MariaDB from
     * MySQL: ask the server (SELECT VERSION() contains "MariaDB" there). Never
     * NULL; empty when unknown and always empty offline (offline renders must
     * not depend on it); valid during the step call. */
    const char *(*dbms_version)(mh_host_context *ctx);

    /* The current database (catalog) name, e.g. the MySQL schema the
     * connection uses. Never NULL (empty when the database has none, as for
     * SQLite, when unknown, and always offline); valid during the step call. */
    const char *(*database_name)(mh_host_context *ctx);

    /* Writes `message` (UTF-8, borrowed) to the host's log at `level`
     * (MH_LOG_*), attributed to the running step. Never fails. */
    void (*log_write)(mh_host_context *ctx, int32_t level, const char *message);

    /* Records why the step is about to fail; the host copies `message`. The
     * last message set before the step returns a failure is the one reported.
     * NULL clears it. Never fails. */
    void (*error_set)(mh_host_context *ctx, const char *message);

    /* The message of the last failed host call in this step, or "" when none
     * failed. Owned by the host, valid until the next host call. Never NULL. */
    const char *(*error_last)(mh_host_context *ctx);

    /* The raw ODBC connection handle (an SQLHDBC) the step's statements run
     * on, as an escape hatch for what the API above does not cover. NULL when
     * the host runs offline (rendering SQL without a database): a plugin that
     * only uses sql_exec works offline too. Owned by the host: do not free or
     * disconnect it, and do not end or start transactions on it. */
    void *(*odbc_connection)(mh_host_context *ctx);

    /* --- ABI 1.2 --- (check MH_STRUCT_HAS(host, mh_host_api, member) first:
     * a 1.1 host's table ends before these) */

    /* sql_exec with bound parameters, so that values never become SQL text.
     * `sql` has one `?` marker per value; values[i] is the i-th value as
     * UTF-8 text, NUL-terminated, borrowed for the call, or NULL for SQL NULL.
     * `values` may be NULL when value_count is 0. The database converts the
     * text to the column's type as it does for a string literal ('42' into an
     * INTEGER column; on PostgreSQL write an explicit CAST(? AS INTEGER) where
     * the type cannot be inferred). Offline the statement is recorded with
     * the values appended in a comment, and MH_OK is returned.
     * Returns MH_OK, MH_E_SQL (message in error_last) or MH_E_INVALID. */
    int32_t (*sql_exec_params)(mh_host_context *ctx, const char *sql, const char *const *values,
                               uint32_t value_count);

    /* query_run with bound parameters, as sql_exec_params binds them.
     * Offline it returns MH_E_UNSUPPORTED without calling on_row.
     * Returns as query_run. */
    int32_t (*query_run_params)(mh_host_context *ctx, const char *sql, const char *const *values,
                                uint32_t value_count, mh_row_fn on_row, void *user);

    /* --- ABI 1.4 --- (check MH_STRUCT_HAS(host, mh_host_api, progress_report)
     * first: a host before 1.4 has no such member) */

    /* Says how far the step has come through a long piece of work: `done` of
     * `total` units, `total` 0 when the step does not know it. `unit` names
     * what is counted ("rows", "volume types"), UTF-8, NUL-terminated,
     * borrowed for the call; NULL stands for "items". The host shows the
     * latest report to the operator (a bar on a terminal, a log line every
     * few seconds elsewhere) and to its run observers: it keeps only the
     * latest, passes one on at most every few hundred milliseconds, and costs
     * little enough per call (a clock read when nothing is passed on) to be
     * called once per row. Reports need not grow (a step may count a second
     * piece of work from 0) and `done` may exceed `total`; each is shown as
     * given. Thread: the step's own, during its call, like every function
     * here. Never fails; offline (see odbc_connection) it does nothing. */
    void (*progress_report)(mh_host_context *ctx, uint64_t done, uint64_t total, const char *unit);
} mh_host_api;

/*
 * One step of a migration, upgrade or downgrade. Runs all its SQL through
 * `host` with `ctx`; returns MH_OK when done, or a failure status after
 * calling host->error_set (or after a host call failed, whose message the host
 * keeps). Both pointers are valid only during the call.
 */
typedef int32_t (*mh_step_fn)(const mh_host_api *host, mh_host_context *ctx);

/*
 * One versioned migration. All pointers are owned by the plugin and must stay
 * valid and unchanged while the library is loaded (static storage is usual).
 */
typedef struct mh_migration {
    uint32_t struct_size; /* sizeof(mh_migration) as the plugin compiled it */
    uint32_t flags;       /* MH_MIGRATION_* bits. Older hosts ignore bits they do not
                           * know, so a new bit may only add something safe to miss;
                           * a feature an old host must honour needs a minor version
                           * the plugin checks against the host's. */

    /* The version line this migration belongs to, e.g. "cinder". The host
     * (plugin_loader, with is_valid_track_name in version_ref.cpp) refuses the
     * plugin unless it is 1 to 250 characters of lower-case ASCII letters,
     * digits, '_', '-' and '.', starting with a letter or a digit. Several
     * plugins may contribute versions to one track. */
    const char *track;
    /* The version this migration brings its track to: 1, 2, ... (> 0). */
    int64_t version;
    /* A short name such as "001_cinder_init". Not NULL. */
    const char *name;

    /* Requirements on other tracks, each "track@version": this migration's
     * upgrade runs only once those versions are applied. `requirements` may be
     * NULL when requirement_count is 0. */
    const char *const *requirements;
    uint32_t requirement_count;
    uint32_t reserved0; /* must be 0 (the host refuses anything else, so a later
                         * version can give it a meaning); keeps the pointers aligned */

    /* Brings the track from version-1 to version. Not NULL. */
    mh_step_fn upgrade;
    /* Brings the track from version back to version-1, or NULL when the
     * migration cannot be undone. */
    mh_step_fn downgrade;
    /* A note shown when a downgrade is refused (e.g. "Downgrade from initial
     * Cinder install is unsupported."), or NULL. */
    const char *downgrade_refusal;

    /* --- ABI 1.1 --- */

    /* A stable checksum of what the upgrade does (any printable text, e.g. a
     * hash of its SQL), or NULL to let the host derive one by running the
     * upgrade offline and hashing the statements it renders. Give one when
     * the upgrade queries the database (offline it cannot) or renders SQL
     * that varies between runs. */
    const char *checksum;
} mh_migration;

/*
 * What a plugin library offers. Owned by the plugin, constant, valid while
 * the library is loaded.
 */
typedef struct mh_plugin_descriptor {
    uint32_t struct_size; /* sizeof(mh_plugin_descriptor) as compiled */
    uint32_t magic;       /* MH_PLUGIN_MAGIC */
    uint32_t abi_major;   /* MH_ABI_VERSION_MAJOR the plugin was built with */
    uint32_t abi_minor;   /* MH_ABI_VERSION_MINOR the plugin was built with */

    const char *id;          /* unique, e.g. "cinder_initial"; not NULL. Same rule
                              * as mh_migration.track: 1 to 250 of [a-z0-9_.-],
                              * first [a-z0-9] ("CinderUpstream" is refused) */
    const char *name;        /* human name; not NULL */
    const char *version;     /* the plugin's product version; not NULL */
    const char *description; /* one line, or NULL */

    /* The migrations, in any order; `migrations` may be NULL when
     * migration_count is 0. Each entry is non-NULL. An array of pointers (not
     * of structs) so that mh_migration can grow without changing the stride. */
    const mh_migration *const *migrations;
    uint32_t migration_count;
    uint32_t reserved0; /* must be 0; the host refuses anything else */
} mh_plugin_descriptor;

/*
 * The exported entry function, named MH_PLUGIN_ENTRY_SYMBOL. The host passes
 * its ABI version; the plugin returns its descriptor, or NULL when it cannot
 * serve that host (a different major version, or a minor version older than
 * one it needs). Called once per load, from one thread, before anything else;
 * must not call back into the host and must not throw.
 */
typedef const mh_plugin_descriptor *(*mh_plugin_entry_fn)(uint32_t host_abi_major,
                                                         uint32_t host_abi_minor);

/*
 * Declares and then defines the entry function, so that builds with
 * -Wmissing-prototypes (and -Wmissing-declarations) accept it. Use once, at
 * file scope, followed by the body:
 *
 *     MH_PLUGIN_ENTRY(host_abi_major, host_abi_minor) {
 *         (void)host_abi_minor;
 *         return host_abi_major == MH_ABI_VERSION_MAJOR ? &descriptor : NULL;
 *     }
 *
 * In C++ the function gets C linkage. (The C++ SDK's MIGRATION_HOST_PLUGIN
 * macro writes the whole function for you.)
 */
#ifdef __cplusplus
#define MH_PLUGIN_ENTRY_LINKAGE extern "C"
#else
#define MH_PLUGIN_ENTRY_LINKAGE
#endif
#define MH_PLUGIN_ENTRY(major_name, minor_name)                                                        \
    MH_PLUGIN_ENTRY_LINKAGE MH_EXPORT const mh_plugin_descriptor *migration_host_plugin_entry(     \
        uint32_t major_name, uint32_t minor_name);                                                     \
    MH_PLUGIN_ENTRY_LINKAGE MH_EXPORT const mh_plugin_descriptor *migration_host_plugin_entry(     \
        uint32_t major_name, uint32_t minor_name)

/* The size of each struct as earlier minor versions laid it out: what a
 * plugin built for that version puts in struct_size (and what a host of that
 * version passes in mh_host_api.struct_size). */
#define MH_MIGRATION_SIZE_1_0 ((uint32_t)offsetof(mh_migration, checksum))
#define MH_MIGRATION_SIZE_1_1 ((uint32_t)(offsetof(mh_migration, checksum) + sizeof(const char *)))
#define MH_HOST_API_SIZE_1_0 ((uint32_t)offsetof(mh_host_api, sql_exec_params))
#define MH_HOST_API_SIZE_1_1 MH_HOST_API_SIZE_1_0 /* 1.1 added nothing to mh_host_api */
#define MH_HOST_API_SIZE_1_2 ((uint32_t)offsetof(mh_host_api, progress_report))
#define MH_HOST_API_SIZE_1_3 MH_HOST_API_SIZE_1_2 /* 1.3 added a flag, no member */
#define MH_PLUGIN_DESCRIPTOR_SIZE_1_0 ((uint32_t)sizeof(mh_plugin_descriptor)) /* unchanged since */

#ifdef __cplusplus
}
#endif

#endif /* MIGRATION_HOST_PLUGIN_H */
