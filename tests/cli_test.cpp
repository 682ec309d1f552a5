// The migration-host command line, run as a real process: help, usage errors, exit codes, defaults, connection failures.
// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <migration_host/plugin.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <regex>
#include <sstream>
#include <thread>

#include "cinder_scenarios.hpp"
#include "host_process.hpp"
#include "test_database.hpp"

#ifndef TEST_PLUGIN_ROOT
#error "TEST_PLUGIN_ROOT must be defined by the build"
#endif

using namespace test_support;
namespace fs = std::filesystem;

namespace {

ProcessResult run_in_sqlite(const std::vector<std::string>& arguments, const std::string& plugin_dir = CINDER_PLUGIN_DIR) {
    const auto db = TestDatabase::create(Backend::sqlite);
    std::vector<std::string> all{"--dsn", db->connection_string(), "--no-default-plugins", "--plugin-path", plugin_dir};
    all.insert(all.end(), arguments.begin(), arguments.end());
    return run_host(all);
}

// A TCP port that accepts connections (the kernel completes the handshake)
// but never says anything: a server that does not answer.
class SilentListener {
public:
    SilentListener() {
        fd_ = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
        REQUIRE(listen(fd_, 16) == 0);
        socklen_t length = sizeof(address);
        getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
        port_ = ntohs(address.sin_port);
    }
    ~SilentListener() { close(fd_); }
    int port() const { return port_; }

private:
    int fd_ = -1;
    int port_ = 0;
};

// A TCP port nobody listens on while this object lives (bound, never
// listened on): a connection to it is refused at once.
class ClosedPort {
public:
    ClosedPort() {
        fd_ = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
        socklen_t length = sizeof(address);
        getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
        port_ = ntohs(address.sin_port);
    }
    ~ClosedPort() { close(fd_); }
    int port() const { return port_; }

private:
    int fd_ = -1;
    int port_ = 0;
};

// Nothing was written: no table at all (not even migrate_version).
void check_sqlite_untouched(const TestDatabase& db) {
    CHECK(db.query("SELECT name FROM sqlite_master").empty());
}

}  // namespace

// Named so that it does not start with "--", which Catch would take for one of its own options under CTest.
TEST_CASE("help and version: --help and --version print to stdout and exit 0", "[cli]") {
    const auto help = run_host({"--help"});
    CHECK(help.exit_code == 0);
    CHECK(help.out.find("Usage: migration-host") != std::string::npos);
    CHECK(help.out.find("Exit codes") != std::string::npos);
    for (const std::string command : {"plugins", "status", "upgrade", "downgrade"}) {
        const auto command_help = run_host({command, "--help"});
        INFO(command);
        CHECK(command_help.exit_code == 0);
        CHECK(command_help.out.find("Usage: migration-host [global options] " + command) != std::string::npos);
        // Each option with the variable that also sets it, how the configuration is found, and the exit codes.
        CHECK(std::regex_search(command_help.out, std::regex("\n +env MIGRATION_HOST_LOG_LEVEL\n")));
        CHECK(command_help.out.find("--config FILE") != std::string::npos);
        CHECK(command_help.out.find("./migration-host.ini") != std::string::npos);
        CHECK(command_help.out.find("Exit codes: 0 success") != std::string::npos);
        if (command != "status") CHECK(command_help.out.find("\n  --check ") == std::string::npos);  // status's own
    }
    const auto status_help = run_host({"status", "--help"}).out;
    CHECK(status_help.find("\n  --check ") != std::string::npos);
    CHECK(status_help.find("env MIGRATION_HOST_DSN\n") != std::string::npos);
    const auto version = run_host({"--version"});
    CHECK(version.exit_code == 0);
    CHECK(std::regex_search(version.out, std::regex(R"(^migration-host \d+\.\d+\.\d+ \(plugin ABI )" +
                                                    std::to_string(MH_ABI_VERSION_MAJOR) + "\\." +
                                                    std::to_string(MH_ABI_VERSION_MINOR) + R"(\))")));
}

TEST_CASE("usage errors exit 2 with a one-line cause", "[cli]") {
    check_one_line_error(run_host(std::vector<std::string>{}), "no command given");
    const auto unknown = run_host({"frobnicate"});
    CHECK(unknown.exit_code == 2);
    check_one_line_error(unknown, "unknown command 'frobnicate'");
    const auto option = run_host({"--no-such-option", "status"});
    CHECK(option.exit_code == 2);
    check_one_line_error(option, "no-such-option");
    const auto level = run_host({"--log-level", "loud", "status"});
    CHECK(level.exit_code == 2);
    check_one_line_error(level, "invalid --log-level 'loud'");
    const auto missing = run_host({"downgrade"});
    CHECK(missing.exit_code == 2);
    check_one_line_error(missing, "downgrade needs TRACK@VERSION");
    const auto extra = run_host({"status", "cinder"});
    CHECK(extra.exit_code == 2);
    check_one_line_error(extra, "status takes no arguments");
}

// Found by the command_line fuzzer: Boost.Program_options' message for an option whose own text holds one of its
// placeholders never finished building, and the host hung before saying anything.
TEST_CASE("an option that holds a Boost message placeholder exits 2 instead of hanging", "[cli]") {
    for (const std::string option : {"--x%canonical_option%", "--statement-tim%canonical_option%ei", "--%option%",
                                     "--%original_token%=1", "--%prefix%%value%"}) {
        INFO(option);
        const auto result = run_host({option, "status"});
        CHECK(result.exit_code == 2);
        check_one_line_error(result, "unrecognised option '");
    }
}

TEST_CASE("a malformed TRACK@VERSION exits 2 and touches no database", "[cli][sqlite]") {
    for (const std::string bad : {"cinder", "cinder@", "cinder@x", "cinder@+1", "Cinder@1", "@1", "cinder@1@2"}) {
        INFO(bad);
        const auto result = run_in_sqlite({"downgrade", bad});
        CHECK(result.exit_code == 2);
        check_one_line_error(result, "invalid downgrade target '" + bad + "'");
    }
    for (const std::string bad : {"cinder@", "cinder@1.5", "CINDER", "cinder@-2"}) {
        INFO(bad);
        const auto result = run_in_sqlite({"upgrade", bad});
        CHECK(result.exit_code == 2);
        check_one_line_error(result, "invalid upgrade target '" + bad + "'");
    }
}

TEST_CASE("an unknown track or version exits 4 and changes nothing", "[cli][sqlite]") {
    const auto db = TestDatabase::create(Backend::sqlite);
    const auto track = run_cinder(*db, {"upgrade", "nova"});
    CHECK(track.exit_code == 4);
    check_one_line_error(track, "unknown track 'nova' (loaded plugins provide: cinder)");
    const auto version = run_cinder(*db, {"upgrade", "cinder@7"});
    CHECK(version.exit_code == 4);
    check_one_line_error(version, "cinder@7 does not exist: the latest version of cinder is 1");
    const auto downgrade = run_cinder(*db, {"downgrade", "cinder@3"});
    CHECK(downgrade.exit_code == 4);
    // Nothing was written: not even migrate_version.
    CHECK_FALSE(db->version_of("cinder").has_value());
    CHECK(db->query("SELECT name FROM sqlite_master").empty());
}

TEST_CASE("a directory with a non-plugin library or a wrong-ABI plugin exits 4 naming the library", "[cli][sqlite]") {
    const auto not_plugin = run_in_sqlite({"upgrade"}, TEST_PLUGIN_ROOT "/not_a_plugin");
    CHECK(not_plugin.exit_code == 4);
    check_one_line_error(not_plugin, "not_a_plugin.so: not a migration-host plugin: no exported symbol "
                                     "migration_host_plugin_entry");
    const auto wrong_abi = run_in_sqlite({"status"}, TEST_PLUGIN_ROOT "/wrong_abi");
    CHECK(wrong_abi.exit_code == 4);
    check_one_line_error(wrong_abi, "wrong_abi.so: incompatible ABI: plugin built for 2.0, this host speaks 1." +
                                         std::to_string(MH_ABI_VERSION_MINOR));
    const auto listing = run_host({"--no-default-plugins", "--plugin-path", TEST_PLUGIN_ROOT "/wrong_abi", "plugins"});
    CHECK(listing.exit_code == 4);
    CHECK(listing.out.find("unusable: ") != std::string::npos);
}

TEST_CASE("skip-broken-plugins warns about unusable libraries and goes on", "[cli][sqlite]") {
    const auto db = TestDatabase::create(Backend::sqlite);
    const auto result = run_host({"--dsn", db->connection_string(), "--no-default-plugins", "--plugin-path",
                                  TEST_PLUGIN_ROOT "/not_a_plugin", "--plugin-path", CINDER_PLUGIN_DIR,
                                  "--skip-broken-plugins", "upgrade"});
    INFO(result.all());
    CHECK(result.exit_code == 0);
    CHECK(result.err.find("skipping") != std::string::npos);
    CHECK(db->version_of("cinder") == 1);
}

TEST_CASE("a DSN or driver that does not exist exits 3 with the driver manager's reason", "[cli]") {
    const auto driver = run_host({"--dsn", "DRIVER={No Such Driver};DATABASE=x", "--no-default-plugins",
                                  "--plugin-path", CINDER_PLUGIN_DIR, "status"});
    CHECK(driver.exit_code == 3);
    check_one_line_error(driver, "No Such Driver");
    const auto dsn =
        run_host({"--dsn", "no_such_dsn", "--no-default-plugins", "--plugin-path", CINDER_PLUGIN_DIR, "status"});
    CHECK(dsn.exit_code == 3);
    check_one_line_error(dsn, "cannot connect to DSN=no_such_dsn");
    // The environment variable is the same as --dsn.
    const auto from_env = run_host(HostRun{{"--no-default-plugins", "--plugin-path", CINDER_PLUGIN_DIR, "status"},
                                           {{"MIGRATION_HOST_DSN", "no_such_dsn"}},
                                           {}});
    CHECK(from_env.exit_code == 3);
}

TEST_CASE("a server that does not answer exits 3 after the connect timeout, without the password", "[cli]") {
    const SilentListener silent;
    const std::string secret = "Silent-Pa55word";
    for (const std::string driver : {"MariaDB Unicode", "PostgreSQL Unicode"}) {
        INFO(driver);
        const auto result =
            run_host({"--dsn",
                      "DRIVER={" + driver + "};SERVER=127.0.0.1;PORT=" + std::to_string(silent.port()) +
                          ";UID=u;PWD=" + secret + ";DATABASE=d",
                      "--connect-timeout", "2", "--no-default-plugins", "--plugin-path", CINDER_PLUGIN_DIR, "status"});
        CHECK(result.exit_code == 3);
        check_one_line_error(result, "cannot connect to DRIVER={" + driver + "}");
        CHECK(result.all().find(secret) == std::string::npos);
    }
}

TEST_CASE("with no --dsn the host uses migration-host.sqlite in the current directory and its own plugins", "[cli][sqlite]") {
    const auto dir = make_temp_dir("mh-default");
    const auto upgrade = run_host(HostRun{{"upgrade"}, {}, dir});
    INFO(upgrade.all());
    CHECK(upgrade.exit_code == 0);
    CHECK(upgrade.out.find("Upgraded cinder 0 -> 1") != std::string::npos);
    CHECK(fs::exists(fs::path(dir) / "migration-host.sqlite"));
    const auto status = run_host(HostRun{{"status"}, {}, dir});
    CHECK(status.exit_code == 0);
    CHECK(status.out.find("SQLite") != std::string::npos);
    const auto plugins = run_host(HostRun{{"plugins"}, {}, dir});
    CHECK(plugins.exit_code == 0);
    CHECK(plugins.out.find("cinder@1 001_cinder_init") != std::string::npos);
    fs::remove_all(dir);
}

namespace {

void check_wrong_password(Backend backend) {
    const auto server = test_server(backend);
    if (!server) return;
    const std::string wrong = "Wr0ng-Pa55word-" + std::to_string(getpid());
    const std::string real = std::regex_replace(*server, std::regex(".*PWD=([^;]*).*"), "$1");
    const std::string connection = std::regex_replace(*server, std::regex("PWD=[^;]*"), "PWD=" + wrong) +
                                   (backend == Backend::mysql ? ";DATABASE=mysql" : ";DATABASE=postgres");
    for (const std::string level : {"info", "trace"}) {
        const auto result = run_host({"--dsn", connection, "--log-level", level, "--no-default-plugins",
                                      "--plugin-path", CINDER_PLUGIN_DIR, "upgrade"});
        INFO(result.all());
        CHECK(result.exit_code == 3);
        CHECK(result.err.find("migration-host: error: cannot connect to ") != std::string::npos);
        CHECK(result.err.find("PWD=***") != std::string::npos);
        CHECK(result.all().find(wrong) == std::string::npos);
        CHECK(result.all().find(real) == std::string::npos);
        if (level == "info") CHECK(line_count(result.err) == 1);
    }
}

}  // namespace

TEST_CASE("mysql: a wrong password exits 3 and the password appears nowhere", "[mysql][cli]") {
    check_wrong_password(Backend::mysql);
}

TEST_CASE("postgresql: a wrong password exits 3 and the password appears nowhere", "[postgresql][cli]") {
    check_wrong_password(Backend::postgresql);
}

// --- Numeric options, connection strings and secrets (issue 6) ----------------------------------------------------

TEST_CASE("numeric options outside their documented range exit 2 naming the option and the range", "[cli][sqlite]") {
    struct Range {
        std::string option, min, max, below, above;
    };
    const Range ranges[] = {{"--connect-timeout", "1", "3600", "0", "3601"},
                            {"--lock-timeout", "0", "86400", "", "86401"},
                            {"--statement-timeout", "0", "86400", "", "86401"}};
    for (const auto& range : ranges) {
        std::vector<std::string> bad{range.above, "-1", "-0", "4294967295", "4294967296", "99999999999999999999999",
                                     "",          "+5", " 5", "5 ",         "1.5",        "1e3",
                                     "0x10",      "5s", "abc"};
        if (!range.below.empty()) bad.push_back(range.below);
        for (const auto& value : bad) {
            INFO(range.option << " '" << value << "'");
            const auto db = TestDatabase::create(Backend::sqlite);
            const auto result = run_host({"--dsn", db->connection_string(), "--no-default-plugins", "--plugin-path",
                                          CINDER_PLUGIN_DIR, range.option, value, "upgrade"});
            CHECK(result.exit_code == 2);
            check_one_line_error(result, "invalid " + range.option + " '" + value +
                                             "': expected a whole number of seconds from " + range.min + " to " +
                                             range.max);
            check_sqlite_untouched(*db);
        }
        for (const auto& value : {range.min, range.max}) {
            INFO(range.option << " '" << value << "'");
            const auto result = run_in_sqlite({range.option, value, "status"});
            CHECK(result.exit_code == 0);
        }
    }
    // The help documents each range (Boost wraps its lines: compare with blanks collapsed).
    const auto help = std::regex_replace(run_host({"--help"}).out, std::regex(R"(\s+)"), " ");
    CHECK(help.find("--connect-timeout SECONDS login timeout for the database connection, 1 to 3600 (default 15) "
                    "env MIGRATION_HOST_CONNECT_TIMEOUT") != std::string::npos);
    CHECK(help.find("--lock-timeout SECONDS how long to wait") != std::string::npos);
    CHECK(help.find("0 to 86400 (default 60; 0: do not wait) env MIGRATION_HOST_LOCK_TIMEOUT") != std::string::npos);
    CHECK(help.find("--statement-timeout SECONDS longest any one statement may run") != std::string::npos);
    CHECK(help.find("0 to 86400 (default 0: no limit) env MIGRATION_HOST_STATEMENT_TIMEOUT") != std::string::npos);
}

TEST_CASE("the longest connect timeout does not refuse a healthy database", "[cli][sqlite]") {
    // 4294967295 once wrapped the watchdog's wait to 0 s; the largest accepted value must connect normally.
    const auto result = run_in_sqlite({"--connect-timeout", "3600", "upgrade"});
    INFO(result.all());
    CHECK(result.exit_code == 0);
}

namespace {

// A SQLite connection string of exactly `size` bytes naming `file` (padded with a Description, an ODBC key that
// changes nothing).
std::string sqlite_connection_string_of_size(const std::string& file, std::size_t size) {
    std::string connection = "DRIVER=SQLite3;DATABASE=" + file + ";Description=";
    REQUIRE(connection.size() < size);
    connection.append(size - connection.size(), 'x');
    return connection;
}

}  // namespace

TEST_CASE("a connection string ODBC cannot carry exits 2 before anything is touched", "[cli][sqlite]") {
    const auto dir = make_temp_dir("mh-long-dsn");
    const std::string named = dir + "/named.sqlite";
    // 65536 + n bytes were once cut to n: the driver then opened (and the host migrated) whatever file the first n
    // bytes named. Here that would be dir/n, never named in full anywhere.
    const std::string truncated_prefix = "DRIVER=SQLite3;DATABASE=" + dir + "/n";
    for (const std::size_t size :
         {std::size_t{32768}, std::size_t{65535}, std::size_t{65536} + truncated_prefix.size(), std::size_t{100000}}) {
        INFO(size);
        const std::string connection = size == 65536 + truncated_prefix.size()
                                           ? truncated_prefix + std::string(65536, 'x')
                                           : sqlite_connection_string_of_size(named, size);
        REQUIRE(connection.size() == size);
        const auto from_option =
            run_host({"--dsn", connection, "--no-default-plugins", "--plugin-path", CINDER_PLUGIN_DIR, "upgrade"});
        CHECK(from_option.exit_code == 2);
        check_one_line_error(from_option, "invalid --dsn: the connection string is " + std::to_string(size) +
                                              " bytes long; ODBC carries at most 32767");
        const auto from_environment =
            run_host(HostRun{{"--no-default-plugins", "--plugin-path", CINDER_PLUGIN_DIR, "upgrade"},
                             {{"MIGRATION_HOST_DSN", connection}},
                             {}});
        CHECK(from_environment.exit_code == 2);
        check_one_line_error(from_environment, "invalid MIGRATION_HOST_DSN: the connection string is");
    }
    CHECK(fs::is_empty(dir));
    // The longest string ODBC carries still works.
    const auto longest = run_host({"--dsn", sqlite_connection_string_of_size(named, 32767), "--no-default-plugins",
                                   "--plugin-path", CINDER_PLUGIN_DIR, "upgrade"});
    INFO(longest.all());
    CHECK(longest.exit_code == 0);
    CHECK(fs::exists(named));
    fs::remove_all(dir);
}

namespace {

// The drivers a --dsn can name, each pointed at something that cannot be reached.
std::vector<std::string> unreachable_targets(int closed_port) {
    const std::string server = ";SERVER=127.0.0.1;PORT=" + std::to_string(closed_port);
    return {"DRIVER={MariaDB Unicode}" + server + ";DATABASE=d", "DRIVER={PostgreSQL Unicode}" + server + ";DATABASE=d",
            "DRIVER=SQLite3;DATABASE=/nonexistent-dir-" + std::to_string(getpid()) + "/x.sqlite"};
}

}  // namespace

TEST_CASE("a password that looks redacted is never printed, at any log level", "[cli]") {
    // upgrade, not a read-only command: those refuse the SQLite target's missing file before connecting.
    const ClosedPort closed;
    const std::regex log_line(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \w+ .*)");
    for (const auto& target : unreachable_targets(closed.port())) {
        for (const char after : std::string(":; )}'\"")) {
            const std::string dsn = target + ";UID=cinder;PWD=***" + after + "hunter2";
            INFO(dsn);
            const auto result = run_host({"--dsn", dsn, "--log-level", "debug", "--no-default-plugins", "--plugin-path",
                                          CINDER_PLUGIN_DIR, "upgrade"});
            INFO(result.all());
            CHECK(result.exit_code == 3);
            // Unbraced, ';' ends the password ("***"): "hunter2" is then a key-less attribute, not a secret.
            if (after != ';') CHECK(result.all().find("hunter2") == std::string::npos);
            const std::string printed_end = after == ';' ? "PWD=***;hunter2" : "PWD=***;";
            // The printed connection string ends after the password, and the driver's reason after it survives.
            CHECK(result.err.find(printed_end + ": [") != std::string::npos);
            // Every line is whole: the debug "connecting to" line, which ends with the password, keeps its line end.
            std::istringstream lines(result.err);
            std::size_t connecting_lines = 0;
            for (std::string line; std::getline(lines, line);) {
                INFO(line);
                CHECK((std::regex_match(line, log_line) || line.rfind("migration-host: error: ", 0) == 0));
                if (line.find("connecting to ") != std::string::npos) {
                    ++connecting_lines;
                    CHECK(line.size() >= printed_end.size());
                    CHECK(line.substr(line.size() - std::min(line.size(), printed_end.size())) == printed_end);
                }
            }
            CHECK(connecting_lines == 1);
        }
        const std::string braced = target + ";UID=cinder;PWD={***;hunter2}";
        const auto result = run_host({"--dsn", braced, "--log-level", "trace", "--no-default-plugins", "--plugin-path",
                                      CINDER_PLUGIN_DIR, "upgrade"});
        INFO(result.all());
        CHECK(result.exit_code == 3);
        CHECK(result.all().find("hunter2") == std::string::npos);
    }
}

// --- Statement timeout (issue 6) ------------------------------------------------------------------------------------

namespace {

const std::string long_statement_dir = TEST_PLUGIN_ROOT "/long_statement";

// A step whose query would run for many minutes fails once --statement-timeout has passed, naming the timeout and
// the step; the database is left as a failed step leaves it.
void check_statement_timeout_stops_a_step(Backend backend) {
    const auto db = TestDatabase::create(backend);
    if (!db) return;
    const auto result = run_host({"--dsn", db->connection_string(), "--no-default-plugins", "--plugin-path",
                                  long_statement_dir, "--statement-timeout", "1", "upgrade"});
    INFO(result.all());
    CHECK(result.exit_code == 1);
    // The info lines before it say which step ran; the error is one line naming the step and the timeout.
    CHECK(std::regex_search(
        result.err, std::regex(R"((^|\n)migration-host: error: long_statement@1 \(001_long_statement\) )"
                               R"(failed: [^\n]*statement timeout: stopped after 1 s \(--statement-timeout\))")));
    CHECK(db->version_of("long_statement") == 0);
    const auto outcome = db->scalar("SELECT outcome FROM migration_host_history WHERE track = 'long_statement'");
    CHECK(outcome == std::optional<std::string>("failed"));
    const auto marker =
        db->query(backend == Backend::sqlite ? "SELECT name FROM sqlite_master WHERE name = 'long_statement_marker'"
                                             : "SELECT table_name FROM information_schema.tables WHERE table_name = "
                                               "'long_statement_marker' AND table_schema NOT IN ('pg_catalog', "
                                               "'information_schema')");
    // DDL commits as it goes on MySQL (the track is then dirty, as for any failed step there); elsewhere it is
    // rolled back with the step.
    CHECK(marker.empty() == (backend != Backend::mysql));
}

}  // namespace

TEST_CASE("a statement timeout stops a step whose query runs too long", "[cli][sqlite]") {
    check_statement_timeout_stops_a_step(Backend::sqlite);
}

TEST_CASE("mysql: a statement timeout stops a step whose query runs too long", "[cli][mysql]") {
    check_statement_timeout_stops_a_step(Backend::mysql);
}

TEST_CASE("postgresql: a statement timeout stops a step whose query runs too long", "[cli][postgresql]") {
    check_statement_timeout_stops_a_step(Backend::postgresql);
}

TEST_CASE("mysql: a statement timeout does not cut short the wait for the run lock", "[cli][mysql]") {
    // GET_LOCK is one statement that waits --lock-timeout on its own; the statement timeout must leave it alone.
    const auto db = TestDatabase::create(Backend::mysql);
    if (!db) return;
    const auto dir = make_temp_dir("mh-lock-wait");
    const std::string ready = dir + "/ready";
    BackgroundHost holder(
        HostRun{{"--dsn", db->connection_string(), "--no-default-plugins", "--plugin-path", TEST_PLUGIN_ROOT "/slow",
                 "upgrade"},
                {{"MIGRATION_HOST_TEST_SLEEP_MS", "60000"}, {"MIGRATION_HOST_TEST_READY_FILE", ready}},
                {}});
    // Polls rather than sleeping a fixed time: the contender must come while the holder's step runs.
    while (!fs::exists(ready) && holder.running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    REQUIRE(fs::exists(ready));
    const auto contender_start = std::chrono::steady_clock::now();
    const auto contender =
        run_host({"--dsn", db->connection_string(), "--no-default-plugins", "--plugin-path", TEST_PLUGIN_ROOT "/slow",
                  "--lock-timeout", "3", "--statement-timeout", "1", "upgrade"});
    const std::chrono::duration<double> waited = std::chrono::steady_clock::now() - contender_start;
    INFO(contender.all() << "(waited " << waited.count() << " s)");
    CHECK(contender.exit_code == 11);
    // The wait itself is logged (at info); the error is one line.
    const auto errors = error_lines(contender.err);
    REQUIRE(errors.size() == 1);
    CHECK(errors.front().find("timed out after 3 s waiting for the lock") != std::string::npos);
    // A lower bound, which no slow machine can break: a cancelled GET_LOCK returns NULL, which once passed for a lock
    // timeout after only the statement timeout's 1 s.
    CHECK(waited.count() >= 3.0);
    holder.kill(SIGKILL);
    holder.wait();
    fs::remove_all(dir);
}

namespace {

// Relays TCP connections to a server on 127.0.0.1 until a client sends `trigger` (those bytes are still relayed),
// then freezes: it passes no byte either way and answers no new connection, holding every socket open, as a server
// that stopped mid-statement would. Everything is closed and joined on destruction.
class FreezingProxy {
public:
    FreezingProxy(int target_port, std::string trigger) : target_port_(target_port), trigger_(std::move(trigger)) {
        listener_ = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address = loopback(0);
        REQUIRE(bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
        REQUIRE(listen(listener_, 16) == 0);
        socklen_t length = sizeof(address);
        getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
        port_ = ntohs(address.sin_port);
        acceptor_ = std::thread([this] { accept_loop(); });
    }
    FreezingProxy(const FreezingProxy&) = delete;
    FreezingProxy& operator=(const FreezingProxy&) = delete;
    ~FreezingProxy() {
        stopping_ = true;
        acceptor_.join();
        for (auto& relay : relays_) relay.join();
        for (const int fd : sockets_) close(fd);
        close(listener_);
    }
    int port() const { return port_; }
    bool frozen() const { return frozen_; }

private:
    static sockaddr_in loopback(int port) {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.sin_port = htons(static_cast<std::uint16_t>(port));
        return address;
    }

    void accept_loop() {
        while (!stopping_) {
            pollfd waiting{listener_, POLLIN, 0};
            if (poll(&waiting, 1, 20) <= 0) continue;
            const int client = accept(listener_, nullptr, nullptr);
            if (client < 0) continue;
            std::lock_guard lock(mutex_);
            sockets_.push_back(client);
            if (frozen_) continue;  // accepted by the kernel, never answered
            const int server = socket(AF_INET, SOCK_STREAM, 0);
            sockets_.push_back(server);
            sockaddr_in address = loopback(target_port_);
            if (connect(server, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) continue;
            relays_.emplace_back([this, client, server] { relay(client, server); });
        }
    }

    void relay(int client, int server) {
        std::string recent;  // the client's last bytes, to find the trigger across reads
        std::array<char, 65536> buffer{};
        while (!stopping_) {
            if (frozen_) {
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
                continue;
            }
            std::array<pollfd, 2> ends{{{client, POLLIN, 0}, {server, POLLIN, 0}}};
            if (poll(ends.data(), ends.size(), 20) <= 0) continue;
            for (std::size_t side = 0; side < ends.size(); ++side) {
                if (ends[side].revents == 0 || frozen_) continue;
                const int from = ends[side].fd;
                const int to = side == 0 ? server : client;
                const ssize_t got = read(from, buffer.data(), buffer.size());
                if (got <= 0) return;  // one side closed: the relay ends, the sockets stay until destruction
                if (write(to, buffer.data(), static_cast<std::size_t>(got)) != got) return;
                if (side == 0) {
                    recent = recent.substr(recent.size() > trigger_.size() ? recent.size() - trigger_.size() : 0) +
                             std::string(buffer.data(), static_cast<std::size_t>(got));
                    if (recent.find(trigger_) != std::string::npos) frozen_ = true;
                }
            }
        }
    }

    int target_port_;
    std::string trigger_;
    int listener_ = -1;
    int port_ = 0;
    std::atomic<bool> frozen_{false};
    std::atomic<bool> stopping_{false};
    std::mutex mutex_;
    std::vector<int> sockets_;
    std::vector<std::thread> relays_;
    std::thread acceptor_;
};

// A server that freezes while a step's statement runs answers neither the statement timeout nor the cancellation:
// the host gives it --connect-timeout more, then ends the run with exit 1 and one line naming the timeout.
void check_frozen_server_ends_the_run(Backend backend) {
    const auto db = TestDatabase::create(backend);
    if (!db) return;
    std::smatch port;
    REQUIRE(std::regex_search(db->connection_string(), port, std::regex("PORT=(\\d+)")));
    FreezingProxy proxy(std::stoi(port[1]), backend == Backend::mysql ? "SLEEP(600)" : "pg_sleep(600)");
    const std::string through_proxy =
        std::regex_replace(db->connection_string(), std::regex("PORT=\\d+"), "PORT=" + std::to_string(proxy.port()));
    const auto result = run_host({"--dsn", through_proxy, "--no-default-plugins", "--plugin-path", long_statement_dir,
                                  "--statement-timeout", "1", "--connect-timeout", "2", "upgrade"});
    INFO(result.all());
    CHECK(proxy.frozen());
    CHECK(result.exit_code == 1);
    CHECK(result.err.find("\nmigration-host: error: statement timeout: a statement ran past --statement-timeout "
                          "(1 s) and still had not ended 2 s later (a frozen or unreachable server answers no "
                          "cancellation); giving up on it\n") != std::string::npos);
    CHECK(result.all().find("PWD=") == std::string::npos);
    CHECK(db->version_of("long_statement") == 0);
    if (backend == Backend::mysql) {
        // The frozen session's SLEEP(600) never got the cancellation; end it rather than leave it to the server.
        for (const auto& row : db->query("SELECT id FROM information_schema.processlist WHERE db = ? AND info LIKE "
                                         "'%SLEEP(600)%' AND id <> CONNECTION_ID()",
                                         {db->name()})) {
            db->execute("KILL " + row.at(0).value_or("0"));
        }
    }
}

}  // namespace

TEST_CASE("mysql: a server that freezes mid-statement ends the run after the statement and connect timeouts",
          "[cli][mysql]") {
    check_frozen_server_ends_the_run(Backend::mysql);
}

TEST_CASE("postgresql: a server that freezes mid-statement ends the run after the statement and connect timeouts",
          "[cli][postgresql]") {
    check_frozen_server_ends_the_run(Backend::postgresql);
}
