// Test plugin stale_context: keeps the context stale@1 received and uses it again in stale@2 and in the library's destructor, to show that the host refuses a context once its step has returned.
// SPDX-License-Identifier: Apache-2.0
#include <migration_host/plugin.hpp>

#include <cstdio>
#include <string>

namespace {

// What stale@1 received, kept past its call against the ABI's rules.
const mh_host_api* kept_api = nullptr;
mh_host_context* kept_context = nullptr;

int32_t count_rows(const char* const*, const uint32_t*, uint32_t, void* user) {
    ++*static_cast<int*>(user);
    return MH_OK;
}

std::string shown(const char* text) {
    return text == nullptr ? "NULL" : "'" + std::string(text) + "'";
}

// Every host API function on the kept context, each trying to leave a row in stale_marker; what each returned, on one
// line. A host that refuses the context returns MH_E_INVALID (3) and "" everywhere and calls no row callback.
std::string use_kept_context(const char* when) {
    const mh_host_api* api = kept_api;
    mh_host_context* context = kept_context;
    const char* const values[] = {"2"};
    int rows = 0;
    const int32_t exec = api->sql_exec(context, "INSERT INTO stale_marker (id) VALUES (1)");
    const int32_t exec_params = api->sql_exec_params(context, "INSERT INTO stale_marker (id) VALUES (?)", values, 1);
    const int32_t query = api->query_run(context, "SELECT 1", count_rows, &rows);
    const int32_t query_params = api->query_run_params(context, "SELECT ?", values, 1, count_rows, &rows);
    api->log_write(context, MH_LOG_WARN, "a log line from a stale context");
    api->error_set(context, "an error from a stale context");
    std::string line = std::string(when) + ": sql_exec " + std::to_string(exec) + ", sql_exec_params " +
                       std::to_string(exec_params) + ", query_run " + std::to_string(query) + ", query_run_params " +
                       std::to_string(query_params) + ", rows " + std::to_string(rows) + ", dialect_name " +
                       shown(api->dialect_name(context)) + ", dbms_version " + shown(api->dbms_version(context)) +
                       ", database_name " + shown(api->database_name(context)) + ", error_last " +
                       shown(api->error_last(context)) + ", odbc_connection " +
                       (api->odbc_connection(context) == nullptr ? "NULL" : "set");
    return line;
}

std::string refused_everywhere(const char* when) {
    return std::string(when) +
           ": sql_exec 3, sql_exec_params 3, query_run 3, query_run_params 3, rows 0, dialect_name '', dbms_version "
           "'', database_name '', error_last '', odbc_connection NULL";
}

// Keeps its context (the real run's: an offline render's would prove nothing), and creates the table the stale
// calls try to write to.
int32_t upgrade_001(const mh_host_api* api, mh_host_context* context) {
    if (api->odbc_connection(context) != nullptr) {
        kept_api = api;
        kept_context = context;
    }
    return api->sql_exec(context, "CREATE TABLE stale_marker (id INTEGER NOT NULL PRIMARY KEY)");
}

int32_t downgrade_001(const mh_host_api* api, mh_host_context* context) {
    return api->sql_exec(context, "DROP TABLE stale_marker");
}

// Uses stale@1's context, then its own: fails unless every stale call was refused.
int32_t upgrade_002(const mh_host_api* api, mh_host_context* context) {
    if (kept_context == nullptr) {
        api->error_set(context, "stale@1 did not run in this process: nothing to use");
        return MH_E_FAILED;
    }
    const std::string seen = use_kept_context("in stale@2");
    const int32_t own = api->sql_exec(context, "INSERT INTO stale_marker (id) VALUES (100)");
    if (seen != refused_everywhere("in stale@2")) {
        api->error_set(context, ("the stale context was not refused: " + seen).c_str());
        return MH_E_FAILED;
    }
    return own;
}

int32_t downgrade_002(const mh_host_api* api, mh_host_context* context) {
    return api->sql_exec(context, "DELETE FROM stale_marker");
}

// Runs when the library unloads: when the host lets it go after the steps, or at exit for a library that cannot be
// unloaded (stale_context_at_exit). Says on stderr what the kept context got.
__attribute__((destructor)) void use_kept_context_at_unload() {
    if (kept_context == nullptr) return;
    std::fprintf(stderr, "stale_context %s\n", use_kept_context("at unload").c_str());
}

constexpr mh_migration keep = migration_host::sdk::Migration("stale", 1, "001_stale_keep")
                                  .upgrade(&upgrade_001)
                                  .downgrade(&downgrade_001)
                                  .checksum("stale-context-1")
                                  .build();
constexpr mh_migration use = migration_host::sdk::Migration("stale", 2, "002_stale_use")
                                 .upgrade(&upgrade_002)
                                 .downgrade(&downgrade_002)
                                 .checksum("stale-context-2")
                                 .build();
const mh_migration* const migrations[] = {&keep, &use};

constexpr mh_plugin_descriptor descriptor = migration_host::sdk::make_descriptor(
    "stale_context", "Steps that use a stale context (test)", "1.0.0",
    "Track stale: 001 keeps its context, 002 and the library's destructor use it", migrations);

}  // namespace

MIGRATION_HOST_PLUGIN(descriptor)
