// The bad-plugin suite: real libraries that break the ABI or misbehave in a step, each run on every backend, the
// SPDX-License-Identifier: Apache-2.0
// database checked after.
#include <fmt/format.h>
#include <catch2/catch.hpp>
#include <migration_host/plugin.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cinder_schema_check.hpp"
#include "host_process.hpp"
#include "test_database.hpp"

#ifndef TEST_PLUGIN_ROOT
#error "TEST_PLUGIN_ROOT must be defined by the build"
#endif

using namespace test_support;

namespace {

// What the host says when an entry function returns NULL: it names the host's own ABI version.
std::string host_abi_refusal() {
    return "the plugin refused this host's ABI " + std::to_string(MH_ABI_VERSION_MAJOR) + "." +
           std::to_string(MH_ABI_VERSION_MINOR);
}

const std::string bad_root = TEST_PLUGIN_ROOT "/bad/";
// A working plugin applied first, so that "as before" means something: track slow at 1, one table, one history row.
const std::string baseline = TEST_PLUGIN_ROOT "/slow";

// What a bad plugin is expected to do to a run.
enum class Outcome {
    refused,        // refused while loading or cataloguing (exit 4): nothing touched
    step_failed,    // the step fails (exit 1) and the failure path runs: rolled back and a "failed" row, or on MySQL
                    // the step's DDL stays and the track is dirty
    process_ended,  // the process ends inside the step: nothing kept and no row, or on MySQL the DDL stays and the
                    // "started" row leaves the track dirty
    ended_offline,  // the process ends while the step is rendered offline, before it runs: nothing touched anywhere
};

// What a process killed by `signal` reports; nullopt where a sanitizer reports a SIGSEGV itself and ends the process
// its own way (then only a failure status is checked).
std::optional<int> killed_by(int signal) {
#if defined(__SANITIZE_ADDRESS__)
    if (signal == SIGSEGV) return std::nullopt;
#endif
    return 128 + signal;
}

struct BadCase {
    std::string name;  // the directory under TEST_PLUGIN_ROOT/bad
    Outcome outcome;
    std::optional<int> exit_code;
    std::vector<std::string> error_says;  // each in the one error line
};

const std::vector<BadCase>& load_cases() {
    static const std::vector<BadCase> cases = {
        {"entry_null", Outcome::refused, 4, {"bad_entry_null.so", host_abi_refusal()}},
        {"entry_throws",
         Outcome::refused,
         4,
         {"bad_entry_throws.so", "the entry function threw an exception: entry exploded"}},
        {"entry_throws_int",
         Outcome::refused,
         4,
         {"bad_entry_throws_int.so", "the entry function threw a non-standard exception (int)"}},
        {"entry_exits",
         Outcome::refused,
         4,
         {"the entry function of ", "bad_entry_exits.so called exit(0)", "before touching the database"}},
        {"wrong_magic", Outcome::refused, 4, {"bad_wrong_magic.so", "not a plugin descriptor (bad magic)"}},
        {"size_zero", Outcome::refused, 4, {"bad_size_zero.so", "the descriptor is too small (0 bytes)"}},
        {"size_small", Outcome::refused, 4, {"bad_size_small.so", "descriptor too small (16 bytes) for ABI 1.0"}},
        {"size_huge",
         Outcome::refused,
         4,
         {"bad_size_huge.so", "the descriptor claims an absurd size (4294967295 bytes"}},
        {"migration_size_zero",
         Outcome::refused,
         4,
         {"bad_migration_size_zero.so", "migration #0 is too small (0 bytes)"}},
        {"migration_size_huge",
         Outcome::refused,
         4,
         {"bad_migration_size_huge.so", "migration #0 claims an absurd size (4294967295 bytes"}},
        {"null_id", Outcome::refused, 4, {"bad_null_id.so", "plugin id is missing"}},
        {"invalid_id", Outcome::refused, 4, {"bad_invalid_id.so", "invalid plugin id 'Bad Plugin'"}},
        {"invalid_utf8_name",
         Outcome::refused,
         4,
         {"bad_invalid_utf8_name.so", "plugin name 'bad \\xff\\xfe name' is not valid UTF-8 text"}},
        {"long_version", Outcome::refused, 4, {"bad_long_version.so", "plugin version is longer than 100 bytes"}},
        {"null_track", Outcome::refused, 4, {"bad_null_track.so", "migration #0 track is missing"}},
        {"invalid_track", Outcome::refused, 4, {"bad_invalid_track.so", "invalid migration #0 track 'Bad/Track'"}},
        {"null_name", Outcome::refused, 4, {"bad_null_name.so", "bad@1 name is missing"}},
        {"escape_name",
         Outcome::refused,
         4,
         {"bad_escape_name.so", "bad@1 name '001_\\x1b[2Jbad' is not valid UTF-8 text without control characters"}},
        {"version_zero", Outcome::refused, 4, {"bad_version_zero.so", "has version 0 (must be > 0)"}},
        {"version_negative", Outcome::refused, 4, {"bad_version_negative.so", "has version -1 (must be > 0)"}},
        {"version_max",
         Outcome::refused,
         4,
         {"bad_version_max.so", "track bad has a gap: version 1 is missing before bad@9223372036854775807"}},
        {"null_upgrade", Outcome::refused, 4, {"bad_null_upgrade.so", "bad@1 has no upgrade function"}},
        {"long_checksum", Outcome::refused, 4, {"bad_long_checksum.so", "bad@1 checksum is longer than 100 bytes"}},
        {"duplicate_id",
         Outcome::refused,
         4,
         {"plugin id bad_duplicate is used by both", "bad_duplicate_id_a.so", "bad_duplicate_id_b.so"}},
    };
    return cases;
}

const std::vector<BadCase>& step_cases() {
    static const std::vector<BadCase> cases = {
        {"step_throws",
         Outcome::step_failed,
         1,
         {"bad@1 (001_bad) failed: the step (in ", "bad_step_throws.so) threw an exception: step exploded"}},
        {"step_throws_int",
         Outcome::step_failed,
         1,
         {"bad@1 (001_bad) failed: the step (in ", "bad_step_throws_int.so) threw a non-standard exception (int)"}},
        {"row_callback_throws",
         Outcome::step_failed,
         1,
         {"bad@1 (001_bad) failed: the step (in ",
          "bad_row_callback_throws.so): its row callback threw an exception: row exploded"}},
        {"step_exits", Outcome::process_ended, 1, {"step bad@1 (001_bad) in ", "bad_step_exits.so called exit(0)"}},
        {"step_quick_exit",
         Outcome::process_ended,
         1,
         {"step bad@1 (001_bad) in ", "bad_step_quick_exit.so called quick_exit()"}},
        {"step_thread_exit",
         Outcome::process_ended,
         1,
         {"step bad@1 (001_bad) in ", "bad_step_thread_exit.so ended the host's thread"}},
        {"step_aborts",
         Outcome::process_ended,
         killed_by(SIGABRT),
         {"step bad@1 (001_bad) in ", "bad_step_aborts.so crashed (SIGABRT)"}},
        {"step_segfaults",
         Outcome::process_ended,
         killed_by(SIGSEGV),
         {"step bad@1 (001_bad) in ", "bad_step_segfaults.so crashed (SIGSEGV)"}},
        {"step_exits_offline",
         Outcome::ended_offline,
         1,
         {"step bad@1 (001_bad) (offline) in ", "bad_step_exits_offline.so called exit(0)",
          "only being rendered offline"}},
    };
    return cases;
}

// What a test compares before and after: every table, every version (a track at 0 counts as absent: the host may add
// a track's row before its first step, outside the step), and every history row.
struct Snapshot {
    std::vector<std::string> tables;
    std::vector<std::string> versions;
    std::vector<std::string> history;
    friend bool operator==(const Snapshot&, const Snapshot&) = default;
};

std::string describe(const Snapshot& snapshot) {
    std::ostringstream out;
    const auto list = [&](const char* what, const std::vector<std::string>& items) {
        out << what << ":";
        for (const auto& item : items) out << " [" << item << "]";
        out << "\n";
    };
    list("tables", snapshot.tables);
    list("versions", snapshot.versions);
    list("history", snapshot.history);
    return out.str();
}

Snapshot snapshot(const TestDatabase& db) {
    Snapshot result;
    result.tables = table_names(db);
    std::sort(result.tables.begin(), result.tables.end());
    for (const auto& row : db.query("SELECT repository_id, version FROM migrate_version ORDER BY repository_id")) {
        if (row[1].value_or("") != "0") result.versions.push_back(row[0].value_or("") + "@" + row[1].value_or("NULL"));
    }
    for (const auto& row :
         db.query("SELECT track, version, direction, outcome FROM migration_host_history ORDER BY id")) {
        result.history.push_back(fmt::format("{}@{} {} {}", row[0].value_or(""), row[1].value_or(""),
                                             row[2].value_or(""), row[3].value_or("")));
    }
    return result;
}

// The database a case should leave, from the one before it.
Snapshot expected_after(const Snapshot& before, const BadCase& bad_case, Backend backend) {
    Snapshot expected = before;
    const bool ddl_stays = backend == Backend::mysql;
    switch (bad_case.outcome) {
        case Outcome::refused:
        case Outcome::ended_offline:
            break;
        case Outcome::step_failed:
            if (ddl_stays) expected.tables.push_back("bad_marker");
            expected.history.push_back("bad@1 upgrade failed");
            break;
        case Outcome::process_ended:
            if (ddl_stays) {
                expected.tables.push_back("bad_marker");
                expected.history.push_back("bad@1 upgrade started");
            }
            break;
    }
    std::sort(expected.tables.begin(), expected.tables.end());
    return expected;
}

// A database with the baseline applied.
std::unique_ptr<TestDatabase> prepared_database(Backend backend) {
    auto db = TestDatabase::create(backend);
    if (!db) return db;
    const auto prepared = run_with(*db, {baseline}, {"upgrade"});
    INFO(prepared.all());
    REQUIRE(prepared.exit_code == 0);
    return db;
}

void run_case(const TestDatabase& db, const BadCase& bad_case) {
    const Backend backend = db.backend();
    INFO("bad plugin " << bad_case.name);
    const Snapshot before = snapshot(db);

    const auto result = run_with(db, {baseline, bad_root + bad_case.name}, {"upgrade"});
    INFO("exit code " << result.exit_code << "\n" << result.all());
    if (bad_case.exit_code) {
        CHECK(result.exit_code == *bad_case.exit_code);
    } else {
        CHECK(result.exit_code != 0);
    }
    const auto errors = error_lines(result.err);
    CHECK(errors.size() == 1);
    const std::string error = errors.empty() ? "" : errors.front();
    for (const auto& part : bad_case.error_says) {
        INFO("expected in the error line: " << part);
        CHECK(error.find(part) != std::string::npos);
    }

    const Snapshot after = snapshot(db);
    const Snapshot expected = expected_after(before, bad_case, backend);
    INFO("expected:\n" << describe(expected) << "found:\n" << describe(after));
    CHECK(after == expected);

    // The database is usable afterwards: the lock is free, and where the step's work stayed the track is dirty.
    const bool dirty = backend == Backend::mysql &&
                       (bad_case.outcome == Outcome::step_failed || bad_case.outcome == Outcome::process_ended);
    if (dirty && bad_case.outcome == Outcome::process_ended) {
        // As after a kill, the next upgrade resumes the step from its journal; the step ends the process again, and
        // the track stays dirty with a second "started" row.
        const auto resumed = run_with(db, {baseline, bad_root + bad_case.name}, {"upgrade"});
        INFO(resumed.all());
        if (bad_case.exit_code) {
            CHECK(resumed.exit_code == *bad_case.exit_code);
        } else {
            CHECK(resumed.exit_code != 0);
        }
        CHECK(resumed.err.find("resuming bad@1 after statement") != std::string::npos);
        Snapshot twice = after;
        twice.history.push_back(after.history.back());
        CHECK(snapshot(db) == twice);
        return;
    }
    if (dirty) {
        const auto refused = run_with(db, {baseline, bad_root + bad_case.name}, {"upgrade"});
        INFO(refused.all());
        CHECK(refused.exit_code == 5);
        CHECK(refused.err.find("track bad is dirty") != std::string::npos);
    } else {
        const auto again = run_with(db, {baseline}, {"upgrade"});
        INFO(again.all());
        CHECK(again.exit_code == 0);
        CHECK(again.out.find("Nothing to do") != std::string::npos);
    }
    CHECK(snapshot(db) == after);
}

// Refusals leave the database as it was, so one database serves them all, checked after each.
void run_load_cases(Backend backend) {
    const auto db = prepared_database(backend);
    if (!db) return;
    for (const auto& bad_case : load_cases()) run_case(*db, bad_case);
}

void run_step_cases(Backend backend) {
    for (const auto& bad_case : step_cases()) {
        const auto db = prepared_database(backend);
        if (!db) return;
        run_case(*db, bad_case);
    }
}

// What stale_context's steps and destructor say on stderr when every call on the kept context was refused.
std::string refused_everywhere(const std::string& when) {
    return "stale_context " + when +
           ": sql_exec 3, sql_exec_params 3, query_run 3, query_run_params 3, rows 0, dialect_name '', dbms_version "
           "'', database_name '', error_last '', odbc_connection NULL";
}

// A plugin that keeps stale@1's context and uses it in stale@2 and again in its library's destructor: every call is
// refused (MH_E_INVALID, "" or NULL, no row callback), a warning names it, and nothing it tried reaches the database.
// The destructor runs when the host unloads the library, or (`at_exit`, a library that cannot be unloaded) when the
// process exits, after the host's logger is gone: the warnings then go straight to stderr.
void check_stale_context(Backend backend, bool at_exit) {
    INFO((at_exit ? "destructor at exit" : "destructor at unload"));
    const auto db = TestDatabase::create(backend);
    if (!db) return;
    const auto result = run_with(
        *db, {at_exit ? TEST_PLUGIN_ROOT "/stale_context_at_exit" : TEST_PLUGIN_ROOT "/stale_context"}, {"upgrade"});
    INFO("exit code " << result.exit_code << "\n" << result.all());
    // stale@2 fails unless all its stale calls were refused.
    CHECK(result.exit_code == 0);
    CHECK(error_lines(result.err).empty());
    CHECK(result.err.find(refused_everywhere("at unload")) != std::string::npos);
    for (const std::string function :
         {"sql_exec", "sql_exec_params", "query_run", "query_run_params", "log_write", "error_set", "dialect_name",
          "dbms_version", "database_name", "error_last", "odbc_connection"}) {
        INFO("expected a warning for " << function);
        const std::string warning = "a plugin called " + function +
                                    " with the context of stale@1 (001_stale_keep), whose step has returned: refused";
        CHECK(result.err.find("warning " + warning) != std::string::npos);  // in stale@2, through the host's log
        if (at_exit) CHECK(result.err.find("migration-host: warning: " + warning) != std::string::npos);
    }
    CHECK_FALSE(result.err.find("a log line from a stale context") != std::string::npos);
    // Only stale@2's own row: none of the stale INSERTs ran, in the step or after it.
    const auto rows = db->query("SELECT id FROM stale_marker ORDER BY id");
    REQUIRE(rows.size() == 1);
    CHECK(rows.front().at(0) == std::optional<std::string>("100"));
    CHECK(snapshot(*db).history == std::vector<std::string>{"stale@1 upgrade succeeded", "stale@2 upgrade succeeded"});
}

}  // namespace

#define BAD_PLUGIN_CASES(backend_tag, backend)                                                              \
    TEST_CASE(backend_tag ": bad plugin libraries are refused by name and the database is untouched",       \
              "[" backend_tag "][bad_plugin]") {                                                            \
        run_load_cases(backend);                                                                            \
    }                                                                                                       \
    TEST_CASE(backend_tag                                                                                   \
              ": steps that throw or exit or crash fail by name and leave the database as before the step", \
              "[" backend_tag "][bad_plugin]") {                                                            \
        run_step_cases(backend);                                                                            \
    }                                                                                                       \
    TEST_CASE(backend_tag ": a context used after its step has returned is refused, never executed",        \
              "[" backend_tag "][bad_plugin]") {                                                            \
        check_stale_context(backend, false);                                                                \
        check_stale_context(backend, true);                                                                 \
    }

BAD_PLUGIN_CASES("sqlite", Backend::sqlite)
BAD_PLUGIN_CASES("mysql", Backend::mysql)
BAD_PLUGIN_CASES("postgresql", Backend::postgresql)

TEST_CASE("the bad-plugin suite covers every bad library that was built", "[bad_plugin]") {
    std::vector<std::string> built, listed;
    for (const auto& entry : std::filesystem::directory_iterator(bad_root)) built.push_back(entry.path().filename());
    for (const auto* cases : {&load_cases(), &step_cases()}) {
        for (const auto& bad_case : *cases) listed.push_back(bad_case.name);
    }
    std::sort(built.begin(), built.end());
    std::sort(listed.begin(), listed.end());
    CHECK(built == listed);
}
