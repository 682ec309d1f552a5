// ConnectionTarget: a connection string parsed once, its attributes, its driver, and the copies the host derives.
// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <string>

#include "database/connection_target.hpp"
#include "exit_codes.hpp"

using migration_host::ConnectionTarget;
using migration_host::DriverKind;

TEST_CASE("a DSN name becomes DSN=name, a connection string stays as written", "[connection_target]") {
    CHECK(ConnectionTarget::parse("cinder").connection_string() == "DSN=cinder");
    CHECK(ConnectionTarget::parse("cinder").dsn_name() == std::optional<std::string>("cinder"));
    const auto target = ConnectionTarget::parse("DRIVER={PostgreSQL Unicode};Servername=127.0.0.1;Database=mine");
    CHECK(target.connection_string() == "DRIVER={PostgreSQL Unicode};Servername=127.0.0.1;Database=mine");
    CHECK_FALSE(target.dsn_name());
    CHECK(target.driver() == DriverKind::postgresql);
    CHECK(ConnectionTarget::parse("DRIVER=SQLite3;DATABASE=/x").driver() == DriverKind::sqlite3);
    CHECK(ConnectionTarget::parse("DRIVER={MariaDB Unicode};SERVER=h").driver() == DriverKind::mariadb);
    CHECK(ConnectionTarget::parse("DRIVER={Some Other};SERVER=h").driver() == DriverKind::other);
}

TEST_CASE("attributes are found in any case, braces removed, the first of a repeated key counting",
          "[connection_target]") {
    const auto target = ConnectionTarget::parse("Driver=SQLite3; database = {/a;b} ;DATABASE=/c;PWD={x}}y}");
    CHECK(target.attribute("DATABASE") == std::optional<std::string>("/a;b"));
    CHECK(target.attribute("pwd") == std::optional<std::string>("x}y"));
    CHECK_FALSE(target.attribute("Port"));
    CHECK(target.sqlite_database_file() == std::optional<std::string>("/a;b"));
    CHECK_FALSE(ConnectionTarget::parse("DRIVER={PostgreSQL Unicode};Database=x").sqlite_database_file());
}

TEST_CASE("a derived connection string keeps every attribute but DATABASE, whatever its case", "[connection_target]") {
    const auto with = [](const char* text, const char* database) {
        return ConnectionTarget::parse(text).with_database(database).connection_string();
    };
    CHECK(with("DRIVER=SQLite3;Database=/srv/live.sqlite;FKSupport=1", "/tmp/x/expected.sqlite") ==
          "DRIVER=SQLite3;FKSupport=1;DATABASE=/tmp/x/expected.sqlite");
    CHECK(with("DSN=cinder", "/tmp/e.sqlite") == "DSN=cinder;DATABASE=/tmp/e.sqlite");
    CHECK(with(" database = /a ;DRIVER=SQLite3;", "/b") == "DRIVER=SQLite3;DATABASE=/b");
    // A braced value may hold ';' and text that looks like another attribute: it is one value, kept whole.
    CHECK(with("DRIVER={My;Driver};PWD={x;DATABASE=y}};z};DATABASE=/a", "/b") ==
          "DRIVER={My;Driver};PWD={x;DATABASE=y}};z};DATABASE=/b");
}

TEST_CASE("a password is appended braced, so that any character in it stays in it", "[connection_target]") {
    const auto target = ConnectionTarget::parse("DSN=cinder").with_password("a;b}c={d");
    CHECK(target.connection_string() == "DSN=cinder;PWD={a;b}}c={d}");
    CHECK(target.attribute("PWD") == std::optional<std::string>("a;b}c={d"));
    CHECK(target.redacted().find("a;b") == std::string::npos);
    CHECK(ConnectionTarget::parse("DSN=x;").with_password("p").connection_string() == "DSN=x;PWD={p}");
}

TEST_CASE("a connection string ODBC cannot carry is a usage error that never quotes it", "[connection_target]") {
    const std::string too_long = "DSN=" + std::string(40000, 'a');
    try {
        ConnectionTarget::parse(too_long);
        FAIL("accepted a connection string of 40004 bytes");
    } catch (const migration_host::HostError& error) {
        CHECK(error.code() == migration_host::ExitCode::usage);
        CHECK(std::string(error.what()).find("aaaa") == std::string::npos);
    }
    CHECK_THROWS_AS(ConnectionTarget::parse(std::string("DSN=a\0b", 7)), migration_host::HostError);
}
