/* Test plugin thread_at_load: its library starts a thread when loaded that holds a lock its step needs, as runtimes (Go's, a logger's, a connection pool's) do, so that a process forked after loading it deadlocks in the step. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <migration_host/plugin.h>

#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>

/* The keeper thread holds shared_lock whenever no step runs, and lets a step have it on request. fork() copies the
 * lock as held but not the keeper: in a child forked after the library was loaded, the step waits for it forever.
 * The handshake makes that certain rather than likely: the keeper always holds the lock between steps. */
static pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;
static sem_t keeper_holds; /* posted each time the keeper has (re)taken the lock */
static sem_t step_wants;   /* a step asks the keeper to let go */
static sem_t step_done;    /* the step has let go again */

static void *keep_lock(void *unused) {
    (void)unused;
    for (;;) {
        pthread_mutex_lock(&shared_lock);
        sem_post(&keeper_holds);
        while (sem_wait(&step_wants) != 0) {
        }
        pthread_mutex_unlock(&shared_lock);
        while (sem_wait(&step_done) != 0) {
        }
    }
    return NULL;
}

static void wait_for(sem_t *semaphore) {
    while (sem_wait(semaphore) != 0) {
    }
}

/* Runs when the host loads the library, before the entry function: returns once the keeper holds the lock. */
__attribute__((constructor)) static void start_keeper(void) {
    pthread_t keeper;
    if (sem_init(&keeper_holds, 0, 0) != 0 || sem_init(&step_wants, 0, 0) != 0 || sem_init(&step_done, 0, 0) != 0 ||
        pthread_create(&keeper, NULL, keep_lock, NULL) != 0) {
        abort();
    }
    pthread_detach(keeper);
    wait_for(&keeper_holds);
}

static int32_t run_locked(const mh_host_api *host, mh_host_context *ctx, const char *sql) {
    int32_t status;
    sem_post(&step_wants);
    pthread_mutex_lock(&shared_lock); /* never returns in a child forked after loading: the keeper is not there */
    status = host->sql_exec(ctx, sql);
    pthread_mutex_unlock(&shared_lock);
    sem_post(&step_done);
    wait_for(&keeper_holds); /* the keeper holds it again before the step returns */
    return status;
}

static int32_t create_threaded(const mh_host_api *host, mh_host_context *ctx) {
    return run_locked(host, ctx, "CREATE TABLE threaded_t (id INTEGER NOT NULL, PRIMARY KEY (id))");
}

static int32_t drop_threaded(const mh_host_api *host, mh_host_context *ctx) {
    return run_locked(host, ctx, "DROP TABLE threaded_t");
}

static const mh_migration threaded = {
    .struct_size = sizeof(mh_migration),
    .track = "threaded",
    .version = 1,
    .name = "001_threaded",
    .upgrade = create_threaded,
    .downgrade = drop_threaded,
};

static const mh_migration *const migrations[] = {&threaded};

static const mh_plugin_descriptor descriptor = {
    .struct_size = sizeof(mh_plugin_descriptor),
    .magic = MH_PLUGIN_MAGIC,
    .abi_major = MH_ABI_VERSION_MAJOR,
    .abi_minor = MH_ABI_VERSION_MINOR,
    .id = "thread_at_load",
    .name = "Thread started at load (test)",
    .version = "1.0.0",
    .description = "Track threaded: a step that needs a lock which a thread started at load time holds between steps",
    .migrations = migrations,
    .migration_count = 1,
};

MH_PLUGIN_ENTRY(host_abi_major, host_abi_minor) {
    (void)host_abi_minor;
    return host_abi_major == MH_ABI_VERSION_MAJOR ? &descriptor : NULL;
}
