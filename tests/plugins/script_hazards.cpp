// Test plugin script_hazards: track hazards, steps whose SQL is hard to write into a script a native client runs (control characters, secret-shaped text, trailing comments, compound statements, invalid UTF-8, CR LF).
// SPDX-License-Identifier: Apache-2.0
#include <migration_host/operations.hpp>
#include <migration_host/plugin.hpp>
#include <migration_host/schema.hpp>

#include <cstdlib>
#include <string>

namespace {

using migration_host::sdk::Host;
using migration_host::sdk::Op;
using migration_host::sdk::PerDialect;
namespace schema = migration_host::schema;

schema::Table hazard_values() {
    return schema::Table("hazard_values",
                         {
                             schema::Column("id", schema::Integer()).primary_key(),
                             schema::Column("value", schema::String(200)),
                             schema::Column("password", schema::String(200)),
                         },
                         schema::TableOptions{"InnoDB", "utf8mb4"});
}

// A name holding ESC, which a terminal would act on (a text key: PostgreSQL would name a serial's sequence after it).
schema::Table escaped_name() {
    return schema::Table("esc\x1bname", {schema::Column("id", schema::String(8)).primary_key()},
                         schema::TableOptions{"InnoDB", "utf8mb4"});
}

// 1: values and names with control characters, a value shaped like a connection string with a password, and a
// column named password (UPDATE ... SET password = ?), none of which may reach the database changed.
void upgrade_001(Host& host) {
    Op op(host);
    op.create_table(hazard_values());
    op.insert("hazard_values", {"id", "value"},
              {
                  {"1", "carriage\rreturn"},
                  {"2", "escape \x1b[31mred\x1b[0m"},
                  {"3", "line\nbreak and\ttab"},
                  {"4", "host=a;password=s3cret;port=1"},
                  {"5", "it's -- not a comment; /* nor this */ ? nor a marker"},
                  {"7", "crlf\r\nline end"},
              });
    op.update("hazard_values", {{"password", "hunter2"}}, "id = ?", {"1"});
    op.execute("INSERT INTO hazard_values (id, value) VALUES (6, 'raw\rliteral\nwith PWD=x')");
    op.create_table(escaped_name());
}
void downgrade_001(Host& host) {
    Op op(host);
    op.drop_table(escaped_name().name());
    op.drop_table("hazard_values");
}

// 2: statements that end in a comment, which must not swallow the script's terminator.
void upgrade_002(Host& host) {
    Op op(host);
    op.execute("CREATE TABLE cmt (x INTEGER) -- the cmt table");
    op.execute(PerDialect{"INSERT INTO cmt (x) VALUES (1) -- one row", "INSERT INTO cmt (x) VALUES (1) # one row",
                          "INSERT INTO cmt (x) VALUES (1) -- one row"});
    op.execute("INSERT INTO cmt (x) VALUES (?) -- a bound row", {"2"});
}
void downgrade_002(Host& host) {
    Op(host).drop_table("cmt");
}

// 3: statements holding statements (a trigger's body; PostgreSQL's function), then a row that fires the trigger.
// MySQL's body holds the delimiters a script would reach for first.
void upgrade_003(Host& host) {
    Op op(host);
    op.execute(
        PerDialect{"CREATE TRIGGER hazard_values_upper AFTER INSERT ON hazard_values BEGIN\n"
                   "    UPDATE hazard_values SET value = upper(value) WHERE id = NEW.id;\n"
                   "    UPDATE hazard_values SET password = 'set; by trigger' WHERE id = NEW.id;\n"
                   "END",
                   "CREATE TRIGGER hazard_values_upper BEFORE INSERT ON hazard_values FOR EACH ROW BEGIN\n"
                   "    SET NEW.value = UPPER(NEW.value);\n"
                   "    SET NEW.password = 'set; by trigger $$ //';\n"
                   "END",
                   "CREATE FUNCTION hazard_values_upper() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                   "BEGIN\n"
                   "    NEW.value := upper(NEW.value);\n"
                   "    NEW.password := 'set; by trigger';\n"
                   "    RETURN NEW;\n"
                   "END $$"});
    op.execute(PerDialect{"", "",
                          "CREATE TRIGGER hazard_values_upper BEFORE INSERT ON hazard_values FOR EACH ROW "
                          "EXECUTE FUNCTION hazard_values_upper()"});
    op.insert("hazard_values", {"id", "value"}, {{"10", "fired"}});
}
void downgrade_003(Host& host) {
    Op op(host);
    op.execute("DELETE FROM hazard_values WHERE id = 10");
    op.execute(PerDialect{"DROP TRIGGER hazard_values_upper", "DROP TRIGGER hazard_values_upper",
                          "DROP TRIGGER hazard_values_upper ON hazard_values"});
    op.execute(PerDialect{"", "", "DROP FUNCTION hazard_values_upper()"});
}

// 4: a row that MIGRATION_HOST_TEST_HAZARD can make awkward: "invalid_utf8_value" (bound) or
// "invalid_utf8_statement" (written into the SQL), text that is not UTF-8; "crlf_statement", a CR LF line end
// written into a literal of the SQL. Otherwise the same row, plain.
void upgrade_004(Host& host) {
    Op op(host);
    const char* hazard = std::getenv("MIGRATION_HOST_TEST_HAZARD");
    const std::string mode = hazard == nullptr ? "" : hazard;
    if (mode == "invalid_utf8_statement") {
        op.execute("INSERT INTO hazard_values (id, value) VALUES (20, 'caf\xe9')");
    } else if (mode == "crlf_statement") {
        op.execute("INSERT INTO hazard_values (id, value) VALUES (20, 'two\r\nlines')");
    } else {
        op.insert("hazard_values", {"id", "value"}, {{"20", mode == "invalid_utf8_value" ? "caf\xe9" : "caf\xc3\xa9"}});
    }
}
void downgrade_004(Host& host) {
    Op(host).execute("DELETE FROM hazard_values WHERE id = 20");
}

namespace sdk = migration_host::sdk;

constexpr mh_migration v1 = sdk::Migration("hazards", 1, "001_awkward_text")
                                .upgrade(sdk::step<&upgrade_001>)
                                .downgrade(sdk::step<&downgrade_001>)
                                .build();
constexpr mh_migration v2 = sdk::Migration("hazards", 2, "002_trailing_comments")
                                .upgrade(sdk::step<&upgrade_002>)
                                .downgrade(sdk::step<&downgrade_002>)
                                .build();
constexpr mh_migration v3 = sdk::Migration("hazards", 3, "003_compound_statements")
                                .upgrade(sdk::step<&upgrade_003>)
                                .downgrade(sdk::step<&downgrade_003>)
                                .build();
constexpr mh_migration v4 = sdk::Migration("hazards", 4, "004_maybe_awkward_row")
                                .upgrade(sdk::step<&upgrade_004>)
                                .downgrade(sdk::step<&downgrade_004>)
                                .build();

const mh_migration* const migrations[] = {&v1, &v2, &v3, &v4};

constexpr mh_plugin_descriptor descriptor = sdk::make_descriptor(
    "script_hazards", "Steps hard to write into a script (test)", "1.0.0",
    "Track hazards: control characters, secret-shaped text, trailing comments, compound statements, invalid UTF-8, "
    "CR LF in a literal",
    migrations);

}  // namespace

MIGRATION_HOST_PLUGIN(descriptor)
