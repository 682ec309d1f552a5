// The ODBC layer on a real SQLite database: statements, parameters, NULLs, diagnostics, transactions.
#include <catch2/catch.hpp>

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
    CHECK(info.dialect == "sqlite");
    CHECK_FALSE(info.dbms_version.empty());
    CHECK(dialect_for_dbms("MariaDB") == "mysql");
    CHECK(dialect_for_dbms("MySQL") == "mysql");
    CHECK(dialect_for_dbms("PostgreSQL") == "postgresql");
    CHECK(dialect_for_dbms("Oracle") == "oracle");
}
