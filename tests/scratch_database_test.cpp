// The scratch database's connection string: the live one's attributes, another DATABASE.
// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include "engine/scratch_database.hpp"

using migration_host::with_database_attribute;

TEST_CASE("the scratch connection string keeps every attribute but DATABASE, whatever its case", "[scratch]") {
    CHECK(with_database_attribute("DRIVER=SQLite3;Database=/srv/live.sqlite;FKSupport=1", "/tmp/x/expected.sqlite") ==
          "DRIVER=SQLite3;FKSupport=1;DATABASE=/tmp/x/expected.sqlite");
    CHECK(with_database_attribute("DSN=cinder", "/tmp/e.sqlite") == "DSN=cinder;DATABASE=/tmp/e.sqlite");
    CHECK(with_database_attribute(" database = /a ;DRIVER=SQLite3;", "/b") == "DRIVER=SQLite3;DATABASE=/b");
    // A braced value may hold ';' and text that looks like another attribute: it is one value, kept whole.
    CHECK(with_database_attribute("DRIVER={My;Driver};PWD={x;DATABASE=y}};z};DATABASE=/a", "/b") ==
          "DRIVER={My;Driver};PWD={x;DATABASE=y}};z};DATABASE=/b");
}
