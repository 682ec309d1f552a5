// Dialect: the kind of database, chosen once from the DBMS name, and what the host does differently on each.
// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include "database/dialect.hpp"

using migration_host::Dialect;
using Known = migration_host::schema::Dialect;

TEST_CASE("the dialect comes from the DBMS name the driver reports", "[dialect]") {
    CHECK(Dialect::for_dbms("MariaDB") == Known::mysql);
    CHECK(Dialect::for_dbms("MySQL") == Known::mysql);
    CHECK(Dialect::for_dbms("PostgreSQL") == Known::postgresql);
    CHECK(Dialect::for_dbms("SQLite") == Known::sqlite);
    const Dialect other = Dialect::for_dbms("Oracle");
    CHECK_FALSE(other.known());
    CHECK(other.name() == "oracle");
    CHECK(fmt::format("{}", Dialect(Known::mysql)) == "mysql");
}

TEST_CASE("only the SDK's dialect names name a dialect", "[dialect]") {
    CHECK(Dialect::named("postgresql") == Known::postgresql);
    CHECK_FALSE(Dialect::named("oracle"));
    CHECK_FALSE(Dialect::named("MySQL"));
}

TEST_CASE("each kind has its own traits, another DBMS the portable ones", "[dialect]") {
    CHECK(Dialect(Known::sqlite).transactional_ddl());
    CHECK(Dialect(Known::postgresql).transactional_ddl());
    CHECK_FALSE(Dialect(Known::mysql).transactional_ddl());
    CHECK(Dialect(Known::sqlite).run_lock() == Dialect::RunLockKind::file_lock);
    CHECK(Dialect(Known::mysql).run_lock() == Dialect::RunLockKind::named_lock);
    CHECK(Dialect(Known::postgresql).run_lock() == Dialect::RunLockKind::advisory_lock);
    const Dialect other = Dialect::for_dbms("Firebird");
    CHECK(other.run_lock() == Dialect::RunLockKind::lease);
    CHECK_FALSE(other.transactional_ddl());
    CHECK_FALSE(other.renders_scripts());
    CHECK_FALSE(other.table_exists_query());
    CHECK(Dialect(Known::mysql).quote("a`b") == "`a``b`");
    CHECK(other.quote("a\"b") == "\"a\"\"b\"");
    CHECK(Dialect(Known::mysql).own_tables_spelling() == Known::mysql);
    CHECK(Dialect(Known::postgresql).own_tables_spelling() == Known::postgresql);
    CHECK(other.own_tables_spelling() == Known::sqlite);
}
