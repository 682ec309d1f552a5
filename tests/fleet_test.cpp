// Fleet runs (--targets FILE --jobs N): many real databases in one run, each ending as a single run would.
// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cinder_schema_check.hpp"
#include "command_line/fleet.hpp"
#include "database/redact.hpp"
#include "end_state.hpp"
#include "host_process.hpp"
#include "json_schema.hpp"
#include "test_database.hpp"

#ifndef TEST_PLUGIN_ROOT
#error "TEST_PLUGIN_ROOT must be defined by the build"
#endif

using namespace test_support;
using nlohmann::json;

namespace {

const std::string failing_step = TEST_PLUGIN_ROOT "/failing_step";


// The Cinder plugins of the build (cinder to version 9), and only those.
std::vector<std::string> plugin_options() {
    return {"--no-default-plugins", "--plugin-path", CINDER_PLUGIN_DIR, "--plugin-path", GRIZZLY_PLUGIN_DIR};
}

ProcessResult run_fleet(const std::vector<std::string>& arguments,
                        const std::vector<std::string>& plugins = plugin_options()) {
    std::vector<std::string> all = plugins;
    all.insert(all.end(), arguments.begin(), arguments.end());
    return run_host(all);
}

ProcessResult run_single(const TestDatabase& db, const std::vector<std::string>& arguments) {
    return run_host(host_run_on(db.connection_string(), {CINDER_PLUGIN_DIR, GRIZZLY_PLUGIN_DIR}, arguments));
}

std::string write_file(const std::string& directory, const std::string& name, const std::string& text) {
    const auto path = directory + "/" + name;
    std::ofstream(path) << text;
    return path;
}

// What the fleet's text output names the database by (its connection string's short label).
std::string label_of(const TestDatabase& db) {
    return migration_host::connection_string_label(db.connection_string());
}

// How the JSON summary's "target" gives it: the whole connection string, its password redacted.
std::string target_of(const TestDatabase& db) {
    return migration_host::redact_connection_string(db.connection_string());
}

// A local TCP port nobody listens on (bound, then released).
int unused_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    socklen_t length = sizeof address;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    ::close(fd);
    return ntohs(address.sin_port);
}

// The value of the connection string's PWD attribute ("" when none).
std::string password_of(const std::string& connection_string) {
    const auto start = connection_string.find("PWD=");
    if (start == std::string::npos) return "";
    const auto end = connection_string.find(';', start);
    return connection_string.substr(start + 4, end == std::string::npos ? std::string::npos : end - start - 4);
}

// The summary table's row for `label` (the last line that starts with it).
std::string summary_row(const std::string& out, const std::string& label) {
    std::string found;
    std::size_t start = 0;
    while (start < out.size()) {
        const auto end = std::min(out.find('\n', start), out.size());
        const auto line = out.substr(start, end - start);
        if (line.rfind(label + " ", 0) == 0) found = line;
        start = end + 1;
    }
    return found;
}

// The progress line for `label` on stderr ("migration-host: [2/7] LABEL: exit ..."), which carries the whole cause
// that the summary table cuts to its column.
std::string progress_line(const std::string& err, const std::string& label) {
    std::string found;
    std::size_t start = 0;
    while (start < err.size()) {
        const auto end = std::min(err.find('\n', start), err.size());
        const auto line = err.substr(start, end - start);
        if (line.rfind("migration-host: [", 0) == 0 && line.find("] " + label + ": exit ") != std::string::npos) {
            found = line;
        }
        start = end + 1;
    }
    return found;
}

}  // namespace

TEST_CASE("fleet: 32 SQLite, 8 MariaDB and 8 PostgreSQL databases in one upgrade, one unreachable, one dirty",
          "[sqlite][mysql][postgresql][fleet]") {
    std::vector<std::unique_ptr<TestDatabase>> databases;
    for (int i = 0; i < 32; ++i) databases.push_back(TestDatabase::create(Backend::sqlite));
    for (int i = 0; i < 8; ++i) databases.push_back(TestDatabase::create(Backend::mysql));
    for (int i = 0; i < 8; ++i) databases.push_back(TestDatabase::create(Backend::postgresql));
    for (const auto& db : databases) {
        if (!db) return;  // no server (outside CI): already warned
    }
    // What a single run of each kind leaves: the fleet's databases must end the same.
    std::map<Backend, EndState> single_run;
    for (const auto backend : {Backend::sqlite, Backend::mysql, Backend::postgresql}) {
        const auto reference = TestDatabase::create(backend);
        REQUIRE(reference);
        const auto result = run_single(*reference, {"upgrade"});
        INFO(result.all());
        REQUIRE(result.exit_code == 0);
        single_run[backend] = end_state(*reference);
        CHECK(single_run[backend].versions == std::vector<std::string>{"cinder@9"});
    }

    // MariaDB database 0: cinder@2 of another plugin failed there, and MySQL's DDL is not transactional.
    const TestDatabase& dirty = *databases[32];
    {
        const auto failed = run_host(host_run_on(dirty.connection_string(), {CINDER_PLUGIN_DIR, failing_step},
                                                 {"upgrade"}, {{"MIGRATION_HOST_TEST_FAILURE", "status_only"}}));
        INFO(failed.all());
        REQUIRE(failed.exit_code == 1);
    }
    const EndState dirty_before = end_state(dirty);

    const std::string secret = "fleet-secret-pw-7d1c";
    const std::string unreachable = fmt::format(
        "DRIVER={{MariaDB Unicode}};SERVER=127.0.0.1;PORT={};UID=nobody;PWD={};DATABASE=none", unused_port(), secret);
    const auto directory = make_temp_dir("mh-fleet");
    std::string listing = "# the fleet\n\n";
    for (std::size_t i = 0; i < databases.size(); ++i) {
        listing += databases[i]->connection_string() + "\n";
        if (i == 20) listing += "   " + unreachable + "   \n";  // blanks around a line are not part of it
    }
    const auto targets = write_file(directory, "targets", listing);

    const auto result = run_fleet({"--connect-timeout", "5", "upgrade", "--targets", targets, "--jobs", "4"});
    INFO(result.out.substr(0, 20000));
    INFO(result.err.substr(0, 20000));
    // The worst: the dirty database refused (5) outranks the unreachable one (3).
    CHECK(result.exit_code == 5);

    for (std::size_t i = 0; i < databases.size(); ++i) {
        const auto& db = *databases[i];
        if (&db == &dirty) continue;
        INFO("database " << i << ": " << label_of(db));
        CHECK(end_state(db) == single_run[db.backend()]);
        CHECK(contains(summary_row(result.out, label_of(db)), " ok "));
    }
    // The dirty one is left as it was, refused, and named with its cause.
    CHECK(end_state(dirty) == dirty_before);
    const auto dirty_row = summary_row(result.out, label_of(dirty));
    CHECK(contains(dirty_row, "refused"));
    CHECK(contains(dirty_row, "track cinder is dirty"));
    const auto unreachable_label = migration_host::connection_string_label(unreachable);
    const auto unreachable_row = summary_row(result.out, unreachable_label);
    CHECK(contains(unreachable_row, "cannot connect"));
    CHECK(contains(unreachable_row, "   3 "));
    // Progress on stderr: one line per database as it ends, the failures with their cause.
    CHECK(contains(result.err, fmt::format("/49] {}: exit 3 (cannot connect)", unreachable_label)));
    CHECK(contains(result.err, fmt::format("/49] {}: exit 5 (refused) in ", label_of(dirty))));
    CHECK(contains(result.err, "[49/49] "));
    // Each database's own output under its header, in the file's order.
    std::size_t previous = 0;
    for (const auto& db : databases) {
        const auto header = result.out.find("=== " + label_of(*db) + " ===\n");
        REQUIRE(header != std::string::npos);
        CHECK(header >= previous);
        previous = header;
    }
    // Each database's own output under its label: the Database line every writing command starts with, then its steps.
    CHECK(contains(result.out, fmt::format("=== {} ===\nDatabase: ", label_of(*databases[0]))));
    CHECK(contains(result.out, "\nUpgraded cinder 0 -> 1: "));
    // No password anywhere: neither the unreachable one's nor the servers'.
    CHECK_FALSE(contains(result.all(), secret));
    for (const auto& db : databases) {
        const auto password = password_of(db->connection_string());
        if (!password.empty()) CHECK_FALSE(contains(result.all(), password));
    }

    // The read-only commands over a targets file: a few of each kind, all up to date.
    const auto some =
        write_file(directory, "some",
                   databases[0]->connection_string() + "\n" + databases[1]->connection_string() + "\n" +
                       databases[33]->connection_string() + "\n" + databases[40]->connection_string() + "\n");
    const auto status = run_fleet({"status", "--targets", some, "--jobs", "2", "--format", "json"});
    INFO(status.all());
    CHECK(status.exit_code == 0);
    const auto document = parse_fleet_against_schemas(status.out);
    CHECK(document["command"] == "status");
    REQUIRE(document["targets"].size() == 4);
    for (const auto& target : document["targets"]) {
        CHECK(target["exit_code"] == 0);
        CHECK(target["output"]["state"] == "up_to_date");
        CHECK(target["output"]["tracks"][0]["current"] == 9);
    }
    CHECK(document["targets"][2]["target"] == target_of(*databases[33]));
    CHECK(document["targets"][2]["label"] == label_of(*databases[33]));
    CHECK(document["targets"][2]["output"]["database"]["dialect"] == "mysql");

    const auto plan = run_fleet({"plan", "--targets", some, "--format", "json"});
    INFO(plan.all());
    CHECK(plan.exit_code == 0);
    const auto plan_document = parse_fleet_against_schemas(plan.out);
    for (const auto& target : plan_document["targets"]) {
        CHECK(target["exit_code"] == 0);
        CHECK(target["output"]["steps"].empty());
    }
    const auto validate = run_fleet({"validate", "--targets", some, "--jobs", "4"});
    INFO(validate.all());
    CHECK(validate.exit_code == 0);
    CHECK(contains(validate.out, "Fleet summary: validate on 4 databases, 4 at a time"));
    const auto verify = run_fleet({"verify", "--targets", some, "--jobs", "4"});
    INFO(verify.all());
    CHECK(verify.exit_code == 0);
    CHECK(contains(verify.out, "Fleet summary: verify on 4 databases"));

    // status --check: the dirty track (7) outranks a pending one (6).
    const auto fresh = TestDatabase::create(Backend::sqlite);
    const auto attention = write_file(directory, "attention",
                                      fresh->connection_string() + "\n" + dirty.connection_string() + "\n" +
                                          databases[2]->connection_string() + "\n");
    const auto check = run_fleet({"status", "--check", "--targets", attention});
    INFO(check.all());
    CHECK(check.exit_code == 7);
    CHECK(contains(summary_row(check.out, label_of(*fresh)), "pending"));
    CHECK(contains(summary_row(check.out, label_of(dirty)), "dirty"));
    CHECK(contains(summary_row(check.out, label_of(*databases[2])), " ok "));
    std::filesystem::remove_all(directory);
}

TEST_CASE("fleet: status --check ranks unversioned tables (12) below ahead (8), above an unknown track (9) and pending",
          "[sqlite][fleet]") {
    const auto fresh = TestDatabase::create(Backend::sqlite);
    const auto unversioned = TestDatabase::create(Backend::sqlite);
    unversioned->execute("CREATE TABLE volumes (id INTEGER NOT NULL, PRIMARY KEY (id))");
    const auto unknown = TestDatabase::create(Backend::sqlite);
    require_ok(run_single(*unknown, {"upgrade"}));
    unknown->execute(
        "INSERT INTO migrate_version (repository_id, repository_path, version) VALUES ('othertool', "
        "'by hand', 1)");
    const auto ahead = TestDatabase::create(Backend::sqlite);
    require_ok(run_single(*ahead, {"upgrade"}));
    ahead->execute("UPDATE migrate_version SET version = 10 WHERE repository_id = 'cinder'");
    const auto directory = make_temp_dir("mh-fleet");
    const auto some = write_file(directory, "some",
                                 fresh->connection_string() + "\n" + unversioned->connection_string() + "\n" +
                                     unknown->connection_string() + "\n");
    const auto check = run_fleet({"status", "--check", "--targets", some});
    INFO(check.all());
    CHECK(check.exit_code == 12);
    CHECK(contains(summary_row(check.out, label_of(*fresh)), "pending"));
    CHECK(contains(summary_row(check.out, label_of(*unversioned)), "unversioned"));
    CHECK(contains(summary_row(check.out, label_of(*unknown)), "unknown track"));
    const auto all =
        write_file(directory, "all", unversioned->connection_string() + "\n" + ahead->connection_string() + "\n");
    const auto worse = run_fleet({"status", "--check", "--targets", all});
    INFO(worse.all());
    CHECK(worse.exit_code == 8);
    std::filesystem::remove_all(directory);
}

TEST_CASE("fleet: configured targets, DSN names and connection strings, told apart by a documented rule",
          "[sqlite][fleet]") {
    const auto first = TestDatabase::create(Backend::sqlite);
    const auto second = TestDatabase::create(Backend::sqlite);
    const auto directory = make_temp_dir("mh-fleet");
    const auto config = write_file(directory, "mh.ini",
                                   fmt::format("[target.cell1]\ndsn = {}\n\n[target.cell2]\ndsn = {}\n",
                                               first->connection_string(), second->connection_string()));
    const auto targets = write_file(directory, "targets", "cell1\ntarget:cell2\nno_such_dsn_anywhere\n");
    const auto result = run_fleet({"--config", config, "upgrade", "--targets", targets, "--jobs", "3"});
    INFO(result.all());
    CHECK(result.exit_code == 3);
    CHECK(first->version_of("cinder") == 9);
    CHECK(second->version_of("cinder") == 9);
    CHECK(contains(summary_row(result.out, "cell1"), " ok "));
    CHECK(contains(summary_row(result.out, "target:cell2"), " ok "));
    const auto missing = summary_row(result.out, "no_such_dsn_anywhere");
    CHECK(contains(missing, "cannot connect"));
    CHECK(contains(missing, "DSN=no_such_dsn_anywhere"));

    // The plugins are loaded once, by the run, not again by each database's process.
    const auto debug = run_fleet({"--config", config, "--log-level", "debug", "status", "--targets", targets});
    INFO(debug.all());
    std::size_t loads = 0;
    for (auto at = debug.err.find("plugin directory: "); at != std::string::npos;
         at = debug.err.find("plugin directory: ", at + 1)) {
        ++loads;
    }
    CHECK(loads == 2);  // the two --plugin-path directories, once each

    // target: for a section the file does not have is the file's mistake, named with its line.
    const auto unknown = write_file(directory, "unknown", "cell1\n\ntarget:cell3\n");
    const auto refused = run_fleet({"--config", config, "status", "--targets", unknown});
    INFO(refused.all());
    CHECK(refused.exit_code == 2);
    CHECK(contains(refused.err, unknown + " line 3: no [target.cell3] section in " + config));
    std::filesystem::remove_all(directory);
}

TEST_CASE("fleet: a plugin that starts a thread as it loads: each database's run executes the host anew, "
          "16 databases at --jobs 4",
          "[sqlite][fleet]") {
    std::vector<std::unique_ptr<TestDatabase>> databases;
    for (int i = 0; i < 16; ++i) databases.push_back(TestDatabase::create(Backend::sqlite));
    const auto directory = make_temp_dir("mh-fleet-threads");
    // Fifteen connection strings and one configured target (its section names its DSN), the two ways a child is
    // told its database.
    const auto config = write_file(directory, "mh.ini",
                                   fmt::format("[target.last]\ndsn = {}\n", databases.back()->connection_string()));
    std::string listed;
    for (std::size_t i = 0; i + 1 < databases.size(); ++i) listed += databases[i]->connection_string() + "\n";
    listed += "last\n";
    const auto targets = write_file(directory, "targets", listed);

    std::vector<std::string> arguments{"--no-default-plugins", "--plugin-path", TEST_PLUGIN_ROOT "/thread_at_load"};
    for (const std::string argument :
         {"--config", config.c_str(), "--log-level", "debug", "upgrade", "--targets", targets.c_str(), "--jobs", "4"}) {
        arguments.push_back(argument);
    }
    // Forked children would wait forever in the step: ctest's time limit for the test ends such a run.
    const auto result = run_host(HostRun{arguments, {}, std::nullopt});
    INFO(result.all());
    CHECK(result.exit_code == 0);
    CHECK(contains(result.err, "threads after loading the plugins: each database's run executes the host anew"));
    for (const auto& db : databases) CHECK(db->version_of("threaded") == 1);
    // The summary reads as in fork mode, a configured target's row included.
    CHECK(contains(summary_row(result.out, "last"), " ok "));

    // The Cinder plugins start no thread: the same run forks.
    const auto cinder = run_fleet({"--log-level", "debug", "status", "--targets", targets, "--config", config});
    INFO(cinder.all());
    CHECK(contains(cinder.err, "one thread after loading the plugins: each database's run is a fork of this process"));
    std::filesystem::remove_all(directory);
}

TEST_CASE("fleet: a database whose process dies by a signal stops no other, and the run reports it",
          "[sqlite][fleet]") {
    const auto first = TestDatabase::create(Backend::sqlite);
    const auto second = TestDatabase::create(Backend::sqlite);
    const auto directory = make_temp_dir("mh-fleet");
    const auto targets =
        write_file(directory, "targets", first->connection_string() + "\n" + second->connection_string() + "\n");
    const auto result = run_fleet({"upgrade", "--targets", targets, "--jobs", "2"},
                                  {"--no-default-plugins", "--plugin-path", TEST_PLUGIN_ROOT "/bad/step_aborts"});
    INFO(result.all());
    CHECK(result.exit_code == 1);
    for (const auto* db : {first.get(), second.get()}) {
        CHECK(contains(summary_row(result.out, label_of(*db)), "step failed"));
        const auto progress = progress_line(result.err, label_of(*db));
        CHECK(contains(progress, "exit 1 (step failed)"));
        CHECK(contains(progress, fmt::format("ended by signal {}", SIGABRT)));
    }
    CHECK(contains(result.out, "Fleet summary: upgrade on 2 databases, 2 at a time"));
    std::filesystem::remove_all(directory);
}

// upgrade has no JSON of its own: --format json serves the fleet's summary only, and reached every database's own
// upgrade, which refused it (exit 2 for all of them).
TEST_CASE("fleet: upgrade --targets --format json upgrades every database and lists its output lines",
          "[sqlite][fleet]") {
    const auto first = TestDatabase::create(Backend::sqlite);
    const auto second = TestDatabase::create(Backend::sqlite);
    const auto directory = make_temp_dir("mh-fleet");
    const auto targets =
        write_file(directory, "targets", first->connection_string() + "\n" + second->connection_string() + "\n");
    const auto result = run_fleet({"upgrade", "--targets", targets, "--format", "json"});
    INFO(result.all());
    CHECK(result.exit_code == 0);
    const auto document = parse_fleet_against_schemas(result.out);
    REQUIRE(document["targets"].size() == 2);
    for (const auto& target : document["targets"]) {
        CHECK(target["exit_code"] == 0);
        CHECK(contains(target["output_lines"].dump(), "Upgraded cinder 0 -> 1: "));
    }
    CHECK(first->version_of("cinder") == 9);
    CHECK(second->version_of("cinder") == 9);
    std::filesystem::remove_all(directory);
}

TEST_CASE("fleet: usage errors in --targets and --jobs", "[sqlite][fleet]") {
    const auto directory = make_temp_dir("mh-fleet");
    const auto db = TestDatabase::create(Backend::sqlite);
    const auto good = write_file(directory, "good", db->connection_string() + "\n");
    const auto empty = write_file(directory, "empty", "# nothing here\n\n   \n");
    const auto twice =
        write_file(directory, "twice", db->connection_string() + "\n\n" + db->connection_string() + "\n");
    struct Case {
        std::vector<std::string> arguments;
        std::string says;
    };
    const std::vector<Case> cases{
        {{"upgrade", "--targets", directory + "/missing"}, "targets file " + directory + "/missing does not exist"},
        {{"upgrade", "--targets", empty}, "targets file " + empty + " lists no target"},
        {{"upgrade", "--targets", twice}, twice + " line 3 lists the target of line 1 again"},
        {{"upgrade", "--targets", good, "--jobs", "0"}, "invalid --jobs '0': expected a whole number from 1 to 64"},
        {{"upgrade", "--targets", good, "--jobs", "65"}, "invalid --jobs '65'"},
        {{"upgrade", "--targets", good, "--jobs", "-1"}, "invalid --jobs '-1'"},
        {{"status", "--jobs", "2"}, "--jobs needs --targets FILE"},
        {{"history", "--targets", good}, "history does not take --targets"},
        {{"downgrade", "cinder@0", "--targets", good}, "downgrade does not take --targets"},
        {{"inspect", "--jobs", "2"}, "inspect does not take --jobs"},
        {{"--dsn", db->connection_string(), "upgrade", "--targets", good}, "--targets and --dsn"},
    };
    {
        HostRun with_dsn_variable{plugin_options(), {{"MIGRATION_HOST_DSN", db->connection_string()}}, {}};
        with_dsn_variable.arguments.insert(with_dsn_variable.arguments.end(), {"status", "--targets", good});
        const auto result = run_host(with_dsn_variable);
        INFO(result.all());
        CHECK(result.exit_code == 2);
        CHECK(contains(result.err, "--targets and MIGRATION_HOST_DSN"));
    }
    for (const auto& usage : cases) {
        const auto result = run_fleet(usage.arguments);
        INFO(fmt::format("{}", fmt::join(usage.arguments, " ")) << "\n" << result.all());
        CHECK(result.exit_code == 2);
        const auto errors = error_lines(result.err);
        REQUIRE(errors.size() == 1);
        CHECK(contains(errors.front(), usage.says));
        CHECK(result.out.empty());
    }
    // Nothing was run on the database.
    CHECK_FALSE(db->version_of("cinder").has_value());
    std::filesystem::remove_all(directory);
}

// A server that accepts the connection and never answers: the connect watchdog ends that database's process after
// --connect-timeout, and the others go on.
TEST_CASE("fleet: a database whose server never answers is ended by --connect-timeout, the others go on",
          "[sqlite][fleet]") {
    const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(listener >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(listener, 16) == 0);
    socklen_t length = sizeof address;
    REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    const std::string silent =
        fmt::format("DRIVER={{MariaDB Unicode}};SERVER=127.0.0.1;PORT={};UID=u;PWD=Silent-Fleet-Pa55;DATABASE=d",
                    ntohs(address.sin_port));
    const auto db = TestDatabase::create(Backend::sqlite);
    const auto directory = make_temp_dir("mh-fleet");
    const auto targets = write_file(directory, "targets", silent + "\n" + db->connection_string() + "\n");
    const auto result = run_fleet({"--connect-timeout", "1", "upgrade", "--targets", targets, "--jobs", "2"});
    ::close(listener);
    INFO(result.all());
    CHECK(result.exit_code == 3);
    const auto silent_label = migration_host::connection_string_label(silent);
    CHECK(contains(summary_row(result.out, silent_label), "cannot connect"));
    CHECK(contains(progress_line(result.err, silent_label), "no answer from the server within 1 s"));
    CHECK(contains(summary_row(result.out, label_of(*db)), " ok "));
    CHECK(db->version_of("cinder") == 9);
    CHECK_FALSE(contains(result.all(), "Silent-Fleet-Pa55"));
    std::filesystem::remove_all(directory);
}
