// Checks that migration_host/schema.hpp renders DDL as SQLAlchemy 1.4 does, and the Cinder tables built with it.
// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <migration_host/schema.hpp>

#include "cinder_tables.hpp"

#include <stdexcept>
#include <string>
#include <vector>

using namespace migration_host::schema;

namespace {

const Dialect k_all_dialects[] = {Dialect::sqlite, Dialect::mysql, Dialect::postgresql};

Table flavors_table() {
    TableOptions options;
    options.mysql_engine = "InnoDB";
    return Table("sm_flavors",
                 {
                     Column("created_at", DateTime()),
                     Column("deleted", Boolean()),
                     Column("id", Integer()).primary_key().nullable(false),
                     Column("label", String(255)),
                 },
                 options);
}

}  // namespace

TEST_CASE("dialect names round-trip", "[schema]") {
    for (const Dialect dialect : k_all_dialects) {
        CHECK(dialect_from_name(dialect_name(dialect)) == dialect);
    }
    CHECK(dialect_from_name("postgresql") == Dialect::postgresql);
    CHECK_FALSE(dialect_from_name("postgres").has_value());
    CHECK_FALSE(dialect_from_name("MySQL").has_value());
    CHECK_FALSE(dialect_from_name("").has_value());
    CHECK(require_dialect("mysql") == Dialect::mysql);
    CHECK_THROWS_WITH(require_dialect("oracle"),
                      "this step supports sqlite, mysql and postgresql, not 'oracle'");
}

TEST_CASE("types render per dialect", "[schema]") {
    CHECK(Integer().sql(Dialect::sqlite) == "INTEGER");
    CHECK(Integer().sql(Dialect::mysql) == "INTEGER");
    CHECK(Integer().sql(Dialect::postgresql) == "INTEGER");
    CHECK(String(36).sql(Dialect::sqlite) == "VARCHAR(36)");
    CHECK(String(2047).sql(Dialect::mysql) == "VARCHAR(2047)");
    CHECK(String(255).sql(Dialect::postgresql) == "VARCHAR(255)");
    CHECK(DateTime().sql(Dialect::sqlite) == "DATETIME");
    CHECK(DateTime().sql(Dialect::mysql) == "DATETIME");
    CHECK(DateTime().sql(Dialect::postgresql) == "TIMESTAMP WITHOUT TIME ZONE");
    CHECK(Boolean().sql(Dialect::sqlite) == "BOOLEAN");
    CHECK(Boolean().sql(Dialect::mysql) == "BOOL");
    CHECK(Boolean().sql(Dialect::postgresql) == "BOOLEAN");
    CHECK(Text().sql(Dialect::sqlite) == "TEXT");
    CHECK(Text().sql(Dialect::mysql) == "TEXT");
    CHECK(Text().sql(Dialect::postgresql) == "TEXT");
}

TEST_CASE("an Integer primary key autoincrements the way each dialect does", "[schema]") {
    const Table table = flavors_table();
    REQUIRE(table.autoincrement_column() != nullptr);
    CHECK(table.autoincrement_column()->name() == "id");

    // SQLite: a plain rowid alias, no AUTOINCREMENT keyword.
    CHECK(table.create_sql(Dialect::sqlite) ==
          "\nCREATE TABLE sm_flavors (\n"
          "\tcreated_at DATETIME, \n"
          "\tdeleted BOOLEAN, \n"
          "\tid INTEGER NOT NULL, \n"
          "\tlabel VARCHAR(255), \n"
          "\tPRIMARY KEY (id)\n"
          ")\n\n");
    CHECK(table.create_sql(Dialect::mysql) ==
          "\nCREATE TABLE sm_flavors (\n"
          "\tcreated_at DATETIME, \n"
          "\tdeleted BOOL, \n"
          "\tid INTEGER NOT NULL AUTO_INCREMENT, \n"
          "\tlabel VARCHAR(255), \n"
          "\tPRIMARY KEY (id)\n"
          ")ENGINE=InnoDB\n\n");
    CHECK(table.create_sql(Dialect::postgresql) ==
          "\nCREATE TABLE sm_flavors (\n"
          "\tcreated_at TIMESTAMP WITHOUT TIME ZONE, \n"
          "\tdeleted BOOLEAN, \n"
          "\tid SERIAL NOT NULL, \n"
          "\tlabel VARCHAR(255), \n"
          "\tPRIMARY KEY (id)\n"
          ")\n\n");
}

TEST_CASE("a primary key is NOT NULL even without nullable(false)", "[schema]") {
    const Table table("t", {Column("id", Integer()).primary_key(), Column("n", Integer())});
    CHECK_FALSE(table.columns()[0].is_nullable());
    CHECK(table.columns()[1].is_nullable());
    CHECK(table.create_sql(Dialect::sqlite) == "\nCREATE TABLE t (\n\tid INTEGER NOT NULL, \n\tn INTEGER, \n\tPRIMARY KEY (id)\n)\n\n");
}

TEST_CASE("a String primary key with a foreign key does not autoincrement", "[schema]") {
    const Table table("sm_volume", {
        Column("id", String(36), ForeignKey("volumes.id")).primary_key().nullable(false),
        Column("backend_id", Integer(), ForeignKey("sm_backend_config.id")).nullable(false),
        Column("vdi_uuid", String(255)),
    });
    CHECK(table.autoincrement_column() == nullptr);
    const std::string body =
        "\tid VARCHAR(36) NOT NULL, \n"
        "\tbackend_id INTEGER NOT NULL, \n"
        "\tvdi_uuid VARCHAR(255), \n"
        "\tPRIMARY KEY (id), \n"
        "\tFOREIGN KEY(id) REFERENCES volumes (id), \n"
        "\tFOREIGN KEY(backend_id) REFERENCES sm_backend_config (id)\n";
    CHECK(table.create_sql(Dialect::sqlite) == "\nCREATE TABLE sm_volume (\n" + body + ")\n\n");
    CHECK(table.create_sql(Dialect::mysql) == "\nCREATE TABLE sm_volume (\n" + body + ")\n\n");
    CHECK(table.create_sql(Dialect::postgresql) == "\nCREATE TABLE sm_volume (\n" + body + ")\n\n");
}

TEST_CASE("an Integer primary key with a foreign key does not autoincrement", "[schema]") {
    const Table table("child", {Column("id", Integer(), ForeignKey("parent.id")).primary_key()});
    CHECK(table.autoincrement_column() == nullptr);
    CHECK(table.create_sql(Dialect::mysql) ==
          "\nCREATE TABLE child (\n\tid INTEGER NOT NULL, \n\tPRIMARY KEY (id), \n"
          "\tFOREIGN KEY(id) REFERENCES parent (id)\n)\n\n");
    CHECK(table.create_sql(Dialect::postgresql) ==
          "\nCREATE TABLE child (\n\tid INTEGER NOT NULL, \n\tPRIMARY KEY (id), \n"
          "\tFOREIGN KEY(id) REFERENCES parent (id)\n)\n\n");
}

TEST_CASE("a composite primary key does not autoincrement", "[schema]") {
    const Table table("pairs", {
        Column("a", Integer()).primary_key(),
        Column("note", Text()),
        Column("b", Integer()).primary_key(),
    });
    CHECK(table.autoincrement_column() == nullptr);
    const std::string body =
        "\ta INTEGER NOT NULL, \n"
        "\tnote TEXT, \n"
        "\tb INTEGER NOT NULL, \n"
        "\tPRIMARY KEY (a, b)\n";
    CHECK(table.create_sql(Dialect::sqlite) == "\nCREATE TABLE pairs (\n" + body + ")\n\n");
    CHECK(table.create_sql(Dialect::mysql) == "\nCREATE TABLE pairs (\n" + body + ")\n\n");
    CHECK(table.create_sql(Dialect::postgresql) == "\nCREATE TABLE pairs (\n" + body + ")\n\n");
}

TEST_CASE("a table without a primary key has no PRIMARY KEY constraint", "[schema]") {
    const Table table("log", {Column("line", Text()), Column("logged", DateTime())});
    CHECK(table.autoincrement_column() == nullptr);
    CHECK(table.create_sql(Dialect::sqlite) == "\nCREATE TABLE log (\n\tline TEXT, \n\tlogged DATETIME\n)\n\n");
}

// SQLAlchemy's Column(..., autoincrement=False): what SQLAlchemy 1.4.46 renders for the same table.
TEST_CASE("autoincrement(false) keeps a lone Integer primary key a plain INTEGER", "[schema]") {
    const Table table("history", {Column("id", Integer()).primary_key().autoincrement(false), Column("note", Text())});
    CHECK_FALSE(table.columns()[0].allows_autoincrement());
    CHECK(table.autoincrement_column() == nullptr);
    const std::string body = "\tid INTEGER NOT NULL, \n\tnote TEXT, \n\tPRIMARY KEY (id)\n";
    for (const Dialect dialect : k_all_dialects) {
        CAPTURE(dialect_name(dialect));
        CHECK(table.create_sql(dialect) == "\nCREATE TABLE history (\n" + body + ")\n\n");
    }
    // true is the default (SQLAlchemy's "auto"): the lone Integer primary key is numbered by the database.
    CHECK(Column("id", Integer()).allows_autoincrement());
    Column id("id", Integer());
    id.primary_key().autoincrement(false).autoincrement(true);
    const Table numbered("numbered", {id});
    REQUIRE(numbered.autoincrement_column() != nullptr);
    CHECK(numbered.create_sql(Dialect::postgresql) ==
          "\nCREATE TABLE numbered (\n\tid SERIAL NOT NULL, \n\tPRIMARY KEY (id)\n)\n\n");
    CHECK(numbered.create_sql(Dialect::mysql) ==
          "\nCREATE TABLE numbered (\n\tid INTEGER NOT NULL AUTO_INCREMENT, \n\tPRIMARY KEY (id)\n)\n\n");
}

TEST_CASE("reserved words key and binary are quoted per dialect", "[schema]") {
    const Table table("volume_type_extra_specs", {
        Column("id", Integer()).primary_key(),
        Column("key", String(255)),
        Column("binary", String(255)),
        Column("value", String(255)),
    });
    CHECK(table.create_sql(Dialect::sqlite) ==
          "\nCREATE TABLE volume_type_extra_specs (\n\tid INTEGER NOT NULL, \n"
          "\t\"key\" VARCHAR(255), \n\t\"binary\" VARCHAR(255), \n\t\"value\" VARCHAR(255), \n"
          "\tPRIMARY KEY (id)\n)\n\n");
    CHECK(table.create_sql(Dialect::mysql) ==
          "\nCREATE TABLE volume_type_extra_specs (\n\tid INTEGER NOT NULL AUTO_INCREMENT, \n"
          "\t`key` VARCHAR(255), \n\t`binary` VARCHAR(255), \n\t`value` VARCHAR(255), \n"
          "\tPRIMARY KEY (id)\n)\n\n");
    CHECK(table.create_sql(Dialect::postgresql) ==
          "\nCREATE TABLE volume_type_extra_specs (\n\tid SERIAL NOT NULL, \n"
          "\t\"key\" VARCHAR(255), \n\t\"binary\" VARCHAR(255), \n\t\"value\" VARCHAR(255), \n"
          "\tPRIMARY KEY (id)\n)\n\n");
}

TEST_CASE("quote_identifier quotes only when needed", "[schema]") {
    for (const Dialect dialect : k_all_dialects) {
        const std::string q = dialect == Dialect::mysql ? "`" : "\"";
        CAPTURE(dialect_name(dialect));
        CHECK(quote_identifier("volumes", dialect) == "volumes");
        CHECK(quote_identifier("ec2_id", dialect) == "ec2_id");
        CHECK(quote_identifier("_private", dialect) == "_private");
        CHECK(quote_identifier("host", dialect) == "host");
        CHECK(quote_identifier("status", dialect) == "status");
        // SQL-92 and common reserved words, in every dialect.
        for (const char* word : {"key", "binary", "select", "table", "order", "group", "user", "default",
                                 "index", "check", "column", "desc", "from", "where", "value", "size"}) {
            CAPTURE(word);
            CHECK(quote_identifier(word, dialect) == q + word + q);
        }
        // Upper case, other characters, a leading digit.
        CHECK(quote_identifier("Volumes", dialect) == q + "Volumes" + q);
        CHECK(quote_identifier("SELECT", dialect) == q + "SELECT" + q);
        CHECK(quote_identifier("my table", dialect) == q + "my table" + q);
        CHECK(quote_identifier("a$b", dialect) == q + "a$b" + q);
        CHECK(quote_identifier("a-b", dialect) == q + "a-b" + q);
        CHECK(quote_identifier("1st", dialect) == q + "1st" + q);
        CHECK(quote_identifier("x1", dialect) == "x1");
    }
    // Words reserved in one dialect only (SQLAlchemy 1.4's lists).
    CHECK(quote_identifier("autoincrement", Dialect::sqlite) == "\"autoincrement\"");
    CHECK(quote_identifier("autoincrement", Dialect::postgresql) == "autoincrement");
    CHECK(quote_identifier("returning", Dialect::postgresql) == "\"returning\"");
    CHECK(quote_identifier("returning", Dialect::sqlite) == "returning");
    CHECK(quote_identifier("database", Dialect::mysql) == "`database`");
    CHECK(quote_identifier("database", Dialect::postgresql) == "database");
}

TEST_CASE("a quote character inside an identifier is doubled", "[schema]") {
    CHECK(quote_identifier("we`ird", Dialect::mysql) == "`we``ird`");
    CHECK(quote_identifier("we\"ird", Dialect::mysql) == "`we\"ird`");
    CHECK(quote_identifier("we\"ird", Dialect::sqlite) == "\"we\"\"ird\"");
    CHECK(quote_identifier("we\"ird", Dialect::postgresql) == "\"we\"\"ird\"");
    CHECK(quote_identifier("we`ird", Dialect::postgresql) == "\"we`ird\"");
    CHECK(quote_identifier("\"", Dialect::sqlite) == "\"\"\"\"");

    const Table table("odd\"`name", {Column("a`b\"c", Integer())});
    CHECK(table.create_sql(Dialect::mysql) == "\nCREATE TABLE `odd\"``name` (\n\t`a``b\"c` INTEGER\n)\n\n");
    CHECK(table.create_sql(Dialect::sqlite) == "\nCREATE TABLE \"odd\"\"`name\" (\n\t\"a`b\"\"c\" INTEGER\n)\n\n");
    CHECK(table.drop_sql(Dialect::postgresql) == "\nDROP TABLE \"odd\"\"`name\"");
}

TEST_CASE("mysql_engine and mysql_charset only affect MySQL", "[schema]") {
    TableOptions options;
    options.mysql_engine = "InnoDB";
    options.mysql_charset = "utf8";
    const Table table("t", {Column("id", Integer()).primary_key()}, options);
    CHECK(table.create_sql(Dialect::mysql) ==
          "\nCREATE TABLE t (\n\tid INTEGER NOT NULL AUTO_INCREMENT, \n\tPRIMARY KEY (id)\n)"
          "ENGINE=InnoDB DEFAULT CHARSET=utf8\n\n");
    CHECK(table.create_sql(Dialect::sqlite) == "\nCREATE TABLE t (\n\tid INTEGER NOT NULL, \n\tPRIMARY KEY (id)\n)\n\n");
    CHECK(table.create_sql(Dialect::postgresql) == "\nCREATE TABLE t (\n\tid SERIAL NOT NULL, \n\tPRIMARY KEY (id)\n)\n\n");

    TableOptions charset_only;
    charset_only.mysql_charset = "utf8mb4";
    const Table other("u", {Column("n", Integer())}, charset_only);
    CHECK(other.create_sql(Dialect::mysql) == "\nCREATE TABLE u (\n\tn INTEGER\n)DEFAULT CHARSET=utf8mb4\n\n");
    CHECK(Table("v", {Column("n", Integer())}).create_sql(Dialect::mysql) == "\nCREATE TABLE v (\n\tn INTEGER\n)\n\n");
}

// SQLAlchemy's mysql.VARCHAR(250, charset=..., collation=...) and mysql.TEXT(charset=...): on MySQL what SQLAlchemy
// 1.4.46 renders; elsewhere nothing (SQLAlchemy would write COLLATE "utf8mb4_bin", a collation they do not have).
TEST_CASE("mysql_charset and mysql_collation of a String or Text render on MySQL only", "[schema]") {
    const Type track = String(250).mysql_charset("utf8mb4").mysql_collation("utf8mb4_bin");
    CHECK(track.mysql_charset_name() == "utf8mb4");
    CHECK(track.mysql_collation_name() == "utf8mb4_bin");
    CHECK(track.sql(Dialect::mysql) == "VARCHAR(250) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin");
    CHECK(track.sql(Dialect::sqlite) == "VARCHAR(250)");
    CHECK(track.sql(Dialect::postgresql) == "VARCHAR(250)");
    CHECK(Text().mysql_charset("utf8mb4").sql(Dialect::mysql) == "TEXT CHARACTER SET utf8mb4");
    CHECK(String(10).mysql_collation("utf8mb4_bin").sql(Dialect::mysql) == "VARCHAR(10) COLLATE utf8mb4_bin");
    CHECK(track != String(250));
    CHECK(track == String(250).mysql_charset("utf8mb4").mysql_collation("utf8mb4_bin"));

    const Table table("states", {
        Column("track", track).primary_key(),
        Column("x", Text().mysql_charset("utf8mb4")),
        Column("y", String(10).mysql_collation("utf8mb4_bin")),
    });
    CHECK(table.create_sql(Dialect::mysql) ==
          "\nCREATE TABLE states (\n\ttrack VARCHAR(250) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL, \n"
          "\tx TEXT CHARACTER SET utf8mb4, \n\ty VARCHAR(10) COLLATE utf8mb4_bin, \n\tPRIMARY KEY (track)\n)\n\n");
    for (const Dialect dialect : {Dialect::sqlite, Dialect::postgresql}) {
        CHECK(table.create_sql(dialect) ==
              "\nCREATE TABLE states (\n\ttrack VARCHAR(250) NOT NULL, \n\tx TEXT, \n\ty VARCHAR(10), \n"
              "\tPRIMARY KEY (track)\n)\n\n");
    }
    // MySQL's MODIFY repeats the whole column: the character set and collation stay.
    migration_host::render::ColumnChange change;
    change.nullable = true;
    CHECK(migration_host::render::alter_column(Dialect::mysql, "states", table.columns()[2], change) ==
          std::vector<std::string>{"ALTER TABLE states MODIFY y VARCHAR(10) COLLATE utf8mb4_bin NULL"});
    // As SQLAlchemy's repr() of the MySQL types.
    CHECK(table.repr() ==
          "Table('states', MetaData(), Column('track', VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', "
          "length=250), table=<states>, primary_key=True, nullable=False), Column('x', TEXT(charset='utf8mb4'), "
          "table=<states>), Column('y', VARCHAR(collation='utf8mb4_bin', length=10), table=<states>), schema=None)");

    CHECK_THROWS_WITH(Integer().mysql_charset("utf8mb4"), "only String and Text have a character set or collation");
    CHECK_THROWS_AS(DateTime().mysql_collation("utf8mb4_bin"), std::invalid_argument);
    CHECK_THROWS_WITH(String(5).mysql_charset("utf8 COLLATE x"),
                      "mysql_charset 'utf8 COLLATE x' may only contain letters, digits and '_'");
    CHECK_THROWS_AS(Text().mysql_collation("bin; DROP TABLE t"), std::invalid_argument);
}

TEST_CASE("Boolean renders no CHECK constraint", "[schema]") {
    const Table table("flags", {Column("deleted", Boolean()), Column("disabled", Boolean()).nullable(false)});
    for (const Dialect dialect : k_all_dialects) {
        CAPTURE(dialect_name(dialect));
        const std::string sql = table.create_sql(dialect);
        CHECK(sql.find("CHECK") == std::string::npos);
        CHECK(sql.find("CONSTRAINT") == std::string::npos);
    }
    CHECK(table.create_sql(Dialect::mysql) == "\nCREATE TABLE flags (\n\tdeleted BOOL, \n\tdisabled BOOL NOT NULL\n)\n\n");
}

TEST_CASE("exactly one statement, without a semicolon", "[schema]") {
    for (const Table& table : cinder_initial::cinder_initial_tables()) {
        for (const Dialect dialect : k_all_dialects) {
            CHECK(table.create_sql(dialect).find(';') == std::string::npos);
            CHECK(table.drop_sql(dialect).find(';') == std::string::npos);
        }
    }
}

TEST_CASE("CREATE TABLE in one line: the same elements, no newlines, MySQL's options after a space", "[schema]") {
    using migration_host::render::CreateTableLayout;
    TableOptions options;
    options.mysql_engine = "InnoDB";
    options.mysql_charset = "utf8mb4";
    const Table table("t",
                      {Column("id", Integer()).primary_key(), Column("name", String(20)).nullable(false),
                       Column("parent", Integer(), ForeignKey("t.id"))},
                      options);
    const auto one_line = [&](Dialect dialect) {
        return migration_host::render::create_table(dialect, table, CreateTableLayout::one_line);
    };
    const std::string rest =
        "name VARCHAR(20) NOT NULL, parent INTEGER, PRIMARY KEY (id), FOREIGN KEY(parent) REFERENCES t (id))";
    CHECK(one_line(Dialect::sqlite) == "CREATE TABLE t (id INTEGER NOT NULL, " + rest);
    CHECK(one_line(Dialect::postgresql) == "CREATE TABLE t (id SERIAL NOT NULL, " + rest);
    CHECK(one_line(Dialect::mysql) ==
          "CREATE TABLE t (id INTEGER NOT NULL AUTO_INCREMENT, " + rest + " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4");
    CHECK(migration_host::render::create_table(Dialect::mysql, Table("u", {Column("n", Integer())}),
                                               CreateTableLayout::one_line) == "CREATE TABLE u (n INTEGER)");
    // SQLAlchemy's layout stays the default.
    for (const Dialect dialect : k_all_dialects) {
        CHECK(migration_host::render::create_table(dialect, table) == table.create_sql(dialect));
        CHECK(migration_host::render::create_table(dialect, table, CreateTableLayout::sqlalchemy) ==
              table.create_sql(dialect));
    }
}

TEST_CASE("DROP TABLE and CREATE INDEX", "[schema]") {
    TableOptions options;
    options.indexes = {Index{"ix_volumes_host", {"host", "size"}, false},
                       Index{"uq_key", {"key"}, true}};
    const Table table("volumes", {Column("id", String(36)).primary_key(), Column("host", String(255)),
                                  Column("size", Integer()), Column("key", String(255))},
                      options);
    CHECK(table.drop_sql(Dialect::sqlite) == "\nDROP TABLE volumes");
    CHECK(Table("user", {Column("n", Integer())}).drop_sql(Dialect::mysql) == "\nDROP TABLE `user`");

    CHECK(table.create_index_sql(Dialect::sqlite) ==
          std::vector<std::string>{"CREATE INDEX ix_volumes_host ON volumes (host, \"size\")",
                                   "CREATE UNIQUE INDEX uq_key ON volumes (\"key\")"});
    CHECK(table.create_index_sql(Dialect::mysql) ==
          std::vector<std::string>{"CREATE INDEX ix_volumes_host ON volumes (host, `size`)",
                                   "CREATE UNIQUE INDEX uq_key ON volumes (`key`)"});
    CHECK(flavors_table().create_index_sql(Dialect::postgresql).empty());
    // Indexes are separate statements, never part of CREATE TABLE.
    CHECK(table.create_sql(Dialect::postgresql).find("INDEX") == std::string::npos);
}

TEST_CASE("repr() reads like SQLAlchemy's repr(table)", "[schema]") {
    const Table table("sm_volume", {
        Column("deleted", Boolean()),
        Column("id", String(36), ForeignKey("volumes.id")).primary_key().nullable(false),
        Column("n", Integer()).nullable(false),
        Column("t", Text()),
        Column("d", DateTime()),
    });
    // What SQLAlchemy 1.4.46 prints for the same table.
    CHECK(table.repr() ==
          "Table('sm_volume', MetaData(), Column('deleted', Boolean(), table=<sm_volume>), "
          "Column('id', String(length=36), ForeignKey('volumes.id'), table=<sm_volume>, "
          "primary_key=True, nullable=False), Column('n', Integer(), table=<sm_volume>, "
          "nullable=False), Column('t', Text(), table=<sm_volume>), Column('d', DateTime(), "
          "table=<sm_volume>), schema=None)");
    CHECK(Table("it's", {Column("a\\b", Integer())}).repr() ==
          "Table(\"it's\", MetaData(), Column('a\\\\b', Integer(), table=<it's>), schema=None)");
}

TEST_CASE("invalid definitions throw std::invalid_argument", "[schema]") {
    CHECK_THROWS_AS(String(0), std::invalid_argument);
    CHECK_THROWS_AS(Type(TypeKind::integer, 4), std::invalid_argument);
    CHECK_THROWS_AS(Column("", Integer()), std::invalid_argument);
    CHECK_THROWS_AS(Column(std::string("a\0b", 3), Integer()), std::invalid_argument);
    CHECK_THROWS_AS(ForeignKey("volumes"), std::invalid_argument);
    CHECK_THROWS_AS(ForeignKey(""), std::invalid_argument);
    CHECK_THROWS_AS(ForeignKey(".id"), std::invalid_argument);
    CHECK_THROWS_AS(ForeignKey("volumes."), std::invalid_argument);
    CHECK_THROWS_AS(ForeignKey("public.volumes.id"), std::invalid_argument);
    CHECK_NOTHROW(ForeignKey("volumes.id"));
    CHECK_THROWS_AS(Table("", {Column("a", Integer())}), std::invalid_argument);
    CHECK_THROWS_AS(Table("t", {}), std::invalid_argument);
    CHECK_THROWS_AS(Table("t", {Column("a", Integer()), Column("b", Text()), Column("a", Text())}),
                    std::invalid_argument);
    CHECK_THROWS_AS(Table("t", {Column("id", Integer()).primary_key().nullable(true)}), std::invalid_argument);
    CHECK_THROWS_AS(quote_identifier("", Dialect::sqlite), std::invalid_argument);

    const auto with_options = [](TableOptions options) {
        return Table("t", {Column("a", Integer())}, std::move(options));
    };
    CHECK_THROWS_AS(with_options(TableOptions{"", "", {Index{"", {"a"}}}}), std::invalid_argument);
    CHECK_THROWS_AS(with_options(TableOptions{"", "", {Index{"ix", {}}}}), std::invalid_argument);
    CHECK_THROWS_AS(with_options(TableOptions{"", "", {Index{"ix", {"nope"}}}}), std::invalid_argument);
    CHECK_THROWS_AS(with_options(TableOptions{"", "", {Index{"ix", {"a"}}, Index{"ix", {"a"}}}}),
                    std::invalid_argument);
    CHECK_THROWS_AS(with_options(TableOptions{"InnoDB; DROP TABLE x", "", {}}), std::invalid_argument);
    CHECK_THROWS_AS(with_options(TableOptions{"", "utf8 COLLATE x", {}}), std::invalid_argument);
    CHECK_NOTHROW(with_options(TableOptions{"InnoDB", "utf8mb4", {Index{"ix", {"a"}, true}}}));

    // The message names the offending column.
    CHECK_THROWS_WITH(Table("t", {Column("a", Integer()), Column("a", Text())}), Catch::Contains("'a'"));
}

TEST_CASE("cinder_initial_tables() gives the 12 tables of 001_cinder_init.py in creation order", "[schema]") {
    const std::vector<Table> tables = cinder_initial::cinder_initial_tables();
    std::vector<std::string> names;
    for (const Table& table : tables) names.push_back(table.name());
    CHECK(names == std::vector<std::string>{"sm_flavors", "sm_backend_config", "snapshots", "volume_types",
                                            "volumes", "iscsi_targets", "migrations", "quotas", "services",
                                            "sm_volume", "volume_metadata", "volume_type_extra_specs"});

    for (std::size_t i = 0; i < tables.size(); ++i) {
        const Table& table = tables[i];
        CAPTURE(table.name());
        CHECK(table.options().mysql_engine == "InnoDB");
        CHECK(table.options().mysql_charset.empty());
        CHECK(table.options().indexes.empty());
        // Every foreign key points at a table created earlier.
        for (const Column& column : table.columns()) {
            if (!column.foreign_key()) continue;
            bool earlier = false;
            for (std::size_t j = 0; j < i; ++j) earlier = earlier || tables[j].name() == column.foreign_key()->table();
            CHECK(earlier);
        }
    }
}

TEST_CASE("cinder tables render as SQLAlchemy 1.4 rendered them", "[schema]") {
    const std::vector<Table> tables = cinder_initial::cinder_initial_tables();
    REQUIRE(tables.size() == 12u);

    // sm_backend_config on MySQL: SQLAlchemy 1.4.46's output, byte for byte.
    CHECK(tables[1].create_sql(Dialect::mysql) ==
          "\nCREATE TABLE sm_backend_config (\n"
          "\tcreated_at DATETIME, \n"
          "\tupdated_at DATETIME, \n"
          "\tdeleted_at DATETIME, \n"
          "\tdeleted BOOL, \n"
          "\tid INTEGER NOT NULL AUTO_INCREMENT, \n"
          "\tflavor_id INTEGER NOT NULL, \n"
          "\tsr_uuid VARCHAR(255), \n"
          "\tsr_type VARCHAR(255), \n"
          "\tconfig_params VARCHAR(2047), \n"
          "\tPRIMARY KEY (id), \n"
          "\tFOREIGN KEY(flavor_id) REFERENCES sm_flavors (id)\n"
          ")ENGINE=InnoDB\n\n");

    // quotas has its id first; on PostgreSQL it is SERIAL.
    CHECK(tables[7].create_sql(Dialect::postgresql) ==
          "\nCREATE TABLE quotas (\n"
          "\tid SERIAL NOT NULL, \n"
          "\tcreated_at TIMESTAMP WITHOUT TIME ZONE, \n"
          "\tupdated_at TIMESTAMP WITHOUT TIME ZONE, \n"
          "\tdeleted_at TIMESTAMP WITHOUT TIME ZONE, \n"
          "\tdeleted BOOLEAN, \n"
          "\tproject_id VARCHAR(255), \n"
          "\tresource VARCHAR(255) NOT NULL, \n"
          "\thard_limit INTEGER, \n"
          "\tPRIMARY KEY (id)\n"
          ")\n\n");

    // sm_volume: String primary key that is also a foreign key; two foreign keys in column order.
    CHECK(tables[9].create_sql(Dialect::sqlite) ==
          "\nCREATE TABLE sm_volume (\n"
          "\tcreated_at DATETIME, \n"
          "\tupdated_at DATETIME, \n"
          "\tdeleted_at DATETIME, \n"
          "\tdeleted BOOLEAN, \n"
          "\tid VARCHAR(36) NOT NULL, \n"
          "\tbackend_id INTEGER NOT NULL, \n"
          "\tvdi_uuid VARCHAR(255), \n"
          "\tPRIMARY KEY (id), \n"
          "\tFOREIGN KEY(id) REFERENCES volumes (id), \n"
          "\tFOREIGN KEY(backend_id) REFERENCES sm_backend_config (id)\n"
          ")\n\n");

    // services has a column named binary.
    CHECK(tables[8].create_sql(Dialect::mysql).find("\t`binary` VARCHAR(255), \n") != std::string::npos);
    // iscsi_targets.volume_id is an explicitly nullable foreign key.
    CHECK(tables[5].create_sql(Dialect::sqlite).find("\tvolume_id VARCHAR(36), \n") != std::string::npos);
    CHECK(tables[5].create_sql(Dialect::sqlite).find("FOREIGN KEY(volume_id) REFERENCES volumes (id)") !=
          std::string::npos);
    // Column counts as in the seed.
    std::vector<std::size_t> counts;
    for (const Table& table : tables) counts.push_back(table.columns().size());
    CHECK(counts == std::vector<std::size_t>{7, 9, 14, 6, 25, 8, 12, 8, 11, 7, 8, 8});
}
