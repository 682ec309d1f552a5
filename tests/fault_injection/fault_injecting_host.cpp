// migration-host with a fault injected at the Nth ODBC call that reaches the database, for fault_injection_test.cpp.
// SPDX-License-Identifier: Apache-2.0
//
// The shipped host's own top level (run_host), with odbc::set_fault_hook counting every call the host makes to the
// database (connect, execute, catalog, autocommit, commit: see odbc.hpp) on every connection, in order, from 1.
// Read from the environment:
//   MIGRATION_HOST_FAULT_AT=N      the call to fail (unset or 0: none, the run only counts)
//   MIGRATION_HOST_FAULT_KIND      error (default): the call fails with SQLSTATE HY000 and the connection stays
//                                  usable, as after a refused statement; disconnect: the connection drops first, then
//                                  the call fails with 08S01. On MySQL/MariaDB and PostgreSQL the server really ends
//                                  the session (KILL CONNECTION_ID(), pg_terminate_backend: its transaction rolled
//                                  back, its locks freed) and every later call meets the driver's own handling of a
//                                  lost connection; SQLite has no session to lose, so there the transaction is rolled
//                                  back and every later call on the connection fails with 08S01 too
//   MIGRATION_HOST_FAULT_TRACE=FILE  one line per call, "N call", written as it is made: the number of lines is the
//                                  run's total, and the Nth line names the call the fault hit
#include <sql.h>
#include <sqlext.h>

#include <array>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "database/odbc.hpp"
#include "top_level.hpp"

namespace {

using migration_host::odbc::Diagnostic;

enum class FaultKind { error, disconnect };

unsigned long long fault_at = 0;
FaultKind fault_kind = FaultKind::error;
unsigned long long calls = 0;
std::FILE* trace = nullptr;

// A SQLite connection the fault "dropped": every later call on it fails.
SQLHDBC dropped_sqlite_connection = SQL_NULL_HDBC;

std::string dbms_name(SQLHDBC connection) {
    std::array<char, 128> name{};
    SQLSMALLINT length = 0;
    if (!SQL_SUCCEEDED(
            SQLGetInfo(connection, SQL_DBMS_NAME, name.data(), static_cast<SQLSMALLINT>(name.size()), &length))) {
        return "";
    }
    std::string text(name.data());
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

// Has the server end this connection's session, as a network or server failure would; on SQLite, rolls back and
// marks the connection dropped. Statement handles stay allocated, as they do when a connection is lost.
void drop(SQLHDBC connection) {
    const std::string dbms = dbms_name(connection);
    const char* kill = nullptr;
    if (dbms.find("mysql") != std::string::npos || dbms.find("mariadb") != std::string::npos) {
        kill = "KILL CONNECTION_ID()";
    } else if (dbms.find("postgres") != std::string::npos) {
        kill = "SELECT pg_terminate_backend(pg_backend_pid())";
    }
    if (kill == nullptr) {
        SQLEndTran(SQL_HANDLE_DBC, connection, SQL_ROLLBACK);
        dropped_sqlite_connection = connection;
        return;
    }
    SQLHANDLE statement = SQL_NULL_HANDLE;
    if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, connection, &statement))) return;
    // Fails, as it must: the session it runs in ends.
    SQLExecDirect(statement, reinterpret_cast<SQLCHAR*>(const_cast<char*>(kill)), SQL_NTS);
    SQLFreeHandle(SQL_HANDLE_STMT, statement);
}

std::optional<Diagnostic> count_and_fail(SQLHDBC connection, std::string_view call) {
    ++calls;
    if (trace != nullptr) {
        std::fprintf(trace, "%llu %.*s\n", calls, static_cast<int>(call.size()), call.data());
        std::fflush(trace);  // a crash after this call still leaves it in the trace
    }
    const std::string what = "injected fault at ODBC call " + std::to_string(calls) + " (" + std::string(call) + ")";
    if (connection == dropped_sqlite_connection && connection != SQL_NULL_HDBC) {
        return Diagnostic{"08S01", 0, what + ": the connection was dropped at call " + std::to_string(fault_at)};
    }
    if (calls != fault_at) return std::nullopt;
    if (fault_kind == FaultKind::error) return Diagnostic{"HY000", 0, what};
    if (call != "connect") drop(connection);
    return Diagnostic{"08S01", 0, what + ": connection dropped"};
}

// The variable's value, or nullopt when it is unset or empty.
std::optional<std::string> variable(const char* name) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') return std::nullopt;
    return std::string(value);
}

// False (after saying why) for a setting that cannot be meant: a test must never run without the fault it asked for.
bool configure() {
    if (const auto at = variable("MIGRATION_HOST_FAULT_AT")) {
        const auto [end, error] = std::from_chars(at->data(), at->data() + at->size(), fault_at);
        if (error != std::errc{} || end != at->data() + at->size()) {
            std::fprintf(stderr, "fault injection: MIGRATION_HOST_FAULT_AT is not a call number: %s\n", at->c_str());
            return false;
        }
    }
    if (const auto kind = variable("MIGRATION_HOST_FAULT_KIND")) {
        if (*kind == "disconnect") {
            fault_kind = FaultKind::disconnect;
        } else if (*kind != "error") {
            std::fprintf(stderr, "fault injection: MIGRATION_HOST_FAULT_KIND is error or disconnect, not %s\n",
                         kind->c_str());
            return false;
        }
    }
    if (const auto path = variable("MIGRATION_HOST_FAULT_TRACE")) {
        trace = std::fopen(path->c_str(), "we");
        if (trace == nullptr) {
            std::perror(("fault injection: " + *path).c_str());
            return false;
        }
    }
    return true;
}

}  // namespace

int main(int argc, char* argv[]) {
    // 2: the host's own exit code for a usage error.
    if (!configure()) return 2;
    migration_host::odbc::set_fault_hook(&count_and_fail);
    const int code = migration_host::run_host(argc, argv);
    if (trace != nullptr) std::fclose(trace);
    return code;
}
