// The ODBC layer on a real SQLite database: statements, parameters, NULLs, diagnostics, transactions.
// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <filesystem>

#include "database/database.hpp"
#include "database/odbc.hpp"
#include "test_database.hpp"

using namespace migration_host;
using test_support::Backend;
using test_support::TestDatabase;

TEST_CASE("statements run with bound parameters and rows come back with NULLs", "[sqlite][odbc]") {
    const auto db = TestDatabase::create(Backend::sqlite);
    odbc::Connection connection(test_support::odbc_environment(), db->connection_string(), 5);
    connection.execute("CREATE TABLE t (id INTEGER, name TEXT)");
    CHECK(connection.execute("INSERT INTO t VALUES (?, ?)", {std::int64_t{1}, std::string("one")}) == 1);
    CHECK(connection.execute("INSERT INTO t VALUES (?, ?)", {std::int64_t{2}, std::monostate{}}) == 1);
    const std::string long_text(5000, 'x');  // longer than one SQLGetData chunk
    connection.execute("INSERT INTO t VALUES (3, ?)", {long_text});
    const auto rows = connection.query("SELECT id, name FROM t ORDER BY id");
    REQUIRE(rows.size() == 3);
    CHECK(rows[0][1] == std::optional<std::string>("one"));
    CHECK_FALSE(rows[1][1].has_value());
    CHECK(rows[2][1] == std::optional<std::string>(long_text));
    CHECK(connection.execute("UPDATE t SET name = 'x' WHERE id = 99") == 0);
}

TEST_CASE("a failing statement yields SQLSTATE and the driver's message", "[sqlite][odbc]") {
    const auto db = TestDatabase::create(Backend::sqlite);
    odbc::Connection connection(test_support::odbc_environment(), db->connection_string(), 5);
    const auto result = connection.try_execute("SELECT * FROM no_such_table");
    const auto* diagnostic = std::get_if<odbc::Diagnostic>(&result);
    REQUIRE(diagnostic != nullptr);
    CHECK(diagnostic->sqlstate.size() == 5);
    CHECK(diagnostic->message.find("no_such_table") != std::string::npos);
    CHECK_THROWS_AS(connection.execute("SELECT * FROM no_such_table"), odbc::Error);
}

TEST_CASE("a transaction rolls back unless committed", "[sqlite][odbc]") {
    const auto db = TestDatabase::create(Backend::sqlite);
    odbc::Connection connection(test_support::odbc_environment(), db->connection_string(), 5);
    connection.execute("CREATE TABLE t (id INTEGER)");
    {
        odbc::Transaction transaction(connection);
        connection.execute("INSERT INTO t VALUES (1)");
        connection.execute("CREATE TABLE u (id INTEGER)");  // DDL is transactional in SQLite
    }
    CHECK(connection.query("SELECT id FROM t").empty());
    CHECK(db->query("SELECT name FROM sqlite_master WHERE name = 'u'").empty());
    {
        odbc::Transaction transaction(connection);
        connection.execute("INSERT INTO t VALUES (2)");
        transaction.commit();
    }
    CHECK(db->query("SELECT id FROM t").size() == 1);
}

TEST_CASE("the dialect comes from the driver's DBMS name", "[sqlite][odbc]") {
    const auto db = TestDatabase::create(Backend::sqlite);
    odbc::Connection connection(test_support::odbc_environment(), db->connection_string(), 5);
    const auto info = describe_database(connection);
    CHECK(info.dialect == migration_host::schema::Dialect::sqlite);
    CHECK_FALSE(info.dbms_version.empty());
}

TEST_CASE("a connection string ODBC cannot carry is refused, never cut short", "[sqlite][odbc]") {
    const auto dir = test_support::make_temp_dir("mh-odbc-long");
    // Cut to its first 12 bytes (what 65548 once became as an SQLSMALLINT), this would open dir/a.
    const std::string prefix = "DRIVER=SQLite3;DATABASE=" + dir + "/a";
    for (const std::size_t size : {odbc::max_connection_string_bytes + 1, std::size_t{65536} + prefix.size()}) {
        INFO(size);
        const std::string connection = prefix + std::string(size - prefix.size(), 'x');
        try {
            odbc::Connection refused(test_support::odbc_environment(), connection, 5);
            FAIL("connected with a " << size << "-byte connection string");
        } catch (const odbc::Error& error) {
            CHECK(error.diagnostic().sqlstate == "HY090");
            CHECK(std::string(error.what()).find("longer than ODBC can carry (32767 bytes)") != std::string::npos);
        }
    }
    const std::string with_nul = prefix + std::string(1, '\0') + "b";
    CHECK_THROWS_AS(odbc::Connection(test_support::odbc_environment(), with_nul, 5), odbc::Error);
    CHECK(std::filesystem::is_empty(dir));
    std::filesystem::remove_all(dir);
}
