// What the host shows of another session's statement: one line, bounded, no literal.
// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <string>

#include "database/session_waits.hpp"

using migration_host::statement_without_literals;

TEST_CASE("session waits: a blocker's statement shows no literal, however quoted", "[watch]") {
    CHECK(statement_without_literals("ALTER USER app PASSWORD 'hunter2'") == "ALTER USER app PASSWORD ?");
    // A doubled quote inside a literal, and MySQL's backslash escape and double-quoted literal.
    CHECK(statement_without_literals("SET PASSWORD = 'it''s me'") == "SET PASSWORD = ??");
    CHECK(statement_without_literals(R"(SELECT 'a\'b secret', "c\"d secret" FROM t)") == "SELECT ?, ? FROM t");
    // An unterminated literal hides the rest.
    CHECK(statement_without_literals("INSERT INTO t VALUES ('secret") == "INSERT INTO t VALUES (?");
}

TEST_CASE("session waits: a blocker's statement on one line, cut at the limit", "[watch]") {
    CHECK(statement_without_literals("  UPDATE t\n\tSET n = 1\r\n WHERE id = 2  ") ==
          "UPDATE t SET n = 1 WHERE id = 2");
    CHECK(statement_without_literals("SELECT 1234567890", 10) == "SELECT 123...");
}
