// The migration-host command line, run as a real process: help, usage errors, exit codes, defaults, connection failures.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <regex>

#include "cinder_scenarios.hpp"
#include "host_process.hpp"
#include "test_database.hpp"

#ifndef TEST_PLUGIN_ROOT
#error "TEST_PLUGIN_ROOT must be defined by the build"
#endif

using namespace test_support;
namespace fs = std::filesystem;

namespace {

// One line on stderr, prefixed as the README documents.
void check_one_line_error(const ProcessResult& result, const std::string& cause) {
    INFO(result.all());
    CHECK(line_count(result.err) == 1);
    CHECK(result.err.rfind("migration-host: error: ", 0) == 0);
    CHECK(result.err.find(cause) != std::string::npos);
}

ProcessResult run_in_sqlite(const std::vector<std::string>& arguments, const std::string& plugin_dir = CINDER_PLUGIN_DIR) {
    const auto db = TestDatabase::create(Backend::sqlite);
    std::vector<std::string> all{"--dsn", db->connection_string(), "--plugin-path", plugin_dir};
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

}  // namespace

TEST_CASE("--help and --version print to stdout and exit 0", "[cli]") {
    const auto help = run_host({"--help"});
    CHECK(help.exit_code == 0);
    CHECK(help.out.find("Usage: migration-host") != std::string::npos);
    CHECK(help.out.find("Exit codes") != std::string::npos);
    for (const std::string command : {"plugins", "status", "upgrade", "downgrade"}) {
        const auto command_help = run_host({command, "--help"});
        INFO(command);
        CHECK(command_help.exit_code == 0);
        CHECK(command_help.out.find("Usage: migration-host [global options] " + command) != std::string::npos);
    }
    const auto version = run_host({"--version"});
    CHECK(version.exit_code == 0);
    CHECK(std::regex_search(version.out, std::regex(R"(^migration-host \d+\.\d+\.\d+ \(plugin ABI 1\.1\))")));
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

TEST_CASE("a malformed TRACK@VERSION exits 2 and touches no database", "[cli][sqlite]") {
    for (const std::string bad : {"cinder", "cinder@", "cinder@x", "cinder@-1", "Cinder@1", "@1", "cinder@1@2"}) {
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
    check_one_line_error(wrong_abi, "wrong_abi.so: incompatible ABI: plugin built for 2.0, this host speaks 1.2");
    const auto listing = run_host({"--plugin-path", TEST_PLUGIN_ROOT "/wrong_abi", "plugins"});
    CHECK(listing.exit_code == 4);
    CHECK(listing.out.find("unusable: ") != std::string::npos);
}

TEST_CASE("skip-broken-plugins warns about unusable libraries and goes on", "[cli][sqlite]") {
    const auto db = TestDatabase::create(Backend::sqlite);
    const auto result = run_host({"--dsn", db->connection_string(), "--plugin-path", TEST_PLUGIN_ROOT "/not_a_plugin",
                                  "--plugin-path", CINDER_PLUGIN_DIR, "--skip-broken-plugins", "upgrade"});
    INFO(result.all());
    CHECK(result.exit_code == 0);
    CHECK(result.err.find("skipping") != std::string::npos);
    CHECK(db->version_of("cinder") == 1);
}

TEST_CASE("a DSN or driver that does not exist exits 3 with the driver manager's reason", "[cli]") {
    const auto driver = run_host({"--dsn", "DRIVER={No Such Driver};DATABASE=x", "--plugin-path", CINDER_PLUGIN_DIR, "status"});
    CHECK(driver.exit_code == 3);
    check_one_line_error(driver, "No Such Driver");
    const auto dsn = run_host({"--dsn", "no_such_dsn", "--plugin-path", CINDER_PLUGIN_DIR, "status"});
    CHECK(dsn.exit_code == 3);
    check_one_line_error(dsn, "cannot connect to DSN=no_such_dsn");
    // The environment variable is the same as --dsn.
    const auto from_env = run_host(HostRun{{"--plugin-path", CINDER_PLUGIN_DIR, "status"}, {{"MIGRATION_HOST_DSN", "no_such_dsn"}}, {}});
    CHECK(from_env.exit_code == 3);
}

TEST_CASE("a server that does not answer exits 3 after the connect timeout, without the password", "[cli]") {
    const SilentListener silent;
    const std::string secret = "Silent-Pa55word";
    for (const std::string driver : {"MariaDB Unicode", "PostgreSQL Unicode"}) {
        INFO(driver);
        const auto result = run_host({"--dsn",
                                      "DRIVER={" + driver + "};SERVER=127.0.0.1;PORT=" + std::to_string(silent.port()) +
                                          ";UID=u;PWD=" + secret + ";DATABASE=d",
                                      "--connect-timeout", "2", "--plugin-path", CINDER_PLUGIN_DIR, "status"});
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
        const auto result = run_host({"--dsn", connection, "--log-level", level, "--plugin-path", CINDER_PLUGIN_DIR,
                                      "upgrade"});
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
