// A fault at the Nth ODBC call of a Grizzly upgrade or downgrade with data, for sampled N on every backend: the
// database is left at a step boundary (or, on MySQL, dirty and repairable), and the next upgrade converges.
// SPDX-License-Identifier: Apache-2.0
//
// As SQLite's own tests do with its I/O: the fault-injecting build of the host (fault_injection/) counts every call
// the host makes to the database and fails the Nth, as an error (the connection stays) or as the connection dropping
// (its transaction rolled back, later calls failing). A counting run of the same operation on the same start state
// gives the total; then, for each chosen N, from a fresh copy of the start state:
//   1. the faulted run fails (exit neither 0 nor a signal) with the injected fault as its first error line, and
//      prints no password (the servers' connection strings carry one);
//   2. the database is at a step boundary: cinder at some version v with exactly the schema and data of a clean run
//      at v (compared with a ladder of clean runs, one step at a time). On MySQL/MariaDB, where DDL commits as it
//      goes, the track may instead be dirty: the refusal names the step and both repairs; when the schema is the
//      step's start or end, repair to it and upgrade; a step left half done is counted (see accept_mysql_partial);
//   3. a plain upgrade then converges: cinder@9, the clean run's schema and data, nothing dirty.
// Which N: every call of the first and last 3 (2 under the sanitizers) with both kinds, then every `stride`-th call
// as an error and every stride-th from half a stride on as a dropped connection. The stride is the backend's default
// (default_stride: SQLite 2, i.e. every call once, the kinds taking turns; the servers 30; 3x larger under the
// sanitizers, which run about 3x slower; chosen so that each test stays within about a minute on a 2-core machine)
// or MIGRATION_HOST_TEST_FAULT_STRIDE for every backend (1: every call with both kinds, the full sweep). The figures
// (calls per run, faults tried, states left, repairs, time) are printed as a WARN.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "cinder_scenarios.hpp"
#include "database/database.hpp"
#include "database/schema_catalog.hpp"
#include "host_process.hpp"
#include "lock_scenarios.hpp"
#include "schema_lines.hpp"
#include "test_database.hpp"

#ifndef FAULT_INJECTING_HOST
#error "FAULT_INJECTING_HOST must be defined by the build"
#endif
#ifndef FAULT_INJECTION_SANITIZED_BUILD
#error "FAULT_INJECTION_SANITIZED_BUILD must be defined by the build"
#endif

using namespace test_support;

namespace {

using Clock = std::chrono::steady_clock;

constexpr long long first_version = 1;
constexpr long long last_version = 9;

enum class Operation { upgrade, downgrade };

const char* operation_name(Operation operation) {
    return operation == Operation::upgrade ? "upgrade" : "downgrade";
}

// The command under test: the whole Grizzly chain up from cinder@1, or down from cinder@9.
std::vector<std::string> operation_command(Operation operation) {
    if (operation == Operation::upgrade) return {"upgrade"};
    return {"downgrade", fmt::format("cinder@{}", first_version)};
}

// Every run is bounded: a lock left behind by a faulted run fails the next one within seconds instead of waiting.
HostRun chain_run(const TestDatabase& database, const std::vector<std::string>& command,
                  std::map<std::string, std::string> environment = {}) {
    std::vector<std::string> arguments{"--lock-timeout", "10"};
    arguments.insert(arguments.end(), command.begin(), command.end());
    return host_run_on(database.connection_string(), {CINDER_PLUGIN_DIR, GRIZZLY_PLUGIN_DIR}, arguments,
                       std::move(environment));
}

// --- what a database holds ---

// Its data, one line per row, sorted, with volume type ids (random UUIDs from 004 on) shown as their type's name.
std::vector<std::string> data_lines(const TestDatabase& database) {
    std::map<std::string, std::string> type_name;
    for (const auto& row : database.query("SELECT id, name FROM volume_types")) {
        type_name[row[0].value_or("NULL")] = "type:" + row[1].value_or("NULL");
    }
    const std::map<std::string, std::string> type_reference = {
        {"volume_types", "id"}, {"volume_type_extra_specs", "volume_type_id"}, {"volumes", "volume_type_id"}};
    migration_host::odbc::Connection connection(odbc_environment(), database.connection_string(), 15);
    const auto info = migration_host::describe_database(connection);
    std::vector<std::string> lines;
    for (const auto& table : migration_host::read_schema(connection, info).tables) {
        const auto reference = type_reference.find(table.name);
        std::vector<std::string> columns;
        for (const auto& column : table.columns) columns.push_back(column.name);
        const std::string quote = database.backend() == Backend::mysql ? "`" : "\"";
        std::string select = "SELECT ";
        for (std::size_t i = 0; i < columns.size(); ++i) select += (i ? ", " : "") + quote + columns[i] + quote;
        for (const auto& row : connection.query(select + " FROM " + quote + table.name + quote)) {
            std::vector<std::string> values;
            for (std::size_t i = 0; i < row.size(); ++i) {
                std::string value = row[i].value_or("NULL");
                if (reference != type_reference.end() && columns[i] == reference->second && type_name.count(value)) {
                    value = type_name.at(value);
                }
                values.push_back(columns[i] + "=" + value);
            }
            lines.push_back(fmt::format("{}: {}", table.name, fmt::join(values, " ")));
        }
    }
    std::sort(lines.begin(), lines.end());
    return lines;
}

struct Snapshot {
    std::vector<std::string> schema;
    std::vector<std::string> data;
};

Snapshot snapshot_of(const TestDatabase& database) {
    return {database_schema_lines(database), data_lines(database)};
}

// The lines of `a` not in `b`, for a message.
std::vector<std::string> missing_from(const std::vector<std::string>& a, const std::vector<std::string>& b) {
    std::vector<std::string> out;
    std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
    return out;
}

std::string difference(const Snapshot& actual, const Snapshot& expected) {
    auto sorted = [](std::vector<std::string> lines) {
        std::sort(lines.begin(), lines.end());
        return lines;
    };
    const auto actual_schema = sorted(actual.schema);
    const auto expected_schema = sorted(expected.schema);
    return fmt::format(
        "schema: only here [{}], only in the clean run [{}]; data: only here [{}], only in the clean "
        "run [{}]",
        fmt::join(missing_from(actual_schema, expected_schema), " | "),
        fmt::join(missing_from(expected_schema, actual_schema), " | "),
        fmt::join(missing_from(actual.data, expected.data), " | "),
        fmt::join(missing_from(expected.data, actual.data), " | "));
}

bool same(const Snapshot& a, const Snapshot& b) {
    return a.schema == b.schema && a.data == b.data;
}

// --- the start states and the clean runs ---

// A fresh database at cinder@1 with seed_volume_data's rows, then (for a downgrade) upgraded to cinder@9.
void prepare_start_state(const TestDatabase& database, Operation operation) {
    require_ok(run_host(chain_run(database, {"upgrade", fmt::format("cinder@{}", first_version)})));
    seed_volume_data(database);
    if (operation == Operation::downgrade) require_ok(run_host(chain_run(database, {"upgrade"})));
}

// Fresh copies of the start state: on SQLite a copy of one prepared file, on the servers a new database prepared
// the same way (the host runs are what it costs).
class StartStates {
public:
    StartStates(Backend backend, Operation operation) : backend_(backend), operation_(operation) {
        if (backend == Backend::sqlite) {
            prepared_ = TestDatabase::create(backend);
            REQUIRE(prepared_);
            prepare_start_state(*prepared_, operation);
        }
    }

    // Null after WARN/FAIL as TestDatabase::create.
    std::unique_ptr<TestDatabase> fresh() const {
        auto database = TestDatabase::create(backend_);
        if (!database) return database;
        if (prepared_) {
            std::filesystem::copy_file(prepared_->name(), database->name(),
                                       std::filesystem::copy_options::overwrite_existing);
        } else {
            prepare_start_state(*database, operation_);
        }
        return database;
    }

private:
    Backend backend_;
    Operation operation_;
    std::unique_ptr<TestDatabase> prepared_;
};

// What a clean run leaves at each version on the way the operation goes, one step per run; at cinder@9 (where the
// next upgrade must converge) what a clean upgrade leaves.
std::map<long long, Snapshot> clean_ladder(const StartStates& start, Operation operation) {
    std::map<long long, Snapshot> ladder;
    const auto database = start.fresh();
    REQUIRE(database);
    const long long from = operation == Operation::upgrade ? first_version : last_version;
    const long long to = operation == Operation::upgrade ? last_version : first_version;
    const long long direction = from < to ? 1 : -1;
    ladder[from] = snapshot_of(*database);
    for (long long version = from + direction; version != to + direction; version += direction) {
        require_ok(run_host(chain_run(*database, {operation_name(operation), fmt::format("cinder@{}", version)})));
        REQUIRE(database->version_of("cinder") == version);
        ladder[version] = snapshot_of(*database);
    }
    if (operation == Operation::downgrade) {
        require_ok(run_host(chain_run(*database, {"upgrade"})));
        ladder[last_version] = snapshot_of(*database);
    }
    return ladder;
}

// --- the faults ---

struct Fault {
    long long at = 0;
    std::string kind;  // "error" or "disconnect"
};

// Every call of the first and last `edge` with both kinds, then every `stride`-th call as an error and every
// stride-th from half a stride on as a dropped connection.
std::vector<Fault> chosen_faults(long long total, long long stride, long long edge) {
    std::vector<Fault> faults;
    const long long half = stride / 2;
    for (long long at = 1; at <= total; ++at) {
        const bool at_edge = at <= edge || at > total - edge;
        if (at_edge || stride == 1 || (at - 1) % stride == 0) faults.push_back({at, "error"});
        if (at_edge || stride == 1 || (at - 1) % stride == half) faults.push_back({at, "disconnect"});
    }
    return faults;
}

long long default_stride(Backend backend) {
    const char* configured = std::getenv("MIGRATION_HOST_TEST_FAULT_STRIDE");
    if (configured != nullptr && *configured != '\0') return std::max(1LL, std::stoll(configured));
    // Measured on a 2-core machine shared with other builds (Release): SQLite 143 calls per upgrade and 153 per
    // downgrade at about 0.3 s a fault, so stride 2 (every call, the kinds taking turns) takes 45 s per test; MariaDB
    // 88 and 88, PostgreSQL 125 and 123 calls, at 3-4.5 s a fault (a new database prepared by two or three host
    // runs, then the faulted run, the checks and the converging runs), so stride 30 (17-20 faults) takes 50-80 s.
    long long stride = backend == Backend::sqlite ? 2 : 30;
    return FAULT_INJECTION_SANITIZED_BUILD ? 3 * stride : stride;
}

std::vector<std::string> read_lines(const std::string& path) {
    std::vector<std::string> lines;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

// The password of a connection string (PWD= or Password=), or "" when it has none.
std::string password_of(const std::string& connection_string) {
    std::smatch match;
    static const std::regex pattern("(?:^|;)\\s*(?:PWD|Password)\\s*=\\s*([^;]*)", std::regex::icase);
    return std::regex_search(connection_string, match, pattern) ? match[1].str() : "";
}

// --- what the faulted runs left ---

struct Figures {
    long long calls = 0;
    std::size_t tried = 0;
    std::map<std::string, std::size_t> faulted_calls;  // call kind -> faults injected into it
    std::map<long long, std::size_t> boundaries;       // version left at -> times (not dirty)
    std::size_t dirty_repaired = 0;                    // MySQL: dirty at the step's start or end; repaired
    std::size_t dirty_partial = 0;                     // MySQL: dirty with the step half done
    std::size_t dirty_resumed = 0;                     // MySQL: dirty, and the next upgrade resumed the step
    std::size_t absorbed = 0;                          // the run succeeded despite the fault
    std::size_t converged = 0;
    std::map<int, std::size_t> exit_codes;
};

// A step left half done on MySQL/MariaDB (DDL commits as it goes) cannot be repaired to either end: an operator
// must finish or undo it by hand. Accepted while automatic resume does not exist; when it does, this returns false
// and the converging upgrade below must take the track on from there.
constexpr bool accept_mysql_partial = true;

// The database after a faulted run of `operation`: at a step boundary (the ladder's snapshot at its version), or on
// MySQL dirty and repairable. Returns whether a plain upgrade should now converge.
bool check_state_left(const TestDatabase& database, Operation operation, const std::map<long long, Snapshot>& ladder,
                      Figures& figures) {
    const auto version = database.version_of("cinder");
    REQUIRE(version);
    REQUIRE(*version >= first_version);
    REQUIRE(*version <= last_version);
    const auto status = run_host(chain_run(database, {"status", "--check"}));
    INFO("status --check:\n" << status.all());
    const Snapshot now = snapshot_of(database);
    if (status.exit_code != 7) {
        CHECK((status.exit_code == 0 || status.exit_code == 6));
        const auto& clean = ladder.at(*version);
        INFO("at cinder@" << *version << ": " << difference(now, clean));
        CHECK(same(now, clean));
        ++figures.boundaries[*version];
        return true;
    }
    // Dirty: only where DDL is not transactional, and only about one step of this run, from or to `version` (a
    // step whose history row could not be completed has moved the version already).
    REQUIRE(database.backend() == Backend::mysql);
    const auto refused = run_host(chain_run(database, {"upgrade"}));
    INFO("upgrade while dirty:\n" << refused.all());
    if (refused.exit_code == 0) {
        // The statement journal resumed the step after its last recorded statement, or ran a restartable step
        // again from its start (issue 22, item 11): the converging upgrade that follows finds nothing left to do,
        // and the schema and data are compared with a clean run's there.
        CHECK((contains(refused.err, "resuming cinder@") || contains(refused.err, "again from its start")));
        ++figures.dirty_resumed;
        return true;
    }
    CHECK(refused.exit_code == 5);
    static const std::regex repairs(
        "track cinder is dirty: .*'migration-host repair cinder@(\\d+)' if the step's "
        "changes are in place, or 'repair cinder@(\\d+)' if they are not");
    std::smatch named;
    REQUIRE(std::regex_search(refused.err, named, repairs));
    const long long step_end = std::stoll(named[1].str());
    const long long step_start = std::stoll(named[2].str());
    CHECK(step_end - step_start == (operation == Operation::upgrade ? 1 : -1));
    CHECK((*version == step_start || *version == step_end));
    for (const long long end : {step_start, step_end}) {
        if (!ladder.count(end) || !same(now, ladder.at(end))) continue;
        const auto repair = run_host(chain_run(database, {"repair", fmt::format("cinder@{}", end)}));
        INFO("repair cinder@" << end << ":\n" << repair.all());
        CHECK(repair.exit_code == 0);
        ++figures.dirty_repaired;
        return true;
    }
    INFO("half done: " << difference(now, ladder.at(step_start)));
    CHECK(accept_mysql_partial);
    ++figures.dirty_partial;
    return !accept_mysql_partial;
}

// One faulted run from a fresh start state, its checks, and the converging upgrade.
void check_one_fault(const StartStates& start, Operation operation, const Fault& fault,
                     const std::vector<std::string>& counted, const std::map<long long, Snapshot>& ladder,
                     const std::string& trace_path, Figures& figures) {
    const auto database = start.fresh();
    REQUIRE(database);
    const std::string call = counted.at(static_cast<std::size_t>(fault.at - 1));
    INFO(fmt::format("{} of cinder with a fault ({}) at call {} of {}: {}", operation_name(operation), fault.kind,
                     fault.at, counted.size(), call));
    const auto faulted = run_host(chain_run(*database, operation_command(operation),
                                            {{"MIGRATION_HOST_FAULT_AT", std::to_string(fault.at)},
                                             {"MIGRATION_HOST_FAULT_KIND", fault.kind},
                                             {"MIGRATION_HOST_FAULT_TRACE", trace_path}}),
                                  FAULT_INJECTING_HOST);
    INFO("faulted run, exit " << faulted.exit_code << ":\n" << faulted.all());
    ++figures.tried;
    ++figures.faulted_calls[call.substr(call.find(' ') + 1)];
    ++figures.exit_codes[faulted.exit_code];
    // The same run up to the fault: the Nth call is the one the counting run made Nth.
    const auto trace = read_lines(trace_path);
    REQUIRE(trace.size() >= static_cast<std::size_t>(fault.at));
    CHECK(trace.at(static_cast<std::size_t>(fault.at - 1)) == call);

    // The servers' connection strings carry the admin user's password; SQLite takes none.
    const std::string password = password_of(database->connection_string());
    CHECK(password.empty() == (database->backend() == Backend::sqlite));
    if (!password.empty()) CHECK_FALSE(contains(faulted.all(), password));
    CHECK(faulted.exit_code < 128);  // no crash
    if (faulted.exit_code == 0) {
        // A fault the host absorbed (a call it may do without): then the run must have done all it had to.
        ++figures.absorbed;
        CHECK(database->version_of("cinder") == (operation == Operation::upgrade ? last_version : first_version));
    } else {
        const auto errors = error_lines(faulted.err);
        REQUIRE_FALSE(errors.empty());
        CHECK(contains(errors.front(), fmt::format("injected fault at ODBC call {} ", fault.at)));
    }

    // What the error says about the version must be what the database says.
    static const std::regex claim("cinder (?:stays at|is at) version (\\d+)");
    std::smatch claimed;
    if (std::regex_search(faulted.err, claimed, claim)) {
        CHECK(std::stoll(claimed[1].str()) == database->version_of("cinder"));
    }

    if (check_state_left(*database, operation, ladder, figures)) {
        const auto upgrade = run_host(chain_run(*database, {"upgrade"}));
        INFO("the next upgrade:\n" << upgrade.all());
        CHECK(upgrade.exit_code == 0);
        CHECK(database->version_of("cinder") == last_version);
        const Snapshot converged = snapshot_of(*database);
        INFO("converged: " << difference(converged, ladder.at(last_version)));
        CHECK(same(converged, ladder.at(last_version)));
        const auto status = run_host(chain_run(*database, {"status", "--check"}));
        INFO("status --check afterwards:\n" << status.all());
        CHECK(status.exit_code == 0);
        if (upgrade.exit_code == 0 && same(converged, ladder.at(last_version))) ++figures.converged;
    }
}

void check_faults(Backend backend, Operation operation) {
    if (!TestDatabase::create(backend)) return;  // no server here (outside CI): create has said so
    const auto test_start = Clock::now();
    const StartStates start(backend, operation);
    const auto ladder = clean_ladder(start, operation);

    const TempDir temp;
    const std::string trace_path = temp.path + "/calls";
    std::vector<std::string> counted;
    {
        const auto database = start.fresh();
        REQUIRE(database);
        const auto counting =
            run_host(chain_run(*database, operation_command(operation), {{"MIGRATION_HOST_FAULT_TRACE", trace_path}}),
                     FAULT_INJECTING_HOST);
        require_ok(counting);
        counted = read_lines(trace_path);
        REQUIRE(counted.size() > 10);
        REQUIRE(
            same(snapshot_of(*database), ladder.at(operation == Operation::upgrade ? last_version : first_version)));
    }

    Figures figures;
    figures.calls = static_cast<long long>(counted.size());
    const long long stride = default_stride(backend);
    const long long edge = FAULT_INJECTION_SANITIZED_BUILD ? 2 : 3;
    for (const auto& fault : chosen_faults(figures.calls, stride, edge)) {
        check_one_fault(start, operation, fault, counted, ladder, trace_path, figures);
    }
    CHECK(figures.converged + figures.dirty_partial == figures.tried);

    const auto seconds = std::chrono::duration<double>(Clock::now() - test_start).count();
    WARN(
        fmt::format("{} {} of the Grizzly chain with data: {} ODBC calls per run; {} faults tried (stride {}, first "
                    "and last {} calls with both kinds); into calls {}; exits {}; left at cinder@ {}; MySQL dirty "
                    "and repaired {}, resumed {}, half done {}; absorbed {}; converged {}; {:.1f} s",
                    dialect_name(backend), operation_name(operation), figures.calls, figures.tried, stride, edge,
                    figures.faulted_calls, figures.exit_codes, figures.boundaries, figures.dirty_repaired,
                    figures.dirty_resumed, figures.dirty_partial, figures.absorbed, figures.converged, seconds));
}

// The connection failing right after a step's commit (restoring autocommit, the call after it): the step is applied,
// and the error must say so, not that it was rolled back.
void check_failure_after_commit(Backend backend) {
    const auto probe = TestDatabase::create(backend);
    if (!probe) return;
    const StartStates start(backend, Operation::upgrade);
    const TempDir temp;
    const std::string trace_path = temp.path + "/calls";
    std::vector<std::string> counted;
    {
        const auto database = start.fresh();
        REQUIRE(database);
        require_ok(run_host(chain_run(*database, {"upgrade", "cinder@2"}, {{"MIGRATION_HOST_FAULT_TRACE", trace_path}}),
                            FAULT_INJECTING_HOST));
        counted = read_lines(trace_path);
    }
    std::optional<std::size_t> after_commit;
    for (std::size_t i = 0; i + 1 < counted.size() && !after_commit; ++i) {
        if (contains(counted[i], " commit") && contains(counted[i + 1], " autocommit")) after_commit = i + 2;
    }
    REQUIRE(after_commit);
    for (const std::string kind : {"error", "disconnect"}) {
        const auto database = start.fresh();
        REQUIRE(database);
        const auto faulted = run_host(chain_run(*database, {"upgrade", "cinder@2"},
                                                {{"MIGRATION_HOST_FAULT_AT", std::to_string(*after_commit)},
                                                 {"MIGRATION_HOST_FAULT_KIND", kind}}),
                                      FAULT_INJECTING_HOST);
        INFO(kind << " at call " << *after_commit << ", exit " << faulted.exit_code << ":\n" << faulted.all());
        CHECK(faulted.exit_code == 1);
        CHECK(database->version_of("cinder") == 2);
        const auto errors = error_lines(faulted.err);
        REQUIRE(errors.size() == 1);
        CHECK(contains(errors.front(),
                       "cinder@2 (002_quota_class) was applied and cinder is at version 2, but the "
                       "connection failed right after its commit: cannot change autocommit: "));
        CHECK(contains(errors.front(), fmt::format("injected fault at ODBC call {} ", *after_commit)));
        CHECK_FALSE(contains(faulted.err, "rolled back"));
        CHECK(contains(faulted.out, "Upgraded cinder 1 -> 2: 002_quota_class"));
        CHECK(database->scalar("SELECT outcome FROM migration_host_history WHERE id = (SELECT MAX(id) FROM "
                               "migration_host_history)") == std::optional<std::string>("succeeded"));
    }
}

// The probe that tells a Galera cluster from a single server (SELECT @@wsrep_on, among a run's first calls) failing
// for any reason but MySQL's "unknown system variable": the run must fail, not go on as on a single server (with
// GET_LOCK, which the other nodes of a cluster do not see).
void check_failed_galera_probe_fails_the_run() {
    const auto probe = TestDatabase::create(Backend::mysql);
    if (!probe) return;
    const StartStates start(Backend::mysql, Operation::upgrade);
    bool probe_failed_the_run = false;
    for (long long at = 1; at <= 8 && !probe_failed_the_run; ++at) {
        const auto database = start.fresh();
        REQUIRE(database);
        const auto faulted = run_host(
            chain_run(*database, {"upgrade", "cinder@2"},
                      {{"MIGRATION_HOST_FAULT_AT", std::to_string(at)}, {"MIGRATION_HOST_FAULT_KIND", "error"}}),
            FAULT_INJECTING_HOST);
        INFO("error at call " << at << ", exit " << faulted.exit_code << ":\n" << faulted.all());
        const auto errors = error_lines(faulted.err);
        if (errors.empty() || !contains(errors.front(), "SELECT @@wsrep_on")) continue;
        probe_failed_the_run = true;
        CHECK(faulted.exit_code == 3);  // as for any failure while the host finds out what it is connected to
        CHECK(contains(errors.front(), fmt::format("injected fault at ODBC call {} ", at)));
        CHECK(database->version_of("cinder") == first_version);
    }
    CHECK(probe_failed_the_run);
}

}  // namespace

TEST_CASE("mysql: a Galera probe that fails fails the run instead of being taken for a single server",
          "[mysql][fault_injection]") {
    check_failed_galera_probe_fails_the_run();
}

TEST_CASE("sqlite: a connection failing right after a step's commit reports the step applied, not rolled back",
          "[sqlite][fault_injection]") {
    check_failure_after_commit(Backend::sqlite);
}
TEST_CASE("postgresql: a connection failing right after a step's commit reports the step applied, not rolled back",
          "[postgresql][fault_injection]") {
    check_failure_after_commit(Backend::postgresql);
}

TEST_CASE(
    "sqlite: a fault at every stride-th ODBC call of a Grizzly upgrade with data leaves a step boundary, and "
    "the next upgrade converges",
    "[sqlite][fault_injection]") {
    check_faults(Backend::sqlite, Operation::upgrade);
}
TEST_CASE(
    "sqlite: a fault at every stride-th ODBC call of a Grizzly downgrade with data leaves a step boundary, and "
    "the next upgrade converges",
    "[sqlite][fault_injection]") {
    check_faults(Backend::sqlite, Operation::downgrade);
}
TEST_CASE(
    "mysql: a fault at every stride-th ODBC call of a Grizzly upgrade with data leaves a step boundary or a "
    "dirty step, and the next upgrade converges",
    "[mysql][fault_injection]") {
    check_faults(Backend::mysql, Operation::upgrade);
}
TEST_CASE(
    "mysql: a fault at every stride-th ODBC call of a Grizzly downgrade with data leaves a step boundary or a "
    "dirty step, and the next upgrade converges",
    "[mysql][fault_injection]") {
    check_faults(Backend::mysql, Operation::downgrade);
}
TEST_CASE(
    "postgresql: a fault at every stride-th ODBC call of a Grizzly upgrade with data leaves a step boundary, "
    "and the next upgrade converges",
    "[postgresql][fault_injection]") {
    check_faults(Backend::postgresql, Operation::upgrade);
}
TEST_CASE(
    "postgresql: a fault at every stride-th ODBC call of a Grizzly downgrade with data leaves a step "
    "boundary, and the next upgrade converges",
    "[postgresql][fault_injection]") {
    check_faults(Backend::postgresql, Operation::downgrade);
}
