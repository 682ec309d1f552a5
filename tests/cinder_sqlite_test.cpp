// cinder_initial through the real host on sqlite: schema from the catalog, version row, no-op, refusal, failure.
// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include "cinder_scenarios.hpp"
#include "test_database.hpp"

using namespace test_support;

TEST_CASE("sqlite: upgrade creates the seed's schema and records cinder@1", "[sqlite][cinder]") {
    const auto database = TestDatabase::create(Backend::sqlite);
    if (!database) return;
    check_upgrade_creates_schema(*database);
}

TEST_CASE("sqlite: a second upgrade is a no-op", "[sqlite][cinder]") {
    const auto database = TestDatabase::create(Backend::sqlite);
    if (!database) return;
    check_reupgrade_is_noop(*database);
}

TEST_CASE("sqlite: downgrade cinder@0 is refused and changes nothing", "[sqlite][cinder]") {
    const auto database = TestDatabase::create(Backend::sqlite);
    if (!database) return;
    check_downgrade_refused(*database);
}

TEST_CASE("sqlite: a table that already exists fails the step with exit 1 and version 0", "[sqlite][cinder]") {
    const auto database = TestDatabase::create(Backend::sqlite);
    if (!database) return;
    check_table_creation_failure(*database);
}

TEST_CASE("sqlite: existing tables without a version row are refused with a hint to stamp", "[sqlite][cinder]") {
    const auto database = TestDatabase::create(Backend::sqlite);
    if (!database) return;
    check_unversioned_tables_refused(*database);
}
