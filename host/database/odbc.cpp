// RAII over unixODBC handles; every ODBC call is checked by one helper that keeps SQLSTATE, native code and message.
// SPDX-License-Identifier: Apache-2.0
#include "database/odbc.hpp"

#include <fmt/format.h>
#include <odbcinst.h>

#include <array>
#include <chrono>
#include <functional>
#include <limits>
#include <memory>

#include "database/alarm.hpp"
#include "database/redact.hpp"

namespace migration_host::odbc {
namespace {

using Clock = std::chrono::steady_clock;

SQLCHAR* sql_text(std::string_view text) {
    // ODBC's C API takes non-const pointers for input strings it never writes.
    return reinterpret_cast<SQLCHAR*>(const_cast<char*>(text.data()));
}

// ODBC's length arguments are narrower than size_t: a length that does not fit
// is refused, never cast (a cast would make the driver read a cut-short text).
constexpr std::size_t max_statement_bytes = static_cast<std::size_t>(std::numeric_limits<SQLINTEGER>::max());
constexpr std::size_t max_parameters = std::numeric_limits<SQLUSMALLINT>::max();
constexpr std::size_t max_small_buffer = static_cast<std::size_t>(std::numeric_limits<SQLSMALLINT>::max());

// What the host reports for an argument ODBC cannot carry (HY090: invalid string or buffer length).
Diagnostic too_long(std::string_view what, std::size_t size, std::size_t limit) {
    return Diagnostic{"HY090", 0,
                      fmt::format("{} of {} bytes is longer than ODBC can carry ({} bytes)", what, size, limit)};
}

// SQLSTATEs a driver gives for a statement it stopped because its time ran out (57014: PostgreSQL's
// "canceling statement due to statement timeout").
bool is_timeout_state(const std::string& sqlstate) {
    return sqlstate == "HYT00" || sqlstate == "HYT01" || sqlstate == "57014";
}

FaultHook fault_hook = nullptr;

std::optional<Diagnostic> injected_fault(SQLHDBC connection, std::string_view call) {
    return fault_hook == nullptr ? std::nullopt : fault_hook(connection, call);
}

// A statement handle for one call; closes its cursor and frees itself.
class Statement {
public:
    Statement(SQLHDBC connection, const StatementTimeout& timeout) : connection_(connection), timeout_(timeout) {
        SQLHANDLE raw = SQL_NULL_HANDLE;
        const SQLRETURN rc = SQLAllocHandle(SQL_HANDLE_STMT, connection, &raw);
        allocation_error_ = check(rc, SQL_HANDLE_DBC, connection);
        handle_ = Handle<SQL_HANDLE_STMT>(raw);
    }
    ~Statement() {
        // Before the handle they use is freed.
        unanswered_alarm_.reset();
        cancel_alarm_.reset();
    }
    SQLHSTMT get() const noexcept { return handle_.get(); }
    const std::optional<Diagnostic>& allocation_error() const noexcept { return allocation_error_; }

    // check() for a call on this statement; a call stopped by the statement timeout says so.
    std::optional<Diagnostic> check_call(SQLRETURN rc) {
        auto error = check(rc, SQL_HANDLE_STMT, get());
        if (error && timed_out(*error)) {
            error->message = fmt::format("statement timeout: stopped after {} s (--statement-timeout): {}",
                                         timeout_.seconds, error->message);
        }
        return error;
    }

    // Binds parameters (kept alive by this object) and runs `sql`.
    std::optional<Diagnostic> execute(std::string_view sql, const std::vector<Parameter>& parameters) {
        if (sql.size() > max_statement_bytes) return too_long("a statement", sql.size(), max_statement_bytes);
        if (parameters.size() > max_parameters) {
            return Diagnostic{"07002", 0,
                              fmt::format("{} parameters: ODBC numbers at most {}", parameters.size(), max_parameters)};
        }
        bound_.resize(parameters.size());
        for (std::size_t i = 0; i < parameters.size(); ++i) {
            if (auto error = bind(static_cast<SQLUSMALLINT>(i + 1), parameters[i], bound_[i])) return error;
        }
        if (auto error = start_timeout()) return error;
        if (auto fault = injected_fault(connection_, "execute")) return fault;
        return check_call(SQLExecDirect(get(), sql_text(sql), static_cast<SQLINTEGER>(sql.size())));
    }

    // Makes one catalog function call on this statement; its result set is then read with read_rows.
    std::optional<Diagnostic> call_catalog(const CatalogCall& call) {
        if (auto error = start_timeout()) return error;
        if (auto fault = injected_fault(connection_, "catalog")) return fault;
        return check_call(call(get()));
    }

    // Reads every row of the current result set, then drains further results
    // so that an error in a later result is not lost.
    std::optional<Diagnostic> read_rows(const RowCallback& on_row) {
        SQLSMALLINT column_count = 0;
        if (auto error = check_call(SQLNumResultCols(get(), &column_count))) return error;
        bool keep_reading = static_cast<bool>(on_row);
        while (column_count > 0 && keep_reading) {
            const SQLRETURN rc = SQLFetch(get());
            if (rc == SQL_NO_DATA) break;
            if (auto error = check_call(rc)) return error;
            Row row(static_cast<std::size_t>(column_count));
            for (SQLUSMALLINT column = 1; column <= static_cast<SQLUSMALLINT>(column_count); ++column) {
                if (auto error = read_column(column, row[column - 1U])) return error;
            }
            keep_reading = on_row(row);
        }
        SQLCloseCursor(get());  // fails harmlessly (24000) when no cursor is open
        return std::nullopt;
    }

private:
    struct BoundValue {
        std::int64_t integer = 0;
        std::string text;
        SQLLEN indicator = 0;
    };

    std::optional<Diagnostic> bind(SQLUSMALLINT index, const Parameter& parameter, BoundValue& value) {
        if (const auto* integer = std::get_if<std::int64_t>(&parameter)) {
            value.integer = *integer;
            value.indicator = 0;
            return check_call(SQLBindParameter(get(), index, SQL_PARAM_INPUT, SQL_C_SBIGINT, SQL_BIGINT, 0, 0,
                                               &value.integer, 0, &value.indicator));
        }
        if (const auto* text = std::get_if<std::string>(&parameter)) {
            value.text = *text;
            value.indicator = static_cast<SQLLEN>(value.text.size());
            const auto column_size = static_cast<SQLULEN>(value.text.empty() ? 1 : value.text.size());
            return check_call(SQLBindParameter(get(), index, SQL_PARAM_INPUT, SQL_C_CHAR, SQL_VARCHAR, column_size,
                                               0, value.text.data(), value.indicator, &value.indicator));
        }
        value.indicator = SQL_NULL_DATA;
        return check_call(SQLBindParameter(get(), index, SQL_PARAM_INPUT, SQL_C_CHAR, SQL_VARCHAR, 1, 0, nullptr, 0,
                                           &value.indicator));
    }

    // Asks the driver to bound the statement; where it does not take the value (SQLite's driver accepts and
    // ignores it, MariaDB's changes it to 0 with 01S02), an alarm cancels the statement (SQLCancel, from another
    // thread, as ODBC allows) instead. A second alarm, when the connection has one, reports a server that still
    // has not answered the grace time later (frozen, or the network gone): nothing else would bound that wait.
    std::optional<Diagnostic> start_timeout() {
        if (timeout_.seconds == 0) return std::nullopt;
        started_ = Clock::now();
        const auto wanted = static_cast<SQLULEN>(timeout_.seconds);
        const SQLRETURN set_rc = SQLSetStmtAttr(get(), SQL_ATTR_QUERY_TIMEOUT, reinterpret_cast<SQLPOINTER>(wanted), 0);
        if (auto error = check(set_rc, SQL_HANDLE_STMT, get())) return error;
        SQLULEN taken = 0;
        const SQLRETURN get_rc = SQLGetStmtAttr(get(), SQL_ATTR_QUERY_TIMEOUT, &taken, 0, nullptr);
        if (auto error = check(get_rc, SQL_HANDLE_STMT, get())) return error;
        const auto timed_out_at = started_ + std::chrono::seconds(timeout_.seconds);
        if (set_rc != SQL_SUCCESS || taken != wanted) {
            // Unchecked: reading the diagnostics here would race with the call it interrupts, which reports the
            // cancellation (or its own end) itself.
            cancel_alarm_ = std::make_unique<Alarm>(timed_out_at, [statement = get()] { SQLCancel(statement); });
        }
        if (timeout_.on_unanswered) {
            unanswered_alarm_ =
                std::make_unique<Alarm>(timed_out_at + timeout_.grace, [this] { timeout_.on_unanswered(); });
        }
        return std::nullopt;
    }

    // Whether `error` ended the statement because its time ran out: our alarm cancelled it, or the driver gave a
    // timeout state once the time had passed (a timeout cannot come earlier).
    bool timed_out(const Diagnostic& error) {
        if (timeout_.seconds == 0) return false;
        if (cancel_alarm_) return cancel_alarm_->rang();
        return is_timeout_state(error.sqlstate) && Clock::now() - started_ >= std::chrono::seconds(timeout_.seconds);
    }

    std::optional<Diagnostic> read_column(SQLUSMALLINT column, std::optional<std::string>& out) {
        std::array<char, 1024> buffer{};
        std::string value;
        for (;;) {
            SQLLEN indicator = 0;
            const SQLRETURN rc = SQLGetData(get(), column, SQL_C_CHAR, buffer.data(),
                                            static_cast<SQLLEN>(buffer.size()), &indicator);
            if (rc == SQL_NO_DATA) break;
            if (auto error = check_call(rc)) return error;
            if (indicator == SQL_NULL_DATA) {
                out.reset();
                return std::nullopt;
            }
            const bool truncated = rc == SQL_SUCCESS_WITH_INFO &&
                                   (indicator == SQL_NO_TOTAL || indicator >= static_cast<SQLLEN>(buffer.size()));
            if (truncated) {
                value.append(buffer.data(), buffer.size() - 1);  // the last byte is the terminator
                continue;
            }
            // A driver that reports more than it wrote must not make the host read past the buffer.
            value.append(buffer.data(), std::min(static_cast<std::size_t>(indicator), buffer.size() - 1));
            break;
        }
        out = std::move(value);
        return std::nullopt;
    }

    SQLHDBC connection_;
    Handle<SQL_HANDLE_STMT> handle_;
    std::optional<Diagnostic> allocation_error_;
    std::vector<BoundValue> bound_;
    StatementTimeout timeout_;
    Clock::time_point started_;
    std::unique_ptr<Alarm> cancel_alarm_;
    std::unique_ptr<Alarm> unanswered_alarm_;
};

}  // namespace

void set_fault_hook(FaultHook hook) noexcept {
    fault_hook = hook;
}

std::string Diagnostic::to_string() const {
    return fmt::format("[{}] {} (native {})", sqlstate, message, native_error);
}

Error::Error(const std::string& context, Diagnostic diagnostic)
    : std::runtime_error(context + ": " + diagnostic.to_string()), diagnostic_(std::move(diagnostic)) {}

std::optional<std::string> profile_string(const std::string& section, const std::string& key, const char* file) {
    // Longer than any path or setting the host looks up; a longer value is cut, and then fails to name a file.
    std::array<char, 4096> value{};
    const int length = SQLGetPrivateProfileString(section.c_str(), key.c_str(), "", value.data(),
                                                  static_cast<int>(value.size()), file);
    if (length <= 0 || value[0] == '\0') return std::nullopt;
    return std::string(value.data());
}

std::vector<std::string> profile_keys(const std::string& section, const char* file) {
    // With no key, the driver manager lists the section's keys, each ended by a NUL, the list by a second one.
    std::vector<char> list(65536, '\0');
    const int length = SQLGetPrivateProfileString(section.c_str(), nullptr, "", list.data(),
                                                  static_cast<int>(list.size()), file);
    std::vector<std::string> keys;
    for (std::size_t start = 0; length > 0 && start < static_cast<std::size_t>(length) && list[start] != '\0';) {
        const std::string key(list.data() + start);
        start += key.size() + 1;
        keys.push_back(key);
    }
    return keys;
}

std::optional<Diagnostic> check(SQLRETURN rc, SQLSMALLINT handle_type, SQLHANDLE handle) {
    if (rc == SQL_SUCCESS || rc == SQL_SUCCESS_WITH_INFO || rc == SQL_NO_DATA) return std::nullopt;
    Diagnostic diagnostic{"HY000", 0, "no diagnostic record"};
    if (rc == SQL_INVALID_HANDLE) diagnostic.message = "invalid handle";
    if (handle == SQL_NULL_HANDLE) return diagnostic;
    std::array<SQLCHAR, 6> state{};
    SQLINTEGER native = 0;
    std::string message(1024, '\0');
    SQLSMALLINT length = 0;
    SQLRETURN diag_rc = SQLGetDiagRec(handle_type, handle, 1, state.data(), &native,
                                      reinterpret_cast<SQLCHAR*>(message.data()),
                                      static_cast<SQLSMALLINT>(message.size()), &length);
    if (diag_rc == SQL_SUCCESS_WITH_INFO && length >= static_cast<SQLSMALLINT>(message.size())) {
        // The buffer length is an SQLSMALLINT too: a longer message is cut at the largest buffer it can name.
        message.assign(std::min(static_cast<std::size_t>(length) + 1, max_small_buffer), '\0');
        diag_rc = SQLGetDiagRec(handle_type, handle, 1, state.data(), &native,
                                reinterpret_cast<SQLCHAR*>(message.data()),
                                static_cast<SQLSMALLINT>(message.size()), &length);
    }
    if (diag_rc == SQL_SUCCESS || diag_rc == SQL_SUCCESS_WITH_INFO) {
        diagnostic.sqlstate.assign(reinterpret_cast<const char*>(state.data()), 5);
        diagnostic.native_error = native;
        message.resize(std::min(static_cast<std::size_t>(std::max<SQLSMALLINT>(length, 0)), message.size() - 1));
        // Drivers sometimes end messages with a newline; errors must stay one line.
        for (char& c : message) {
            if (c == '\n' || c == '\r') c = ' ';
        }
        while (!message.empty() && message.back() == ' ') message.pop_back();
        diagnostic.message = redact_secrets(message);
    }
    return diagnostic;
}

void require(SQLRETURN rc, SQLSMALLINT handle_type, SQLHANDLE handle, std::string_view what) {
    if (auto diagnostic = check(rc, handle_type, handle)) throw Error(std::string(what), std::move(*diagnostic));
}

Environment::Environment() {
    SQLHANDLE raw = SQL_NULL_HANDLE;
    require(SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &raw), SQL_HANDLE_ENV, SQL_NULL_HANDLE,
            "cannot allocate the ODBC environment");
    handle_ = Handle<SQL_HANDLE_ENV>(raw);
    // Must precede any connection allocation (ODBC 3 behaviour, SQLSTATEs).
    require(SQLSetEnvAttr(get(), SQL_ATTR_ODBC_VERSION, reinterpret_cast<SQLPOINTER>(SQL_OV_ODBC3), 0),
            SQL_HANDLE_ENV, get(), "cannot select ODBC 3");
}

Connection::Connection(const Environment& environment, const std::string& connection_string,
                       std::uint32_t login_timeout_seconds) {
    SQLHANDLE raw = SQL_NULL_HANDLE;
    require(SQLAllocHandle(SQL_HANDLE_DBC, environment.get(), &raw), SQL_HANDLE_ENV, environment.get(),
            "cannot allocate an ODBC connection");
    handle_ = Handle<SQL_HANDLE_DBC>(raw);
    const std::string target = "cannot connect to " + redact_connection_string(connection_string);
    if (connection_string.size() > max_connection_string_bytes) {
        throw Error(target, too_long("the connection string", connection_string.size(), max_connection_string_bytes));
    }
    if (connection_string.find('\0') != std::string::npos) {
        throw Error(target, Diagnostic{"HY090", 0, "the connection string holds a NUL byte, which would end it early"});
    }
    require(SQLSetConnectAttr(get(), SQL_ATTR_LOGIN_TIMEOUT,
                              reinterpret_cast<SQLPOINTER>(static_cast<SQLULEN>(login_timeout_seconds)), 0),
            SQL_HANDLE_DBC, get(), "cannot set the login timeout");
    if (auto fault = injected_fault(get(), "connect")) throw Error(target, std::move(*fault));
    std::array<SQLCHAR, 1024> completed{};
    SQLSMALLINT completed_length = 0;
    require(SQLDriverConnect(get(), nullptr, sql_text(connection_string),
                             static_cast<SQLSMALLINT>(connection_string.size()), completed.data(),
                             static_cast<SQLSMALLINT>(completed.size()), &completed_length, SQL_DRIVER_NOPROMPT),
            SQL_HANDLE_DBC, get(), target);
    connected_ = true;
}

Connection::~Connection() {
    if (connected_) {
        SQLEndTran(SQL_HANDLE_DBC, get(), SQL_ROLLBACK);
        SQLDisconnect(get());
    }
}

std::string Connection::info_string(SQLUSMALLINT info_type) const {
    std::string buffer(512, '\0');
    SQLSMALLINT length = 0;
    for (;;) {
        require(SQLGetInfo(get(), info_type, buffer.data(), static_cast<SQLSMALLINT>(buffer.size()), &length),
                SQL_HANDLE_DBC, get(), "cannot read connection information");
        const auto needed = static_cast<std::size_t>(std::max<SQLSMALLINT>(length, 0)) + 1;  // with the terminator
        if (needed <= buffer.size() || buffer.size() == max_small_buffer) break;
        buffer.assign(std::min(needed, max_small_buffer), '\0');
    }
    buffer.resize(std::min(static_cast<std::size_t>(std::max<SQLSMALLINT>(length, 0)), buffer.size() - 1));
    return buffer;
}

std::variant<std::int64_t, Diagnostic> Connection::try_execute(std::string_view sql,
                                                                const std::vector<Parameter>& parameters) const {
    Statement statement(get(), statement_timeout_);
    if (statement.allocation_error()) return *statement.allocation_error();
    if (auto error = statement.execute(sql, parameters)) return *error;
    SQLLEN row_count = -1;
    if (auto error = statement.check_call(SQLRowCount(statement.get(), &row_count))) return *error;
    if (auto error = statement.read_rows(nullptr)) return *error;
    return static_cast<std::int64_t>(row_count);
}

std::optional<Diagnostic> Connection::try_query(std::string_view sql, const std::vector<Parameter>& parameters,
                                                const RowCallback& on_row) const {
    Statement statement(get(), statement_timeout_);
    if (statement.allocation_error()) return statement.allocation_error();
    if (auto error = statement.execute(sql, parameters)) return error;
    return statement.read_rows(on_row);
}

std::optional<Diagnostic> Connection::try_catalog(const CatalogCall& call, const RowCallback& on_row) const {
    Statement statement(get(), statement_timeout_);
    if (statement.allocation_error()) return statement.allocation_error();
    if (auto error = statement.call_catalog(call)) return error;
    return statement.read_rows(on_row);
}

std::vector<Row> Connection::catalog(std::string_view what, const CatalogCall& call) const {
    std::vector<Row> rows;
    auto error = try_catalog(call, [&rows](const Row& row) {
        rows.push_back(row);
        return true;
    });
    if (error) throw Error(fmt::format("catalog call failed: {}", what), std::move(*error));
    return rows;
}

std::int64_t Connection::execute(std::string_view sql, const std::vector<Parameter>& parameters) const {
    auto result = try_execute(sql, parameters);
    if (auto* diagnostic = std::get_if<Diagnostic>(&result)) {
        throw Error(fmt::format("statement failed: {}", sql), std::move(*diagnostic));
    }
    return std::get<std::int64_t>(result);
}

std::vector<Row> Connection::query(std::string_view sql, const std::vector<Parameter>& parameters) const {
    std::vector<Row> rows;
    for_each_row(sql, parameters, [&rows](const Row& row) {
        rows.push_back(row);
        return true;
    });
    return rows;
}

void Connection::for_each_row(std::string_view sql, const std::vector<Parameter>& parameters,
                              const RowCallback& on_row) const {
    auto error = try_query(sql, parameters, on_row);
    if (error) throw Error(fmt::format("query failed: {}", sql), std::move(*error));
}

void Connection::set_autocommit(bool on) {
    if (auto fault = injected_fault(get(), "autocommit")) throw Error("cannot change autocommit", std::move(*fault));
    const auto value = static_cast<SQLULEN>(on ? SQL_AUTOCOMMIT_ON : SQL_AUTOCOMMIT_OFF);
    require(SQLSetConnectAttr(get(), SQL_ATTR_AUTOCOMMIT, reinterpret_cast<SQLPOINTER>(value), 0), SQL_HANDLE_DBC,
            get(), "cannot change autocommit");
}

void Connection::commit() {
    if (auto fault = injected_fault(get(), "commit")) throw Error("cannot commit", std::move(*fault));
    require(SQLEndTran(SQL_HANDLE_DBC, get(), SQL_COMMIT), SQL_HANDLE_DBC, get(), "cannot commit");
}

void Connection::rollback() noexcept {
    // Called on failure paths; a failed rollback is reported by the next use.
    SQLEndTran(SQL_HANDLE_DBC, get(), SQL_ROLLBACK);
}

Transaction::Transaction(Connection& connection) : connection_(connection) {
    connection_.set_autocommit(false);
}

Transaction::~Transaction() {
    if (!open_) return;
    connection_.rollback();
    // Restoring autocommit can only fail on a broken connection, which the
    // next use reports; a destructor must not throw.
    SQLSetConnectAttr(connection_.get(), SQL_ATTR_AUTOCOMMIT, reinterpret_cast<SQLPOINTER>(SQL_AUTOCOMMIT_ON), 0);
}

void Transaction::commit() {
    connection_.commit();
    open_ = false;
    connection_.set_autocommit(true);
}

}  // namespace migration_host::odbc
