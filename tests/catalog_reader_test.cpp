// On MySQL and PostgreSQL the schema reader's catalog queries read what the ODBC catalog functions read.
// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "database/database.hpp"
#include "database/schema_catalog.hpp"
#include "schema_lines.hpp"
#include "test_database.hpp"

using namespace test_support;
using migration_host::CatalogReader;
using migration_host::Schema;

namespace {

struct Read {
    Schema through_queries;
    Schema through_functions;
    migration_host::Relations relations;  // as the queries list them
};

// Both readers on one connection, as inspect and verify open it.
Read read_both(const TestDatabase& database) {
    migration_host::odbc::Connection connection(odbc_environment(), database.connection_string(), 15);
    const migration_host::DatabaseInfo info = migration_host::describe_database(connection);
    Read read;
    read.through_queries = migration_host::read_schema(connection, info, {}, CatalogReader::queries);
    read.through_functions = migration_host::read_schema(connection, info, {}, CatalogReader::odbc_functions);
    read.relations = migration_host::list_relations(connection, info, CatalogReader::queries);
    const auto listed = migration_host::list_relations(connection, info, CatalogReader::odbc_functions);
    CHECK(listed.tables == read.relations.tables);
    CHECK(listed.views == read.relations.views);
    return read;
}

std::vector<std::string> names_of(const Schema& schema) {
    std::vector<std::string> names;
    for (const auto& table : schema.tables) names.push_back(table.name);
    return names;
}

// Connector/ODBC's SQLForeignKeys reports a foreign key only where it references the primary key (it joins the
// referenced column with the PRIMARY constraint's): the queries see the others too. Those are taken out of what
// the queries read, and returned, so that everything else can be held to be the same.
std::vector<std::string> take_keys_to_unique_keys(Schema& schema) {
    std::vector<std::string> taken;
    for (auto& table : schema.tables) {
        auto& keys = table.foreign_keys;
        const auto to_unique = [&](const migration_host::SchemaForeignKey& key) {
            const auto* referenced = schema.find(key.referenced_table);
            if (!referenced) return false;
            const auto& primary_key = referenced->primary_key;
            const auto outside_key = [&](const std::string& column) {
                return std::find(primary_key.begin(), primary_key.end(), column) == primary_key.end();
            };
            return std::any_of(key.referenced_columns.begin(), key.referenced_columns.end(), outside_key);
        };
        for (const auto& key : keys) {
            if (to_unique(key)) taken.push_back(fmt::format("{}.{} -> {}", table.name, key.name, key.referenced_table));
        }
        keys.erase(std::remove_if(keys.begin(), keys.end(), to_unique), keys.end());
    }
    return taken;
}

// Everything the reader knows on MySQL: composite keys in key order unlike the column order, named and unnamed
// foreign keys, unique constraints beside unique indexes, a table without a primary key whose UNIQUE NOT NULL index
// MySQL marks PRI, defaults with quotes, decimals, AUTO_INCREMENT, names that differ only in case or in a
// LIKE wildcard's place, a MyISAM table and per-table character sets, a system-versioned table and a view.
const std::vector<std::string> mysql_schema = {
    "CREATE TABLE parent (a INTEGER NOT NULL, b VARCHAR(20) NOT NULL, code CHAR(3) NOT NULL, PRIMARY KEY (b, a), "
    "UNIQUE KEY uq_parent_code (code), KEY ix_parent_ab (a, b))",
    "CREATE TABLE child (id INTEGER NOT NULL AUTO_INCREMENT PRIMARY KEY, pa INTEGER NOT NULL, pb VARCHAR(20) NOT "
    "NULL, amount DECIMAL(10,2) NOT NULL DEFAULT 0, ratio NUMERIC(5), f FLOAT, d DOUBLE DEFAULT 1.5, "
    "note VARCHAR(40) DEFAULT 'it''s', empty_default VARCHAR(10) DEFAULT '', quoted VARCHAR(10) DEFAULT '\"q\"', "
    "nul VARCHAR(10) DEFAULT NULL, created TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, flag TINYINT(1) DEFAULT 1, "
    "big BIGINT UNSIGNED, small SMALLINT, t TEXT, bin BINARY(16), vb VARBINARY(8), e ENUM('x','y''z') DEFAULT 'x', "
    "j JSON, bt BIT(3) DEFAULT b'101', parent_code CHAR(3), "
    "CONSTRAINT fk_child_parent FOREIGN KEY (pb, pa) REFERENCES parent (b, a), "
    "FOREIGN KEY (parent_code) REFERENCES parent (code), UNIQUE (note, id), "
    "CONSTRAINT uq_child_pair UNIQUE (pa, small))",
    "CREATE UNIQUE INDEX ux_child_big ON child (big)",
    "CREATE INDEX ix_child_amount_note ON child (amount, note DESC)",
    "CREATE TABLE `MixedCase` (`Id` INTEGER NOT NULL PRIMARY KEY, `CamelCol` VARCHAR(5), child_id INTEGER, "
    "KEY `IxMixed` (`CamelCol`)) ENGINE=MyISAM",
    "CREATE TABLE mixedcase (id INTEGER NOT NULL PRIMARY KEY) DEFAULT CHARSET=utf8mb3",
    "CREATE TABLE nokey (x INT, y VARCHAR(3) CHARACTER SET latin1 COLLATE latin1_bin) DEFAULT CHARSET=latin1",
    "CREATE TABLE nopk (a INT NOT NULL, b INT NOT NULL, c INT, UNIQUE KEY ub (b, a))",
    "CREATE TABLE self_ref (id INT NOT NULL PRIMARY KEY, up INT, FOREIGN KEY (up) REFERENCES self_ref (id))",
    "CREATE TABLE swapped (x INT NOT NULL, y VARCHAR(20) NOT NULL, FOREIGN KEY (x, y) REFERENCES parent (a, b))",
    "CREATE TABLE under_score (id INT PRIMARY KEY)",
    "CREATE TABLE underXscore (id INT PRIMARY KEY, other INT)",
    "CREATE TABLE versioned (id INT PRIMARY KEY, v INT) WITH SYSTEM VERSIONING",
    "CREATE VIEW v_child AS SELECT id, note, amount FROM child",
};

// Another database on the same server with some of the same names and other columns, keys and indexes.
const std::vector<std::string> mysql_neighbour = {
    "CREATE TABLE parent (a BIGINT NOT NULL PRIMARY KEY, extra INT, KEY ix_other (extra))",
    "CREATE TABLE child (id INT NOT NULL PRIMARY KEY, pa BIGINT, other_col INT UNIQUE, "
    "FOREIGN KEY (pa) REFERENCES parent (a))",
    "CREATE TABLE under_score (id INT PRIMARY KEY, z INT)",
    "CREATE TABLE only_there (id INT PRIMARY KEY)",
    "CREATE VIEW v_child AS SELECT id, other_col FROM child",
};

// Everything on PostgreSQL: as on MySQL, with SERIAL, BIGSERIAL and identity columns, domains, arrays, an enum,
// numeric and varchar without a size, the one-byte "char", an index on an expression, a partial index and one
// with INCLUDE columns, a partitioned table, a view and a materialized view.
const std::vector<std::string> postgresql_schema = {
    "CREATE TYPE mood AS ENUM ('sad', 'ok')",
    "CREATE DOMAIN posint AS integer CHECK (VALUE > 0)",
    "CREATE TABLE parent (a INTEGER NOT NULL, b VARCHAR(20) NOT NULL, code CHAR(3) NOT NULL, PRIMARY KEY (b, a), "
    "CONSTRAINT uq_parent_code UNIQUE (code))",
    "CREATE TABLE child (id SERIAL PRIMARY KEY, pa INTEGER NOT NULL, pb VARCHAR(20) NOT NULL, "
    "amount NUMERIC(10,2) NOT NULL DEFAULT 0, ratio NUMERIC(5), anynum NUMERIC, f REAL, d DOUBLE PRECISION DEFAULT "
    "1.5, note VARCHAR(40) DEFAULT 'it''s', empty_default VARCHAR(10) DEFAULT '', quoted TEXT DEFAULT '\"q\"', "
    "nul VARCHAR(10) DEFAULT NULL, created TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, flag BOOLEAN DEFAULT true, "
    "big BIGINT, small SMALLINT, bl BYTEA, u UUID, jb JSONB, long_text VARCHAR(1000), unbounded VARCHAR, "
    "ch CHARACTER(1), c \"char\", arr INTEGER[], m mood DEFAULT 'ok', p posint, parent_code CHAR(3), "
    "CONSTRAINT fk_child_parent FOREIGN KEY (pb, pa) REFERENCES parent (b, a), "
    "FOREIGN KEY (parent_code) REFERENCES parent (code), UNIQUE (note, id), "
    "CONSTRAINT uq_child_pair UNIQUE (pa, small))",
    "CREATE TABLE big_serial (id BIGSERIAL PRIMARY KEY, small_id SMALLSERIAL, ident INT GENERATED ALWAYS AS IDENTITY, "
    "ident2 BIGINT GENERATED BY DEFAULT AS IDENTITY, doubled BIGINT GENERATED ALWAYS AS (id * 2) STORED)",
    "CREATE UNIQUE INDEX ux_child_big ON child (big)",
    "CREATE INDEX ix_child_amount_note ON child (amount, note DESC)",
    "CREATE INDEX ix_child_lower ON child (lower(note))",
    "CREATE INDEX ix_child_partial ON child (small) WHERE small > 0",
    "CREATE INDEX ix_child_include ON child (pa) INCLUDE (note)",
    "CREATE TABLE \"MixedCase\" (\"Id\" INTEGER NOT NULL PRIMARY KEY, \"CamelCol\" VARCHAR(5), "
    "child_id INTEGER REFERENCES child (id))",
    "CREATE INDEX \"IxMixed\" ON \"MixedCase\" (\"CamelCol\")",
    "CREATE TABLE mixedcase (id INTEGER NOT NULL PRIMARY KEY)",
    "CREATE TABLE nokey (x INT, y VARCHAR(3))",
    "CREATE TABLE self_ref (id INT NOT NULL PRIMARY KEY, up INT REFERENCES self_ref (id) ON DELETE CASCADE)",
    "CREATE TABLE under_score (id INT PRIMARY KEY)",
    "CREATE TABLE \"underXscore\" (id INT PRIMARY KEY, other INT)",
    "CREATE TABLE parted (id INT NOT NULL, k INT NOT NULL, PRIMARY KEY (id, k)) PARTITION BY RANGE (k)",
    "CREATE TABLE parted_low PARTITION OF parted FOR VALUES FROM (0) TO (10)",
    "CREATE VIEW v_child AS SELECT id, note, amount FROM child",
    "CREATE MATERIALIZED VIEW mv_child AS SELECT id, big FROM child",
};

// Another schema of the same database with the same names and other columns, keys and indexes.
const std::vector<std::string> postgresql_neighbour = {
    "CREATE SCHEMA neighbour",
    "CREATE TABLE neighbour.parent (a BIGINT NOT NULL PRIMARY KEY, extra INT)",
    "CREATE INDEX ix_other ON neighbour.parent (extra)",
    "CREATE TABLE neighbour.child (id INT NOT NULL PRIMARY KEY, pa BIGINT REFERENCES neighbour.parent (a), "
    "other_col INT UNIQUE, pcode CHAR(3) REFERENCES public.parent (code))",
    "CREATE TABLE neighbour.under_score (id INT PRIMARY KEY, z INT)",
    "CREATE TABLE neighbour.only_there (id INT PRIMARY KEY)",
    "CREATE VIEW neighbour.v_child AS SELECT id, other_col FROM neighbour.child",
};

void run_all(const TestDatabase& database, const std::vector<std::string>& statements) {
    for (const auto& sql : statements) database.execute(sql);
}

}  // namespace

TEST_CASE("mysql: the catalog queries read what the ODBC catalog functions read, this database's only",
          "[mysql][inspect]") {
    const auto database = TestDatabase::create(Backend::mysql);
    if (!database) return;
    const auto neighbour = TestDatabase::create(Backend::mysql);
    REQUIRE(neighbour);
    run_all(*database, mysql_schema);
    run_all(*neighbour, mysql_neighbour);

    Read read = read_both(*database);
    CHECK(names_of(read.through_queries) == std::vector<std::string>{"MixedCase", "child", "mixedcase", "nokey", "nopk",
                                                                     "parent", "self_ref", "swapped", "underXscore",
                                                                     "under_score", "versioned"});
    CHECK(read.relations.views == std::vector<std::string>{"v_child"});
    // Nothing of the neighbour's: its child has other_col, its v_child other columns, its parent ix_other.
    const auto* child = read.through_queries.find("child");
    REQUIRE(child);
    CHECK(child->columns.size() == 22);
    CHECK(child->columns.front().auto_increment);
    REQUIRE(read.through_queries.find("parent"));
    CHECK(read.through_queries.find("parent")->primary_key == std::vector<std::string>{"b", "a"});
    CHECK(read.through_queries.find("parent")->indexes.size() == 2);
    REQUIRE(read.through_queries.find_view("v_child"));
    CHECK(read.through_queries.find_view("v_child")->columns.size() == 3);

    CHECK(take_keys_to_unique_keys(read.through_queries) == std::vector<std::string>{"child.child_ibfk_1 -> parent"});
    CHECK(schema_lines(read.through_queries) == schema_lines(read.through_functions));
}

TEST_CASE("postgresql: the catalog queries read what the ODBC catalog functions read, this schema's only",
          "[postgresql][inspect]") {
    const auto database = TestDatabase::create(Backend::postgresql);
    if (!database) return;
    run_all(*database, postgresql_schema);
    run_all(*database, postgresql_neighbour);

    const Read read = read_both(*database);
    CHECK(names_of(read.through_queries) == std::vector<std::string>{"MixedCase", "big_serial", "child", "mixedcase",
                                                                     "nokey", "parent", "parted", "parted_low",
                                                                     "self_ref", "underXscore", "under_score"});
    CHECK(read.relations.views == std::vector<std::string>{"mv_child", "v_child"});
    const auto* child = read.through_queries.find("child");
    REQUIRE(child);
    CHECK(child->columns.size() == 27);
    CHECK(child->foreign_keys.size() == 2);
    CHECK(child->indexes.size() == 7);
    REQUIRE(read.through_queries.find_view("v_child"));
    CHECK(read.through_queries.find_view("v_child")->columns.size() == 3);

    CHECK(schema_lines(read.through_queries) == schema_lines(read.through_functions));
}
