// Implements the C host API that plugins call, and runs one plugin step through it.
// SPDX-License-Identifier: Apache-2.0
#include "plugins/host_api.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

#include "database/redact.hpp"
#include "plugins/plugin_call.hpp"

namespace {

// What the host keeps for one step call. A plugin never sees its address: it gets a handle (see LiveContexts).
struct StepContext {
    const migration_host::odbc::Connection* connection = nullptr;
    const migration_host::DatabaseInfo* database = nullptr;
    std::string label;
    std::string last_error;  // error_last: the last failed host call
    std::string step_error;  // error_set: the plugin's own reason
    std::string escaped;     // an exception that escaped a row callback: fails the step whatever it returns
    bool query_refused = false;  // offline: the step asked for a query, which only a connection can answer
    std::vector<std::string>* recorded = nullptr;
    std::vector<migration_host::RecordedStatement>* recorded_statements = nullptr;
    migration_host::StatementGate* gate = nullptr;  // online: what each statement passes through
    std::size_t statements = 0;                     // online: the statements issued so far
    migration_host::ProgressSink* progress = nullptr;       // online: where progress reports go
    std::chrono::steady_clock::time_point next_progress{};  // the first report passes at once
};

// The contexts of the steps in progress. A step gets a handle, not an address: a number never handed out again
// (64 bits), so a handle a plugin keeps past its step can neither reach memory that is gone nor name a later step's
// context, and checking it reads nothing the plugin holds. Every host API function checks its handle first: one
// that is not a step's in progress, or comes from another thread than the step's, is refused (MH_E_INVALID, or ""
// and NULL where the function returns text or a handle) with a warning, and nothing is run.
class LiveContexts {
public:
    // Never destroyed: a plugin library's destructor may call the host API with a kept handle after the host's
    // static objects are gone (a library unloaded at exit).
    static LiveContexts& instance() {
        static LiveContexts* const contexts = new LiveContexts;
        return *contexts;
    }

    mh_host_context* open(StepContext* context) {
        static const ExitWatch watch;
        const std::lock_guard lock(mutex_);
        const std::uint64_t number = ++last_handed_out_;
        live_.push_back({number, context, std::this_thread::get_id()});
        return handle_of(number);
    }

    void close(mh_host_context* handle) {
        const std::lock_guard lock(mutex_);
        for (auto entry = live_.begin(); entry != live_.end(); ++entry) {
            if (handle_of(entry->number) != handle) continue;
            retired_.emplace_back(entry->number, entry->context->label);
            if (retired_.size() > retired_kept) retired_.pop_front();
            live_.erase(entry);
            return;
        }
    }

    // The context behind `handle` when it is a step's in progress on this thread; otherwise null, after a warning
    // naming `function` and what is wrong with the handle.
    StepContext* find(mh_host_context* handle, const char* function) const {
        std::string problem;
        {
            const std::lock_guard lock(mutex_);
            for (const auto& entry : live_) {
                if (handle_of(entry.number) != handle) continue;
                if (entry.thread == std::this_thread::get_id()) return entry.context;
                problem = fmt::format("the context of {} from another thread than the step's", entry.context->label);
                break;
            }
            if (problem.empty()) problem = describe_dead(handle);
        }
        warn(fmt::format("a plugin called {} with {}: refused", function, problem));
        return nullptr;
    }

private:
    struct Live {
        std::uint64_t number;
        StepContext* context;
        std::thread::id thread;
    };
    static constexpr std::size_t retired_kept = 64;  // enough to name the step a kept handle came from

    // Shifted so that a handle looks like no small integer or aligned address a plugin might pass by mistake.
    static mh_host_context* handle_of(std::uint64_t number) {
        return reinterpret_cast<mh_host_context*>(static_cast<std::uintptr_t>((number << 4) | 0x1));
    }

    std::string describe_dead(mh_host_context* handle) const {
        if (handle == nullptr) return "no context (NULL)";
        for (const auto& [number, label] : retired_) {
            if (handle_of(number) == handle) return fmt::format("the context of {}, whose step has returned", label);
        }
        const auto value = reinterpret_cast<std::uintptr_t>(handle);
        if ((value & 0xf) == 0x1 && (value >> 4) <= last_handed_out_) {
            return "the context of an earlier step, which has returned";
        }
        return "a context the host never handed out";
    }

    // Through spdlog while the host runs; straight to stderr once its logger may be gone (a library unloaded at
    // exit, after the host's static objects).
    static void warn(const std::string& message) {
        if (exiting) {
            std::fprintf(stderr, "migration-host: warning: %s\n", message.c_str());
        } else {
            spdlog::warn("{}", message);
        }
    }

    // Destroyed before spdlog's logger registry: created after it, since the host sets up logging before any step.
    struct ExitWatch {
        ~ExitWatch() { exiting = true; }
    };
    static inline std::atomic<bool> exiting{false};

    mutable std::mutex mutex_;
    std::uint64_t last_handed_out_ = 0;
    std::vector<Live> live_;
    std::deque<std::pair<std::uint64_t, std::string>> retired_;
};

// A step's context registered for the length of its call.
class ContextHandle {
public:
    explicit ContextHandle(StepContext& context) : handle_(LiveContexts::instance().open(&context)) {}
    ContextHandle(const ContextHandle&) = delete;
    ContextHandle& operator=(const ContextHandle&) = delete;
    ~ContextHandle() { LiveContexts::instance().close(handle_); }
    mh_host_context* get() const noexcept { return handle_; }

private:
    mh_host_context* handle_;
};

using migration_host::odbc::Diagnostic;
using migration_host::odbc::Row;

std::string one_line(std::string text) {
    for (char& c : text) {
        if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    }
    return text;
}

}  // namespace

// These functions are called from C: nothing may unwind through the plugin's
// frames. The ODBC calls they make report failures as values; the one thing
// left that can throw is allocation, and noexcept turns that into a defined
// std::terminate rather than undefined behaviour.
extern "C" {

// Runs a plugin's query and hands it each row. The row callback is plugin
// code: an exception escaping it fails the step rather than unwinding through
// the host (query_run and query_run_params share this).
static int32_t run_query_for_plugin(StepContext* ctx, const char* function, const char* sql,
                                    const std::vector<migration_host::odbc::Parameter>& parameters, mh_row_fn on_row,
                                    void* user) noexcept {
    bool aborted = false;
    std::vector<const char*> values;
    std::vector<uint32_t> lengths;
    auto error = ctx->connection->try_query(sql, parameters, [&](const Row& row) {
        values.clear();
        lengths.clear();
        for (const auto& column : row) {
            values.push_back(column ? column->c_str() : nullptr);
            lengths.push_back(column ? static_cast<uint32_t>(column->size()) : 0U);
        }
        int32_t status = MH_OK;
        try {
            status = on_row(values.data(), lengths.data(), static_cast<uint32_t>(row.size()), user);
        } catch (...) {
            migration_host::end_process_if_unwinding_the_thread();
            ctx->escaped = "its row callback " + migration_host::describe_escaped_exception();
            status = MH_E_ABORTED;
        }
        if (status != MH_OK) {
            aborted = true;
            return false;
        }
        return true;
    });
    if (error) {
        ctx->last_error = error->to_string();
        return MH_E_SQL;
    }
    if (aborted) {
        ctx->last_error = std::string(function) + ": " +
                          (ctx->escaped.empty() ? std::string("stopped by the row callback") : ctx->escaped);
        return MH_E_ABORTED;
    }
    return MH_OK;
}

// Executes one of a step's statements online, through its gate when it has one.
static int32_t execute_for_plugin(StepContext* ctx, const char* sql,
                                  const std::vector<migration_host::odbc::Parameter>& parameters) noexcept {
    const std::size_t number = ++ctx->statements;
    if (ctx->gate != nullptr) {
        const auto decision = ctx->gate->before(number, sql);
        if (const auto* diagnostic = std::get_if<Diagnostic>(&decision)) {
            ctx->last_error = diagnostic->to_string();
            return MH_E_SQL;
        }
        if (std::get<migration_host::StatementGate::Decision>(decision) ==
            migration_host::StatementGate::Decision::skip) {
            spdlog::debug("[{}] statement {} skipped: the attempt that stopped had applied it", ctx->label, number);
            return MH_OK;
        }
    }
    auto result = ctx->connection->try_execute(sql, parameters);
    if (auto* diagnostic = std::get_if<Diagnostic>(&result)) {
        if (ctx->gate == nullptr || !ctx->gate->excused(number, *diagnostic)) {
            ctx->last_error = diagnostic->to_string();
            return MH_E_SQL;
        }
    }
    if (ctx->gate != nullptr) ctx->gate->after(number);
    return MH_OK;
}

static int32_t host_sql_exec(mh_host_context* handle, const char* sql) noexcept {
    StepContext* ctx = LiveContexts::instance().find(handle, "sql_exec");
    if (ctx == nullptr) return MH_E_INVALID;
    ctx->last_error.clear();
    if (sql == nullptr || *sql == '\0') {
        ctx->last_error = "sql_exec: empty statement";
        return MH_E_INVALID;
    }
    // Offline renders (checksums, existing-table checks) run every step again: at debug they would double each
    // statement a run sends, so they show at trace only.
    spdlog::log(ctx->connection ? spdlog::level::debug : spdlog::level::trace, "[{}] SQL: {}", ctx->label,
                one_line(sql));
    if (ctx->connection == nullptr) {
        ctx->recorded->emplace_back(sql);
        ctx->recorded_statements->push_back({sql, std::nullopt});
        return MH_OK;
    }
    return execute_for_plugin(ctx, sql, {});
}

static int32_t host_query_run(mh_host_context* handle, const char* sql, mh_row_fn on_row, void* user) noexcept {
    StepContext* ctx = LiveContexts::instance().find(handle, "query_run");
    if (ctx == nullptr) return MH_E_INVALID;
    ctx->last_error.clear();
    if (sql == nullptr || on_row == nullptr) {
        ctx->last_error = "query_run: NULL statement or callback";
        return MH_E_INVALID;
    }
    if (ctx->connection == nullptr) {
        ctx->last_error = "query_run: no database connection (offline)";
        ctx->query_refused = true;
        return MH_E_UNSUPPORTED;
    }
    spdlog::debug("[{}] query: {}", ctx->label, one_line(sql));
    return run_query_for_plugin(ctx, "query_run", sql, {}, on_row, user);
}

static const char* host_dialect_name(mh_host_context* handle) noexcept {
    const StepContext* ctx = LiveContexts::instance().find(handle, "dialect_name");
    return ctx ? ctx->database->dialect.name().c_str() : "";
}

static const char* host_dbms_version(mh_host_context* handle) noexcept {
    const StepContext* ctx = LiveContexts::instance().find(handle, "dbms_version");
    return ctx ? ctx->database->dbms_version.c_str() : "";
}

static const char* host_database_name(mh_host_context* handle) noexcept {
    const StepContext* ctx = LiveContexts::instance().find(handle, "database_name");
    return ctx ? ctx->database->database_name.c_str() : "";
}

static void host_log_write(mh_host_context* handle, int32_t level, const char* message) noexcept {
    const StepContext* ctx = LiveContexts::instance().find(handle, "log_write");
    if (ctx == nullptr || message == nullptr) return;
    spdlog::level::level_enum spd_level = spdlog::level::info;
    switch (level) {
        case MH_LOG_TRACE: spd_level = spdlog::level::trace; break;
        case MH_LOG_DEBUG: spd_level = spdlog::level::debug; break;
        case MH_LOG_INFO: spd_level = spdlog::level::info; break;
        case MH_LOG_WARN: spd_level = spdlog::level::warn; break;
        default: spd_level = spdlog::level::err; break;
    }
    // Offline renders (checksums, stamp hints) run steps a second time: their
    // messages would repeat what the real run says, so they stay at trace.
    if (ctx->connection == nullptr) spd_level = spdlog::level::trace;
    spdlog::log(spd_level, "[{}] {}", ctx->label, message);
}

static void host_error_set(mh_host_context* handle, const char* message) noexcept {
    StepContext* ctx = LiveContexts::instance().find(handle, "error_set");
    if (ctx == nullptr) return;
    // Stored in the history and printed: a plugin's text must not leak a password either.
    ctx->step_error = message ? migration_host::redact_secrets(one_line(message)) : "";
}

static const char* host_error_last(mh_host_context* handle) noexcept {
    const StepContext* ctx = LiveContexts::instance().find(handle, "error_last");
    return ctx ? ctx->last_error.c_str() : "";
}

static void* host_odbc_connection(mh_host_context* handle) noexcept {
    const StepContext* ctx = LiveContexts::instance().find(handle, "odbc_connection");
    return ctx && ctx->connection ? ctx->connection->get() : nullptr;
}

}  // extern "C"

// --- ABI 1.2: bound parameters (sql_exec_params, query_run_params) ---

namespace {

std::vector<migration_host::odbc::Parameter> text_parameters(const char* const* values, uint32_t count) {
    std::vector<migration_host::odbc::Parameter> parameters;
    parameters.reserve(count);
    for (uint32_t i = 0; i < count; ++i) {
        if (values[i] == nullptr) {
            parameters.emplace_back(std::monostate{});
        } else {
            parameters.emplace_back(std::string(values[i]));
        }
    }
    return parameters;
}

// Offline the values are kept beside the statement, in a comment: checksums
// then change with the values, and a reviewer sees them, but the text is never
// substituted into the SQL.
std::string recorded_with_values(const char* sql, const char* const* values, uint32_t count) {
    std::string out = sql;
    out += " /* bound:";
    for (uint32_t i = 0; i < count; ++i) {
        out += i == 0 ? " " : ", ";
        if (values[i] == nullptr) {
            out += "NULL";
            continue;
        }
        out += '\'';
        for (const char* c = values[i]; *c != '\0'; ++c) {
            out += *c;
            if (*c == '\'') out += '\'';
            if (*c == '*' && c[1] == '/') out += ' ';  // never end the comment early
        }
        out += '\'';
    }
    out += " */";
    return out;
}

}  // namespace

extern "C" {

static int32_t host_sql_exec_params(mh_host_context* handle, const char* sql, const char* const* values,
                                    uint32_t value_count) noexcept {
    StepContext* ctx = LiveContexts::instance().find(handle, "sql_exec_params");
    if (ctx == nullptr) return MH_E_INVALID;
    ctx->last_error.clear();
    if (sql == nullptr || *sql == '\0' || (values == nullptr && value_count > 0)) {
        ctx->last_error = "sql_exec_params: empty statement, or NULL values with value_count > 0";
        return MH_E_INVALID;
    }
    spdlog::log(ctx->connection ? spdlog::level::debug : spdlog::level::trace, "[{}] SQL: {} ({} bound values)",
                ctx->label, one_line(sql), value_count);
    if (ctx->connection == nullptr) {
        ctx->recorded->push_back(recorded_with_values(sql, values, value_count));
        std::vector<std::optional<std::string>> bound;
        bound.reserve(value_count);
        for (uint32_t i = 0; i < value_count; ++i) {
            bound.push_back(values[i] == nullptr ? std::nullopt : std::optional<std::string>(values[i]));
        }
        ctx->recorded_statements->push_back({sql, std::move(bound)});
        return MH_OK;
    }
    return execute_for_plugin(ctx, sql, text_parameters(values, value_count));
}

static int32_t host_query_run_params(mh_host_context* handle, const char* sql, const char* const* values,
                                     uint32_t value_count, mh_row_fn on_row, void* user) noexcept {
    StepContext* ctx = LiveContexts::instance().find(handle, "query_run_params");
    if (ctx == nullptr) return MH_E_INVALID;
    ctx->last_error.clear();
    if (sql == nullptr || on_row == nullptr || (values == nullptr && value_count > 0)) {
        ctx->last_error = "query_run_params: NULL statement or callback, or NULL values with value_count > 0";
        return MH_E_INVALID;
    }
    if (ctx->connection == nullptr) {
        ctx->last_error = "query_run_params: no database connection (offline)";
        ctx->query_refused = true;
        return MH_E_UNSUPPORTED;
    }
    spdlog::debug("[{}] query: {} ({} bound values)", ctx->label, one_line(sql), value_count);
    return run_query_for_plugin(ctx, "query_run_params", sql, text_parameters(values, value_count), on_row, user);
}

}  // extern "C"

// --- end ABI 1.2 ---

// --- ABI 1.4: progress reports ---

extern "C" {

// Called per row by some plugins, millions of times in a step: when the report is not passed on it costs the context
// check (one uncontended lock, taken by no other thread while the step runs) and a clock read.
static void host_progress_report(mh_host_context* handle, uint64_t done, uint64_t total, const char* unit) noexcept {
    StepContext* ctx = LiveContexts::instance().find(handle, "progress_report");
    if (ctx == nullptr || ctx->progress == nullptr) return;
    const auto now = std::chrono::steady_clock::now();
    if (now < ctx->next_progress) return;
    ctx->next_progress = now + migration_host::StepExecutor::progress_interval;
    ctx->progress->report(done, total, unit == nullptr ? std::string_view("items") : std::string_view(unit));
}

}  // extern "C"

// --- end ABI 1.4 ---

namespace migration_host {

const mh_host_api& StepExecutor::api() {
    static const mh_host_api table = {
        sizeof(mh_host_api), MH_ABI_VERSION_MAJOR, MH_ABI_VERSION_MINOR, host_sql_exec, host_query_run,
        host_dialect_name,   host_dbms_version,    host_database_name,   host_log_write, host_error_set,
        host_error_last,     host_odbc_connection,
        // ABI 1.2
        host_sql_exec_params, host_query_run_params,
        // ABI 1.4
        host_progress_report,
    };
    return table;
}

std::string StepExecutor::aftermath() const {
    if (!aftermath_.empty()) return aftermath_;
    if (connection_ == nullptr) {
        return "the step was only being rendered offline, so nothing of it reached the database";
    }
    if (database_.dialect.transactional_ddl()) {
        return "its transaction ends with the process, so nothing of the step is kept";
    }
    return "what the step did so far stays applied (DDL commits implicitly here) and its track stays dirty until an "
           "upgrade resumes the step or 'migration-host repair' settles it";
}

StepResult StepExecutor::run(mh_step_fn step, const std::string& label, const std::string& library) {
    query_refused_ = false;
    recorded_.clear();
    recorded_statements_.clear();
    // The step gets a handle (LiveContexts), never this object's address: kept past this call, the handle is refused
    // rather than leading into this frame, gone by then, or into a later step's context.
    StepContext context;
    context.connection = connection_;
    context.database = &database_;
    context.label = label;
    context.recorded = &recorded_;
    context.recorded_statements = &recorded_statements_;
    if (connection_ != nullptr) {
        context.gate = gate_;
        context.progress = progress_;
    }
    const ContextHandle handle(context);
    const std::string code = library.empty() ? "the step" : "the step (in " + library + ")";
    const auto returned = call_plugin("step " + label + (library.empty() ? "" : " in " + library),
                                      ExitCode::step_failed, aftermath(), [&] { return step(&api(), handle.get()); });
    query_refused_ = context.query_refused;
    if (const auto* escaped = std::get_if<1>(&returned)) return {false, code + " " + *escaped};
    if (!context.escaped.empty()) return {false, code + ": " + context.escaped};
    const int32_t status = std::get<0>(returned);
    if (status == MH_OK) return {true, {}};
    std::string reason = !context.step_error.empty() ? context.step_error
                         : !context.last_error.empty() ? context.last_error
                                                       : fmt::format("the step returned status {}", status);
    return {false, std::move(reason)};
}

}  // namespace migration_host
