// Implements the C host API that plugins call, and runs one plugin step through it.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <migration_host/plugin.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "database/database.hpp"
#include "database/odbc.hpp"

namespace migration_host {

struct StepResult {
    bool succeeded = false;
    std::string error;  // why it failed, one line; empty on success
};

// A statement a step issued offline, as it issued it: the text, and for sql_exec_params the values bound to its `?`
// markers (nullopt for a NULL value).
struct RecordedStatement {
    std::string sql;
    std::optional<std::vector<std::optional<std::string>>> bound_values;  // nullopt: issued through sql_exec
};

// What a live step's statements (sql_exec, sql_exec_params) pass through on their way to the database, in the order
// the step issues them, numbered from 1: the engine's statement journal (engine/step_journal.hpp). Its functions are
// called from the host API's C functions and must not throw.
class StatementGate {
public:
    enum class Decision {
        run,
        skip,  // the step is told MH_OK and nothing is executed: an earlier attempt of the step applied it
    };
    virtual ~StatementGate() = default;
    // Before statement `number` is executed: run it, skip it, or fail it with a diagnostic (MH_E_SQL, not executed).
    virtual std::variant<Decision, odbc::Diagnostic> before(std::size_t number, std::string_view sql) noexcept = 0;
    // After statement `number` was executed and succeeded.
    virtual void after(std::size_t number) noexcept = 0;
    // After statement `number` failed with `diagnostic`: true when the failure says an earlier attempt of the step
    // had applied it, so that the step is told MH_OK.
    virtual bool excused(std::size_t number, const odbc::Diagnostic& diagnostic) noexcept = 0;
};

// Where a live step's progress reports (mh_host_api.progress_report, ABI 1.4) go: the engine's run events
// (engine/step_progress.hpp). The host API passes one on at most every `StepExecutor::progress_interval`, the latest,
// and drops the rest; called on the step's thread, from a C function: must not throw.
class ProgressSink {
public:
    virtual ~ProgressSink() = default;
    // `done` of `total` (0: unknown) `unit` ("items" when the plugin gave none), as the plugin gave them; `unit` is
    // valid during the call.
    virtual void report(std::uint64_t done, std::uint64_t total, std::string_view unit) noexcept = 0;
};

// Runs plugin steps on one connection. With no connection it runs offline:
// sql_exec records each statement instead of executing it.
class StepExecutor {
public:
    StepExecutor(const odbc::Connection* connection, const DatabaseInfo& database)
        : connection_(connection), database_(database) {}

    // Calls `step` with the host API; never throws for a plugin's failure. An
    // exception escaping the step is its failure, naming the library; exit()
    // or a crash inside it ends the process naming the step (PluginCallScope).
    // `library` is the plugin library the step comes from, named in its failure messages.
    StepResult run(mh_step_fn step, const std::string& label, const std::string& library);

    // What the database is left with when the process ends inside a step, where the default (said for the
    // database being migrated) would be wrong: e.g. for a scratch database that only verify uses.
    void set_aftermath(std::string aftermath) { aftermath_ = std::move(aftermath); }
    // Online only: every statement of the next runs goes through `gate` (null: none), which must outlive them.
    void set_statement_gate(StatementGate* gate) noexcept { gate_ = gate; }
    // Online only: the next runs' progress reports go to `sink` (null: nowhere), which must outlive them.
    void set_progress_sink(ProgressSink* sink) noexcept { progress_ = sink; }
    // How often at most a step's progress reports reach the sink: often enough for a bar to move smoothly, rarely
    // enough that a plugin reporting every row costs a clock read per row, and observers little.
    static constexpr std::chrono::milliseconds progress_interval{200};

    // Offline only: the statements recorded by the last run, bound values in a comment beside the statement (what
    // checksums hash), and the same statements with their values apart.
    const std::vector<std::string>& recorded() const noexcept { return recorded_; }
    const std::vector<RecordedStatement>& recorded_statements() const noexcept { return recorded_statements_; }
    // Offline only: whether the last run asked for a query (query_run, query_run_params), which was refused: a step
    // that then fails needs a connection, rather than failing by itself.
    bool query_refused() const noexcept { return query_refused_; }

    static const mh_host_api& api();

private:
    // What the database is left with when the process ends inside a step.
    std::string aftermath() const;

    const odbc::Connection* connection_;
    const DatabaseInfo& database_;
    std::vector<std::string> recorded_;
    std::vector<RecordedStatement> recorded_statements_;
    std::string aftermath_;  // set_aftermath's, when not empty
    StatementGate* gate_ = nullptr;
    ProgressSink* progress_ = nullptr;
    bool query_refused_ = false;
};

}  // namespace migration_host
