// Connection keys: a key the driver would ignore is refused before connecting, in a string and in an odbc.ini DSN.
// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "database/connection_keys.hpp"
#include "database/odbc.hpp"
#include "host_process.hpp"
#include "test_database.hpp"

#ifndef CINDER_PLUGIN_DIR
#error "CINDER_PLUGIN_DIR must be defined by the build"
#endif

using namespace test_support;
using migration_host::DriverKind;
using migration_host::KeyPlace;
namespace fs = std::filesystem;

namespace {

// The value of `key` in a test server's connection string.
std::string key_of(const std::string& connection_string, const std::string& key) {
    std::smatch match;
    REQUIRE(std::regex_search(connection_string, match, std::regex("(^|;)" + key + "=([^;]*)")));
    return match[2].str();
}

// A private directory with an odbc.ini of one DSN, removed at the end of the test.
struct PrivateOdbcIni {
    fs::path root = make_temp_dir("mh-keys");
    fs::path file = root / "odbc.ini";
    explicit PrivateOdbcIni(const std::string& content) { std::ofstream(file) << content; }
    ~PrivateOdbcIni() {
        std::error_code ignored;
        fs::remove_all(root, ignored);
    }
};

// migration_host_history rows in the database `connection_string` reaches (0 without the table).
long long history_rows(const std::string& connection_string) {
    const migration_host::odbc::Environment environment;
    const migration_host::odbc::Connection connection(environment, connection_string, 5);
    const auto exists = connection.query("SELECT to_regclass('public.migration_host_history') IS NOT NULL");
    if (exists.empty() || exists.front().front().value_or("0") == "0") return 0;
    return std::stoll(connection.query("SELECT count(*) FROM migration_host_history").front().front().value_or("0"));
}

}  // namespace

TEST_CASE("the connection-key table: case as the drivers read it, aliases, and the nearest key", "[connect]") {
    using migration_host::is_known_connection_key;
    using migration_host::nearest_connection_key;
    const auto in_string = KeyPlace::connection_string;
    const auto in_ini = KeyPlace::odbc_ini;
    for (const char* key : {"Servername", "server", "Port", "Database", "DB", "DX", "Username", "UID", "Password",
                            "pwd", "sslmode", "CA", "DRIVER", "dsn", "FILEDSN", "SAVEFILE"}) {
        INFO(key);
        CHECK(is_known_connection_key(DriverKind::postgresql, key, in_string) == (std::string(key) != "DB"));
    }
    // getDSNinfo asks odbc.ini for the long names only: "Server=" there is ignored as "Servr=" is.
    CHECK(is_known_connection_key(DriverKind::postgresql, "Servername", in_ini));
    CHECK(is_known_connection_key(DriverKind::postgresql, "Trace", in_ini));
    CHECK_FALSE(is_known_connection_key(DriverKind::postgresql, "server", in_ini));
    CHECK_FALSE(is_known_connection_key(DriverKind::postgresql, "UID", in_ini));
    CHECK(is_known_connection_key(DriverKind::mariadb, "database", in_string));
    CHECK(is_known_connection_key(DriverKind::mariadb, "db", in_ini));
    CHECK_FALSE(is_known_connection_key(DriverKind::mariadb, "Servername2", in_string));
    CHECK(is_known_connection_key(DriverKind::sqlite3, "nocreat", in_string));
    CHECK_FALSE(is_known_connection_key(DriverKind::sqlite3, "Port", in_string));
    CHECK(is_known_connection_key(DriverKind::other, "Anything", in_string));

    CHECK(nearest_connection_key(DriverKind::postgresql, "Databse", in_string) ==
          std::optional<std::string>("Database"));
    CHECK(nearest_connection_key(DriverKind::postgresql, "Servr", in_ini) == std::optional<std::string>("Servername"));
    CHECK(nearest_connection_key(DriverKind::mariadb, "DATABSE", in_string) == std::optional<std::string>("DATABASE"));
    CHECK(nearest_connection_key(DriverKind::sqlite3, "Databse", in_string) == std::optional<std::string>("Database"));
    CHECK_FALSE(nearest_connection_key(DriverKind::sqlite3, "ApplicationName", in_string));
}

TEST_CASE("postgresql: a misspelt connection key (Databse) is refused before connecting, the user's database untouched",
          "[connect][cli][postgresql]") {
    const auto db = TestDatabase::create(Backend::postgresql);
    if (!db) return;
    const std::string& server = db->server_connection_string();
    const std::string user = key_of(server, "UID");
    const std::string keys = "DRIVER={PostgreSQL Unicode};Servername=" + key_of(server, "SERVER") +
                             ";Port=" + key_of(server, "PORT") + ";Username=" + user +
                             ";Password=" + key_of(server, "PWD");
    // psqlODBC ignores "Databse" and connects to the database named after the user, which the test server has.
    const std::string users_database = keys + ";Database=" + user;
    const long long before = history_rows(users_database);

    const std::string typo = keys + ";Databse=" + db->name();
    for (const char* command : {"status", "upgrade"}) {
        INFO(command);
        const auto result = run_host(host_run_on(typo, {CINDER_PLUGIN_DIR}, {command}));
        INFO(result.all());
        CHECK(result.exit_code == 2);
        check_one_line_error(result,
                             "unknown connection key 'Databse' for PostgreSQL Unicode: did you mean 'Database'?");
        CHECK_FALSE(contains(result.all(), key_of(server, "PWD")));
    }
    CHECK(history_rows(users_database) == before);
    CHECK_FALSE(db->scalar("SELECT to_regclass('public.migration_host_history')::text"));

    // Spelt right, the same keys reach the database meant.
    const auto right = run_host(host_run_on(keys + ";Database=" + db->name(), {CINDER_PLUGIN_DIR}, {"upgrade"}));
    require_ok(right);
    CHECK(db->version_of("cinder").has_value());
}

TEST_CASE("postgresql: a misspelt key in the odbc.ini section of a DSN (Servr) is refused before connecting",
          "[connect][cli][dsn][postgresql]") {
    const auto db = TestDatabase::create(Backend::postgresql);
    if (!db) return;
    const std::string& server = db->server_connection_string();
    const PrivateOdbcIni ini("[mh-typo]\nDriver   = PostgreSQL Unicode\nServr    = " + key_of(server, "SERVER") +
                             "\nPort     = " + key_of(server, "PORT") + "\nDatabase = " + db->name() +
                             "\nUsername = " + key_of(server, "UID") + "\nPassword = " + key_of(server, "PWD") + "\n");
    const auto result =
        run_host(host_run_on("mh-typo", {CINDER_PLUGIN_DIR}, {"status"}, {{"ODBCINI", ini.file.string()}}));
    INFO(result.all());
    CHECK(result.exit_code == 2);
    check_one_line_error(result,
                         "unknown connection key 'Servr' in odbc.ini's [mh-typo] for PostgreSQL Unicode: did you "
                         "mean 'Servername'?");
    CHECK_FALSE(contains(result.all(), key_of(server, "PWD")));
}

TEST_CASE("mysql: a misspelt DATABASE key is refused, and a connection with no current database too",
          "[connect][cli][mysql]") {
    const auto db = TestDatabase::create(Backend::mysql);
    if (!db) return;
    const std::string& server = db->server_connection_string();

    const auto typo = run_host(host_run_on(server + ";DATABSE=" + db->name(), {CINDER_PLUGIN_DIR}, {"upgrade"}));
    INFO(typo.all());
    CHECK(typo.exit_code == 2);
    check_one_line_error(typo, "unknown connection key 'DATABSE' for MariaDB Unicode: did you mean 'DATABASE'?");

    // No DATABASE at all: MariaDB connects with none current; every command needs one.
    for (const char* command : {"status", "upgrade", "validate"}) {
        INFO(command);
        const auto none = run_host(host_run_on(server, {CINDER_PLUGIN_DIR}, {command}));
        INFO(none.all());
        CHECK(none.exit_code == 2);
        check_one_line_error(none, "connected with no current database: the connection names none (DATABASE=NAME");
        CHECK_FALSE(contains(none.all(), key_of(server, "PWD")));
    }
    CHECK_FALSE(db->version_of("cinder").has_value());
}

TEST_CASE("sqlite: a misspelt Database key is refused and creates no file, and --allow-connection-key passes a key on",
          "[connect][cli][sqlite]") {
    const auto db = TestDatabase::create(Backend::sqlite);
    if (!db) return;
    const fs::path dir = make_temp_dir("mh-keys");
    const fs::path file = dir / "typo.sqlite";
    HostRun run = host_run_on("DRIVER=SQLite3;Databse=" + file.string(), {CINDER_PLUGIN_DIR}, {"upgrade"});
    run.working_directory = dir.string();
    const auto typo = run_host(run);
    INFO(typo.all());
    CHECK(typo.exit_code == 2);
    check_one_line_error(typo, "unknown connection key 'Databse' for SQLite3: did you mean 'Database'?");
    CHECK(fs::is_empty(dir));
    fs::remove_all(dir);

    // A key the table lacks is refused without a guess, then passed on when the user says so, in any case and from
    // any source.
    const std::string unknown = db->connection_string() + ";ApplicationName=mh";
    const auto refused = run_host(host_run_on(unknown, {CINDER_PLUGIN_DIR}, {"upgrade"}));
    check_one_line_error(refused,
                         "unknown connection key 'ApplicationName' for SQLite3 (the driver would ignore it; "
                         "--allow-connection-key ApplicationName passes it on)");
    CHECK(refused.exit_code == 2);
    const auto allowed =
        run_host(host_run_on(unknown, {CINDER_PLUGIN_DIR}, {"--allow-connection-key", "applicationname", "upgrade"}));
    require_ok(allowed);
    const auto from_environment = run_host(host_run_on(
        unknown, {CINDER_PLUGIN_DIR}, {"status"}, {{"MIGRATION_HOST_ALLOW_CONNECTION_KEY", "Other, APPLICATIONNAME"}}));
    require_ok(from_environment);
    CHECK(db->version_of("cinder").has_value());

    // verify's --scratch-dsn is checked before verify connects to either database (on SQLite it would otherwise be
    // refused for another reason, once connected).
    const auto scratch =
        run_host(host_run_on(db->connection_string(), {CINDER_PLUGIN_DIR},
                             {"--scratch-dsn", "DRIVER=SQLite3;Databse=/nonexistent/scratch.sqlite", "verify"}));
    CHECK(scratch.exit_code == 2);
    check_one_line_error(scratch,
                         "unknown connection key 'Databse' for SQLite3 in --scratch-dsn: did you mean "
                         "'Database'?");
}

TEST_CASE(
    "sqlite: a misspelt key in an odbc.ini DSN section is refused, a driver the host does not know is not checked",
    "[connect][cli][dsn][sqlite]") {
    const auto db = TestDatabase::create(Backend::sqlite);
    if (!db) return;
    const std::string file = key_of(db->connection_string(), "DATABASE");
    const PrivateOdbcIni ini("[mh-typo]\nDriver = SQLite3\nDatabase = " + file +
                             "\nFKSuport = 1\n[mh-right]\n"
                             "Driver = SQLite3\nDescription = right\nDatabase = " +
                             file + "\nFKSupport = 1\n");
    const auto typo =
        run_host(host_run_on("mh-typo", {CINDER_PLUGIN_DIR}, {"upgrade"}, {{"ODBCINI", ini.file.string()}}));
    INFO(typo.all());
    CHECK(typo.exit_code == 2);
    check_one_line_error(typo,
                         "unknown connection key 'FKSuport' in odbc.ini's [mh-typo] for SQLite3: did you mean "
                         "'FKSupport'?");
    const auto right =
        run_host(host_run_on("mh-right", {CINDER_PLUGIN_DIR}, {"upgrade"}, {{"ODBCINI", ini.file.string()}}));
    require_ok(right);

    // A driver the host does not know (here a library path it cannot judge by name) is left to itself, and says so.
    const auto other = run_host(host_run_on("DRIVER=/nonexistent/libother.so;Whatever=1", {CINDER_PLUGIN_DIR},
                                            {"--log-level", "debug", "status"}));
    INFO(other.all());
    CHECK(other.exit_code == 3);
    CHECK(contains(other.err, "connection keys not checked for driver '/nonexistent/libother.so'"));
}
