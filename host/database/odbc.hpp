// RAII over unixODBC handles; every ODBC call is checked by one helper that keeps SQLSTATE, native code and message.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sql.h>
#include <sqlext.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace migration_host::odbc {

// What the driver said about a failed call: the first diagnostic record.
struct Diagnostic {
    std::string sqlstate;        // e.g. "42S01"; "HY000" when the driver gave none
    std::int32_t native_error = 0;
    std::string message;         // the driver's text, secrets redacted

    // "[SQLSTATE] message (native N)", one line.
    std::string to_string() const;
};

// A failed ODBC call: what the host was doing, and the driver's diagnostic.
class Error : public std::runtime_error {
public:
    Error(const std::string& context, Diagnostic diagnostic);
    const Diagnostic& diagnostic() const noexcept { return diagnostic_; }

private:
    Diagnostic diagnostic_;
};

// The one checking helper. Returns nothing when `rc` is a success
// (SQL_SUCCESS, SQL_SUCCESS_WITH_INFO, SQL_NO_DATA), otherwise the diagnostic
// read from the handle.
std::optional<Diagnostic> check(SQLRETURN rc, SQLSMALLINT handle_type, SQLHANDLE handle);

// check(), throwing Error("<what>: ...") on failure.
void require(SQLRETURN rc, SQLSMALLINT handle_type, SQLHANDLE handle, std::string_view what);

// A setting of an ODBC data source (`file` "odbc.ini": the user's, then the system's, as the driver manager finds
// them, ODBCINI and ODBCSYSINI included) or of an installed driver ("odbcinst.ini"); nullopt when it is not set.
std::optional<std::string> profile_string(const std::string& section, const std::string& key, const char* file);
// Every key a data source's (or driver's) section sets, as written, in the files profile_string reads; none when the
// section does not exist.
std::vector<std::string> profile_keys(const std::string& section, const char* file);

// Fault injection, for tests only (the shipped host never sets it): called before each call that reaches the
// database (connect, execute, catalog, autocommit, commit) with the connection handle and what the call is; a
// diagnostic returned fails that call with it instead of making it. The hook may act on the connection first (a
// test drops it that way). Set once, before any connection exists; not thread-safe.
using FaultHook = std::optional<Diagnostic> (*)(SQLHDBC connection, std::string_view call);
void set_fault_hook(FaultHook hook) noexcept;

// One owned ODBC handle of a given type, freed on destruction.
template <SQLSMALLINT HandleType>
class Handle {
public:
    Handle() = default;
    explicit Handle(SQLHANDLE raw) : raw_(raw) {}
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    Handle(Handle&& other) noexcept : raw_(std::exchange(other.raw_, SQLHANDLE{})) {}
    Handle& operator=(Handle&& other) noexcept {
        if (this != &other) {
            reset();
            raw_ = std::exchange(other.raw_, SQLHANDLE{});
        }
        return *this;
    }
    ~Handle() { reset(); }

    SQLHANDLE get() const noexcept { return raw_; }
    explicit operator bool() const noexcept { return raw_ != SQL_NULL_HANDLE; }
    void reset() noexcept {
        if (raw_ != SQL_NULL_HANDLE) SQLFreeHandle(HandleType, raw_);
        raw_ = SQL_NULL_HANDLE;
    }

private:
    SQLHANDLE raw_ = SQL_NULL_HANDLE;
};

// The ODBC environment (ODBC 3 behaviour). One per process is enough.
class Environment {
public:
    Environment();
    SQLHENV get() const noexcept { return handle_.get(); }

private:
    Handle<SQL_HANDLE_ENV> handle_;
};

// A value bound to a '?' parameter.
using Parameter = std::variant<std::monostate, std::int64_t, std::string>;

// One result row: each column as text, or nullopt for SQL NULL.
using Row = std::vector<std::optional<std::string>>;

// Receives rows in order; return false to stop reading.
using RowCallback = std::function<bool(const Row&)>;

// One call of an ODBC catalog function (SQLTables, SQLColumns, SQLPrimaryKeys, SQLForeignKeys, SQLStatistics) on
// the statement handle it is given; returns that call's SQLRETURN, which the connection checks. Must not throw.
using CatalogCall = std::function<SQLRETURN(SQLHSTMT)>;

// How long one statement may run. The driver is asked through
// SQL_ATTR_QUERY_TIMEOUT; where it does not honour that attribute (it ignores
// it, or changes it to 0), the host cancels the statement with SQLCancel once
// the time has passed. A statement stopped either way fails with a diagnostic
// that names the timeout. Plugin code that allocates its own statements on the
// raw handle is not bounded.
struct StatementTimeout {
    std::uint32_t seconds = 0;  // 0: no bound
    // When a statement is still waiting for the server `grace` after its time
    // ran out (the server is frozen or gone, and does not answer even the
    // cancellation), this is called from another thread. The connection is
    // stuck inside the driver then, so it must end the process.
    std::chrono::seconds grace{0};
    std::function<void()> on_unanswered;
};

// A connected ODBC connection. Disconnects on destruction.
class Connection {
public:
    // Connects with SQLDriverConnect. `connection_string` is a full ODBC
    // connection string ("DSN=name" for a DSN). Throws Error on failure; the
    // error text never contains the password. A string ODBC cannot carry
    // (longer than max_connection_string_bytes, or holding a NUL byte) is
    // refused before the driver sees it, never cut short.
    Connection(const Environment& environment, const std::string& connection_string,
               std::uint32_t login_timeout_seconds);
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection();

    SQLHDBC get() const noexcept { return handle_.get(); }

    std::string info_string(SQLUSMALLINT info_type) const;

    // Bounds every later statement on this connection (see StatementTimeout).
    void set_statement_timeout(StatementTimeout timeout) { statement_timeout_ = std::move(timeout); }
    const StatementTimeout& statement_timeout() const noexcept { return statement_timeout_; }

    // Runs one statement; returns the affected row count (-1 when the driver
    // does not know). Never throws on SQL errors: returns the diagnostic.
    std::variant<std::int64_t, Diagnostic> try_execute(std::string_view sql,
                                                        const std::vector<Parameter>& parameters = {}) const;
    // Runs one query and passes every row to `on_row`. Returns the diagnostic
    // of a failed call; a stop requested by on_row is not a failure.
    std::optional<Diagnostic> try_query(std::string_view sql, const std::vector<Parameter>& parameters,
                                        const RowCallback& on_row) const;

    // Runs one catalog function and passes every row of its result set to `on_row`, as try_query does for a query
    // (the statement timeout bounds it too).
    std::optional<Diagnostic> try_catalog(const CatalogCall& call, const RowCallback& on_row) const;

    // Throwing forms: Error("<context>: ...").
    std::vector<Row> catalog(std::string_view what, const CatalogCall& call) const;
    std::int64_t execute(std::string_view sql, const std::vector<Parameter>& parameters = {}) const;
    std::vector<Row> query(std::string_view sql, const std::vector<Parameter>& parameters = {}) const;
    // query without keeping the rows: each goes to `on_row` as it is fetched (a history of 20,000 rows is never
    // held twice). An exception from on_row ends the query and propagates.
    void for_each_row(std::string_view sql, const std::vector<Parameter>& parameters, const RowCallback& on_row) const;

    // Transactions. With autocommit off, the driver opens a transaction at
    // the first statement; commit/rollback end it.
    void set_autocommit(bool on);
    void commit();
    void rollback() noexcept;

private:
    friend class WithoutStatementTimeout;

    Handle<SQL_HANDLE_DBC> handle_;
    bool connected_ = false;
    // Mutable for WithoutStatementTimeout, which code holding a const
    // connection uses around a wait that has its own bound.
    mutable StatementTimeout statement_timeout_;
};

// The longest connection string SQLDriverConnect can be given: its length is
// an SQLSMALLINT.
inline constexpr std::size_t max_connection_string_bytes = 32767;

// While this object lives, statements on the connection are not bounded by
// its statement timeout: for waits that carry their own bound (GET_LOCK's
// --lock-timeout), which the statement timeout must not cut short.
class WithoutStatementTimeout {
public:
    explicit WithoutStatementTimeout(const Connection& connection)
        : connection_(connection), saved_(std::exchange(connection.statement_timeout_.seconds, 0U)) {}
    WithoutStatementTimeout(const WithoutStatementTimeout&) = delete;
    WithoutStatementTimeout& operator=(const WithoutStatementTimeout&) = delete;
    ~WithoutStatementTimeout() { connection_.statement_timeout_.seconds = saved_; }

private:
    const Connection& connection_;
    std::uint32_t saved_;
};

// A transaction on a connection for the lifetime of this object: rolled back
// (and autocommit restored) unless commit() was called.
class Transaction {
public:
    explicit Transaction(Connection& connection);
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    ~Transaction();
    // Commits, then restores autocommit; either can throw. After a throw, committed() says which one failed.
    void commit();
    bool committed() const noexcept { return !open_; }

private:
    Connection& connection_;
    bool open_ = true;
};

}  // namespace migration_host::odbc
