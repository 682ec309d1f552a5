// Test plugin failing_step: cinder@2 (after cinder_initial) creates a table, then fails in the way MIGRATION_HOST_TEST_FAILURE names, to show what the host reports and records for hostile failure messages.
// SPDX-License-Identifier: Apache-2.0
#include <migration_host/plugin.hpp>

#include <cstdlib>
#include <cstring>
#include <string>

namespace {

// Ends the host's own connection from inside the step: what a server dying mid-step looks like to the host.
const char* kill_own_connection_sql(const char* dialect) {
    if (std::strcmp(dialect, "postgresql") == 0) return "SELECT pg_terminate_backend(pg_backend_pid())";
    if (std::strcmp(dialect, "mysql") == 0) return "KILL CONNECTION_ID()";
    return nullptr;
}

// Written against the C API rather than the SDK guard, so that the step can
// fail without giving any message at all.
int32_t upgrade_002(const mh_host_api* api, mh_host_context* context) noexcept {
    int32_t status = api->sql_exec(context, "CREATE TABLE failing_two (id INTEGER PRIMARY KEY)");
    if (status != MH_OK) return status;
    const char* mode = std::getenv("MIGRATION_HOST_TEST_FAILURE");
    const std::string failure = mode == nullptr ? "status_only" : mode;
    if (failure == "huge") {
        // 1 MiB, with a recognisable start: more than any history column holds.
        std::string message = "huge failure message begins here: ";
        message.append(std::size_t{1} << 20, 'x');
        message += " and ends here";
        api->error_set(context, message.c_str());
        return MH_E_FAILED;
    }
    if (failure == "invalid_utf8") {
        api->error_set(context, "invalid UTF-8 follows: \xff\xfe \xc3\x28 \xe2\x82 lone continuation \x80 end");
        return MH_E_FAILED;
    }
    if (failure == "escape") {
        // Through the host's log as well as the error: both reach the operator's terminal.
        api->log_write(context, MH_LOG_WARN, "logged escape follows: \x1b[2J\x1b]0;title\a end");
        api->error_set(context, "escape follows: \x1b[2J\x1b[31mred\x7f bell\a end");
        return MH_E_FAILED;
    }
    if (failure == "kill_connection") {
        const char* sql = kill_own_connection_sql(api->dialect_name(context));
        if (sql != nullptr && api->odbc_connection(context) != nullptr) return api->sql_exec(context, sql);
        api->error_set(context, "kill_connection: not possible on this database");
        return MH_E_FAILED;
    }
    // status_only: no message, only a status.
    return MH_E_FAILED;
}

int32_t downgrade_002(const mh_host_api* api, mh_host_context* context) noexcept {
    return api->sql_exec(context, "DROP TABLE failing_two");
}

constexpr mh_migration failing_migration = migration_host::sdk::Migration("cinder", 2, "002_failing")
                                               .upgrade(&upgrade_002)
                                               .downgrade(&downgrade_002)
                                               .build();

const mh_migration* const migrations[] = {&failing_migration};

constexpr mh_plugin_descriptor descriptor = migration_host::sdk::make_descriptor(
    "failing_step", "A failing cinder@2 (test)", "1.0.0",
    "cinder@2 creates failing_two, then fails as MIGRATION_HOST_TEST_FAILURE says", migrations);

}  // namespace

MIGRATION_HOST_PLUGIN(descriptor)
