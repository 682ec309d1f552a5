// The operations SDK: rendering per dialect, every operation on real databases through the host's C API, and ABI 1.2 against a 1.1 host.
// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <migration_host/operations.hpp>
#include <migration_host/render.hpp>

#include <boost/dll/shared_library.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "database/database.hpp"
#include "plugins/host_api.hpp"
#include "test_database.hpp"

#ifndef GRIZZLY_PLUGIN_FILE
#error "GRIZZLY_PLUGIN_FILE must be defined by the build"
#endif

using namespace migration_host::schema;
namespace render = migration_host::render;
namespace sdk = migration_host::sdk;
using test_support::Backend;
using test_support::TestDatabase;

namespace {

const Column k_name = Column("name", String(50)).nullable(false).server_default("'none'");

// --- rendering ---

TEST_CASE("add_column renders type, default, NOT NULL and a foreign key per dialect", "[operations]") {
    const Column column = Column("source_volid", String(36), ForeignKey("volumes.id").named("fk_src").on_delete("CASCADE"))
                              .server_default("'x'")
                              .nullable(false);
    CHECK(render::add_column(Dialect::sqlite, "volumes", column) ==
          std::vector<std::string>{"ALTER TABLE volumes ADD COLUMN source_volid VARCHAR(36) DEFAULT 'x' NOT NULL "
                                   "REFERENCES volumes (id) ON DELETE CASCADE"});
    CHECK(render::add_column(Dialect::mysql, "volumes", column) ==
          std::vector<std::string>{
              "ALTER TABLE volumes ADD COLUMN source_volid VARCHAR(36) DEFAULT 'x' NOT NULL",
              "ALTER TABLE volumes ADD CONSTRAINT fk_src FOREIGN KEY(source_volid) REFERENCES volumes (id) ON DELETE "
              "CASCADE"});
    CHECK(render::add_column(Dialect::postgresql, "user", Column("size", BigInteger())) ==
          std::vector<std::string>{"ALTER TABLE \"user\" ADD COLUMN \"size\" BIGINT"});
}

TEST_CASE("alter_column: PostgreSQL one statement per aspect, MySQL one MODIFY/CHANGE, SQLite only renames",
          "[operations]") {
    const Column existing = Column("volume_type_id", Integer());
    render::ColumnChange change;
    change.type = String(36);
    change.nullable = false;
    change.server_default = std::optional<std::string>("'0'");
    change.postgresql_using = "CAST(volume_type_id AS VARCHAR)";
    CHECK(render::alter_column(Dialect::postgresql, "volumes", existing, change) ==
          std::vector<std::string>{
              "ALTER TABLE volumes ALTER COLUMN volume_type_id TYPE VARCHAR(36) USING CAST(volume_type_id AS VARCHAR)",
              "ALTER TABLE volumes ALTER COLUMN volume_type_id SET NOT NULL",
              "ALTER TABLE volumes ALTER COLUMN volume_type_id SET DEFAULT '0'"});
    CHECK(render::alter_column(Dialect::mysql, "volumes", existing, change) ==
          std::vector<std::string>{"ALTER TABLE volumes MODIFY volume_type_id VARCHAR(36) DEFAULT '0' NOT NULL"});
    CHECK_THROWS_AS(render::alter_column(Dialect::sqlite, "volumes", existing, change), render::Unsupported);

    render::ColumnChange rename;
    rename.new_name = "type_id";
    CHECK(render::alter_column(Dialect::mysql, "volumes", existing, rename) ==
          std::vector<std::string>{"ALTER TABLE volumes CHANGE volume_type_id type_id INTEGER NULL"});
    CHECK(render::alter_column(Dialect::sqlite, "volumes", existing, rename) ==
          std::vector<std::string>{"ALTER TABLE volumes RENAME COLUMN volume_type_id TO type_id"});

    render::ColumnChange drop_default;
    drop_default.server_default = std::optional<std::string>();
    CHECK(render::alter_column(Dialect::mysql, "t", k_name, drop_default) ==
          std::vector<std::string>{"ALTER TABLE t ALTER COLUMN name DROP DEFAULT"});

    render::ColumnChange autoincrement;
    autoincrement.type = Integer();
    autoincrement.mysql_autoincrement = true;
    CHECK(render::alter_column(Dialect::mysql, "volume_types", Column("id", String(36)).primary_key(), autoincrement) ==
          std::vector<std::string>{"ALTER TABLE volume_types MODIFY id INTEGER NOT NULL AUTO_INCREMENT"});
}

TEST_CASE("indexes, unique constraints and foreign keys render per dialect, quoting every identifier",
          "[operations]") {
    CHECK(render::drop_index(Dialect::mysql, "order", "ix") == "DROP INDEX ix ON `order`");
    CHECK(render::drop_index(Dialect::postgresql, "order", "ix") == "DROP INDEX ix");
    CHECK(render::create_index(Dialect::sqlite, "t", {"ix", {"a", "Key"}, true}) ==
          "CREATE UNIQUE INDEX ix ON t (a, \"Key\")");
    CHECK(render::add_unique_constraint(Dialect::postgresql, "t", {"uq", {"a", "b"}}) ==
          "ALTER TABLE t ADD CONSTRAINT uq UNIQUE (a, b)");
    CHECK(render::add_unique_constraint(Dialect::sqlite, "t", {"uq", {"a"}}) == "CREATE UNIQUE INDEX uq ON t (a)");
    CHECK(render::drop_unique_constraint(Dialect::mysql, "t", "uq") == "ALTER TABLE t DROP INDEX uq");
    CHECK(render::drop_unique_constraint(Dialect::postgresql, "t", "uq") == "ALTER TABLE t DROP CONSTRAINT uq");
    const ForeignKeyConstraint fk{"fk_ab", {"a", "b"}, "p", {"x", "y"}, "SET NULL"};
    CHECK(render::add_foreign_key(Dialect::postgresql, "t", fk) ==
          "ALTER TABLE t ADD CONSTRAINT fk_ab FOREIGN KEY(a, b) REFERENCES p (x, y) ON DELETE SET NULL");
    CHECK(render::drop_foreign_key(Dialect::mysql, "t", "fk_ab") == "ALTER TABLE t DROP FOREIGN KEY fk_ab");
    CHECK(render::drop_foreign_key(Dialect::postgresql, "t", "fk_ab") == "ALTER TABLE t DROP CONSTRAINT fk_ab");
    CHECK_THROWS_AS(render::add_foreign_key(Dialect::sqlite, "t", fk), render::Unsupported);
    CHECK(render::rename_table(Dialect::mysql, "a", "select") == "ALTER TABLE a RENAME TO `select`");
}

TEST_CASE("a SQLite rebuild copies through a temporary table and recreates the indexes", "[operations]") {
    TableOptions options;
    options.indexes = {{"ix_t_b", {"b"}, false}};
    const Table target("t", {Column("id", Integer()).primary_key(), Column("b", String(36))}, options);
    CHECK(render::sqlite_rebuild(target, {{"id", "id"}, {"b", "b"}}) ==
          std::vector<std::string>{
              "CREATE TEMPORARY TABLE _mh_rebuild_t AS SELECT id AS id, b AS b FROM t",
              "DROP TABLE t",
              "\nCREATE TABLE t (\n\tid INTEGER NOT NULL, \n\tb VARCHAR(36), \n\tPRIMARY KEY (id)\n)\n\n",
              "INSERT INTO t (id, b) SELECT id, b FROM _mh_rebuild_t",
              "DROP TABLE _mh_rebuild_t",
              "CREATE INDEX ix_t_b ON t (b)",
          });
}

TEST_CASE("schema types, server defaults, CHECKed booleans, UNIQUE and named composite keys in CREATE TABLE",
          "[operations]") {
    TableOptions options;
    options.foreign_keys = {{"fk_pair", {"a", "b"}, "p", {"x", "y"}, "CASCADE"}};
    options.unique_constraints = {{"uq_ab", {"a", "b"}}};
    const Table table("t",
                      {Column("a", Integer()), Column("b", Integer()), Column("f", Float()),
                       Column("n", Numeric(10, 2)), Column("d", Date()), Column("deleted", CheckedBoolean()),
                       Column("c", String(5)).unique().server_default("'x'")},
                      options);
    CHECK(table.create_sql(Dialect::mysql) ==
          "\nCREATE TABLE t (\n\ta INTEGER, \n\tb INTEGER, \n\tf FLOAT, \n\tn NUMERIC(10, 2), \n\td DATE, \n"
          "\tdeleted BOOL, \n\tc VARCHAR(5) DEFAULT 'x', \n\tCHECK (deleted IN (0, 1)), \n"
          "\tCONSTRAINT fk_pair FOREIGN KEY(a, b) REFERENCES p (x, y) ON DELETE CASCADE, \n\tUNIQUE (c), \n"
          "\tCONSTRAINT uq_ab UNIQUE (a, b)\n)\n\n");
    // PostgreSQL's boolean is native: no CHECK.
    CHECK(table.create_sql(Dialect::postgresql).find("CHECK") == std::string::npos);
    CHECK_THROWS_AS(ForeignKey("p.x").on_delete("EXPLODE"), std::invalid_argument);
}

// --- real databases, through the host's own C API ---

// Runs `body` as one step on `database`, the way apply_step runs a step: inside a
// transaction where DDL is transactional.
std::function<void(sdk::Host&)>* g_body = nullptr;
int32_t body_step(const mh_host_api* api, mh_host_context* context) {
    return sdk::guard(api, context, [](sdk::Host& host) { (*g_body)(host); });
}
migration_host::StepResult run_step(const TestDatabase& database, std::function<void(sdk::Host&)> body,
                                    mh_step_fn step = &body_step) {
    migration_host::odbc::Connection connection(test_support::odbc_environment(), database.connection_string(), 15);
    const auto info = migration_host::describe_database(connection);
    migration_host::StepExecutor executor(&connection, info);
    g_body = &body;
    if (!info.dialect.transactional_ddl()) return executor.run(step, "test step", "");
    migration_host::odbc::Transaction transaction(connection);
    auto result = executor.run(step, "test step", "");
    if (result.succeeded) transaction.commit();
    return result;
}
void run_ok(const TestDatabase& database, std::function<void(sdk::Host&)> body) {
    const auto result = run_step(database, std::move(body));
    INFO(result.error);
    REQUIRE(result.succeeded);
}

std::vector<std::string> column_names(const TestDatabase& database, const std::string& table) {
    std::string sql;
    switch (database.backend()) {
        case Backend::sqlite: sql = "SELECT name FROM pragma_table_info(?) ORDER BY cid"; break;
        case Backend::mysql:
            sql = "SELECT column_name FROM information_schema.columns WHERE table_schema = DATABASE() AND "
                  "table_name = ? ORDER BY ordinal_position";
            break;
        case Backend::postgresql:
            sql = "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND "
                  "table_name = ? ORDER BY ordinal_position";
            break;
    }
    std::vector<std::string> names;
    for (const auto& row : database.query(sql, {table})) names.push_back(row[0].value_or(""));
    return names;
}

Table parent_table(const Column& status) {
    return Table("parent", {Column("id", Integer()).primary_key(), k_name, Column("code", String(10)), status});
}
Table child_table(std::optional<ForeignKey> key, bool with_ratio = true) {
    std::vector<Column> columns = {Column("id", Integer()).primary_key(),
                                   Column("parent_id", Integer()).with_foreign_key(key), Column("note", Text()),
                                   Column("amount", Numeric(10, 2)), Column("day", Date()),
                                   Column("big", BigInteger())};
    if (with_ratio) columns.emplace_back("ratio", Float());
    return Table("child", std::move(columns));
}

void check_every_operation(const TestDatabase& database) {
    const ForeignKey cascade = ForeignKey("parent.id").named("fk_child_parent").on_delete("CASCADE");
    run_ok(database, [&](sdk::Host& host) {
        const sdk::Op op(host);
        op.create_table(Table("parent", {Column("id", Integer()).primary_key(), k_name, Column("code", String(10))}));
        op.create_table(child_table(cascade));
        op.insert("parent", {"id", "name", "code"}, {{"1", "a", "A"}, {"2", "O'Brien", std::nullopt}});
        op.insert("child", {"id", "parent_id", "note", "amount", "day", "big", "ratio"},
                  {{"10", "1", std::nullopt, "1.50", "2024-01-02", "9000000000", "0.5"},
                   {"11", "2", "x", "2.25", "2024-02-03", "1", "1.5"}});
        op.update("parent", {{"code", std::string("B")}}, "name = ?", {std::string("O'Brien")});
        CHECK(op.rows("SELECT code FROM parent WHERE id = ?", {std::string("2")}) ==
              sdk::Rows{{std::string("B")}});
        // A new NOT NULL column with a default fills the existing rows.
        op.add_column("parent", Column("status", String(20)).server_default("'new'").nullable(false));
    });
    CHECK(database.query("SELECT status FROM parent ORDER BY id").size() == 2);
    CHECK(database.scalar("SELECT COUNT(*) FROM parent WHERE status = 'new'") == std::optional<std::string>("2"));

    const Column status_v1 = Column("status", String(20)).server_default("'new'").nullable(false);
    run_ok(database, [&](sdk::Host& host) {
        const sdk::Op op(host);
        render::ColumnChange relax;
        relax.nullable = true;
        relax.server_default = std::optional<std::string>();
        op.alter_column(parent_table(status_v1), "status", relax);  // a rebuild on SQLite
        render::ColumnChange rename;
        rename.new_name = "state";
        op.alter_column(parent_table(Column("status", String(20))), "status", rename);
        op.execute("INSERT INTO parent (id, name) VALUES (3, 'c')");  // status now optional, name defaulted
        op.create_unique_constraint("parent", {"uq_parent_code", {"code"}});
        op.create_index("child", {"ix_child_note", {"note"}});
    });
    CHECK(column_names(database, "parent") == std::vector<std::string>{"id", "name", "code", "state"});
    CHECK(database.scalar("SELECT state FROM parent WHERE id = 3") == std::nullopt);
    const auto duplicate = run_step(database, [](sdk::Host& host) {
        sdk::Op(host).execute("INSERT INTO parent (id, name, code) VALUES (4, 'd', 'A')");
    });
    CHECK_FALSE(duplicate.succeeded);  // the unique constraint holds

    run_ok(database, [&](sdk::Host& host) {
        const sdk::Op op(host);
        op.drop_unique_constraint("parent", "uq_parent_code");
        op.drop_index("child", "ix_child_note");
        const auto name = op.foreign_key_name("child", {"parent_id"}, "parent");
        REQUIRE(name.has_value());
        CHECK(*name == (op.dialect() == Dialect::sqlite ? "" : "fk_child_parent"));
        op.drop_foreign_key_to(child_table(cascade), {"parent_id"}, "parent");
        CHECK_FALSE(op.foreign_key_name("child", {"parent_id"}, "parent").has_value());
        op.create_foreign_key(child_table(std::nullopt), {"fk_again", {"parent_id"}, "parent", {"id"}, ""});
        CHECK(op.foreign_key_name("child", {"parent_id"}, "parent").has_value());
        TableOptions with_key;
        with_key.foreign_keys = {{"fk_again", {"parent_id"}, "parent", {"id"}, ""}};
        const Table child(child_table(std::nullopt).name(), child_table(std::nullopt).columns(), with_key);
        op.drop_column(child, "ratio");
        op.rename_table("child", "kid");
    });
    CHECK(column_names(database, "kid") == std::vector<std::string>{"id", "parent_id", "note", "amount", "day", "big"});
    // No row was lost on the way, and the values kept their meaning.
    CHECK(database.scalar("SELECT COUNT(*) FROM kid") == std::optional<std::string>("2"));
    CHECK(database.scalar("SELECT big FROM kid WHERE id = 10") == std::optional<std::string>("9000000000"));
    CHECK(database.scalar("SELECT name FROM parent WHERE id = 2") == std::optional<std::string>("O'Brien"));

    run_ok(database, [](sdk::Host& host) {
        const sdk::Op op(host);
        op.execute(sdk::PerDialect{"DELETE FROM kid WHERE note IS NULL", "DELETE FROM kid WHERE note IS NULL",
                                   "DELETE FROM kid WHERE note IS NULL"});
        op.drop_table("kid");
        op.drop_table("parent");
    });
    CHECK(column_names(database, "parent").empty());
}

TEST_CASE("sqlite: every operation on a real database", "[sqlite][operations]") {
    const auto database = TestDatabase::create(Backend::sqlite);
    if (!database) return;
    check_every_operation(*database);
}
TEST_CASE("mysql: every operation on a real database", "[mysql][operations]") {
    const auto database = TestDatabase::create(Backend::mysql);
    if (!database) return;
    check_every_operation(*database);
}
TEST_CASE("postgresql: every operation on a real database", "[postgresql][operations]") {
    const auto database = TestDatabase::create(Backend::postgresql);
    if (!database) return;
    check_every_operation(*database);
}

TEST_CASE("sqlite: a rebuild with foreign keys enforced refuses when an ON DELETE action would run",
          "[sqlite][operations]") {
    const auto database = TestDatabase::create(Backend::sqlite);
    if (!database) return;
    database->execute("CREATE TABLE parent (id INTEGER NOT NULL, name VARCHAR(50), PRIMARY KEY (id))");
    database->execute("CREATE TABLE child (id INTEGER NOT NULL, parent_id INTEGER REFERENCES parent (id) ON DELETE "
                      "CASCADE, PRIMARY KEY (id))");
    database->execute("INSERT INTO parent VALUES (1, 'a')");
    database->execute("INSERT INTO child VALUES (1, 1)");
    const Table parent("parent", {Column("id", Integer()).primary_key(), Column("name", String(50))});
    const std::string enforced = database->connection_string() + ";FKSupport=1";
    migration_host::odbc::Connection connection(test_support::odbc_environment(), enforced, 15);
    const auto info = migration_host::describe_database(connection);
    migration_host::StepExecutor executor(&connection, info);
    std::function<void(sdk::Host&)> body = [&](sdk::Host& host) { sdk::Op(host).drop_column(parent, "name"); };
    g_body = &body;
    migration_host::odbc::Transaction transaction(connection);
    const auto result = executor.run(&body_step, "test step", "");
    CHECK_FALSE(result.succeeded);
    CHECK(result.error.find("table 'child' refers to it with an ON DELETE action") != std::string::npos);
    CHECK(database->scalar("SELECT COUNT(*) FROM child") == std::optional<std::string>("1"));
}

TEST_CASE("sqlite: a rebuild refuses a table definition that differs from the database's", "[sqlite][operations]") {
    const auto database = TestDatabase::create(Backend::sqlite);
    if (!database) return;
    database->execute("CREATE TABLE t (id INTEGER NOT NULL, a VARCHAR(5), b VARCHAR(5), PRIMARY KEY (id))");
    const auto result = run_step(*database, [](sdk::Host& host) {
        sdk::Op(host).drop_column(Table("t", {Column("id", Integer()).primary_key(), Column("a", String(5))}), "a");
    });
    CHECK_FALSE(result.succeeded);
    CHECK(result.error == "cannot rebuild table 't': the step describes columns (id,a) but the database has (id,a,b)");
    CHECK(column_names(*database, "t") == std::vector<std::string>{"id", "a", "b"});
}

TEST_CASE("sqlite: a rebuild refuses a table with triggers, which DROP TABLE would lose", "[sqlite][operations]") {
    const auto database = TestDatabase::create(Backend::sqlite);
    if (!database) return;
    database->execute("CREATE TABLE t (id INTEGER NOT NULL, a VARCHAR(5), PRIMARY KEY (id))");
    database->execute("CREATE TABLE audit (id INTEGER)");
    database->execute("CREATE TRIGGER t_audit AFTER INSERT ON t BEGIN INSERT INTO audit VALUES (new.id); END");
    const auto result = run_step(*database, [](sdk::Host& host) {
        sdk::Op(host).drop_column(Table("t", {Column("id", Integer()).primary_key(), Column("a", String(5))}), "a");
    });
    CHECK_FALSE(result.succeeded);
    CHECK(result.error == "cannot rebuild table 't': it has trigger 't_audit', which the rebuild would drop; drop it "
                          "first and recreate it after");
    CHECK(database->scalar("SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger'") ==
          std::optional<std::string>("1"));
}

// --- ABI 1.2 ---

TEST_CASE("offline, bound values are recorded beside the statement, never substituted", "[operations][abi]") {
    migration_host::DatabaseInfo info;
    info.dialect = migration_host::schema::Dialect::postgresql;
    migration_host::StepExecutor executor(nullptr, info);
    std::function<void(sdk::Host&)> body = [](sdk::Host& host) {
        sdk::Op(host).update("t", {{"a", std::string("it's */ here")}, {"b", std::nullopt}}, "id = ?",
                             {std::string("7")});
    };
    g_body = &body;
    REQUIRE(executor.run(&body_step, "offline", "").succeeded);
    CHECK(executor.recorded() ==
          std::vector<std::string>{"UPDATE t SET a = ?, b = ? WHERE id = ? /* bound: 'it''s * / here', NULL, '7' */"});
}

// A real 1.2 plugin step (cinder_grizzly's 004) called by a host that only has the
// 1.1 API: the table ends before the 1.2 members (their pointers NULL, as nothing
// is there on a real 1.1 host).
mh_step_fn g_inner = nullptr;
int32_t as_1_1_host(const mh_host_api* api, mh_host_context* context) {
    mh_host_api old_host = *api;
    old_host.struct_size = MH_HOST_API_SIZE_1_1;
    old_host.abi_minor = 1;
    old_host.sql_exec_params = nullptr;
    old_host.query_run_params = nullptr;
    return g_inner(&old_host, context);
}

TEST_CASE("sqlite: a 1.2 plugin's step on a 1.1 host fails with a clear message and changes nothing",
          "[sqlite][operations][abi]") {
    const auto database = TestDatabase::create(Backend::sqlite);
    if (!database) return;
    database->execute("CREATE TABLE marker (id INTEGER)");
    boost::dll::shared_library library(std::string(GRIZZLY_PLUGIN_FILE), boost::dll::load_mode::rtld_now);
    auto& entry = library.get<const mh_plugin_descriptor*(std::uint32_t, std::uint32_t)>(MH_PLUGIN_ENTRY_SYMBOL);
    // The plugin serves a 1.1 host (it checks for what it needs step by step).
    const mh_plugin_descriptor* descriptor = entry(1, 1);
    REQUIRE(descriptor != nullptr);
    CHECK(descriptor->abi_minor == MH_ABI_VERSION_MINOR);  // built with this SDK: 1.2 (bound parameters) or later
    for (std::uint32_t i = 0; i < descriptor->migration_count; ++i) {
        if (descriptor->migrations[i]->version == 4) g_inner = descriptor->migrations[i]->upgrade;
    }
    REQUIRE(g_inner != nullptr);
    const auto result = run_step(*database, [](sdk::Host&) {}, &as_1_1_host);
    CHECK_FALSE(result.succeeded);
    CHECK(result.error ==
          "this step needs bound parameters (004_volume_type_to_uuid renumbers with bound values, ABI 1.2) but the "
          "host offers ABI 1.1; upgrade migration-host");
    CHECK(column_names(*database, "marker") == std::vector<std::string>{"id"});
}

TEST_CASE("the earlier layouts' sizes are where each minor version ended", "[abi]") {
    CHECK(MH_MIGRATION_SIZE_1_0 == offsetof(mh_migration, checksum));
    CHECK(MH_MIGRATION_SIZE_1_1 == sizeof(mh_migration));
    CHECK(MH_HOST_API_SIZE_1_1 == offsetof(mh_host_api, sql_exec_params));
    CHECK(MH_HOST_API_SIZE_1_2 == offsetof(mh_host_api, progress_report));
    CHECK(MH_HOST_API_SIZE_1_3 == MH_HOST_API_SIZE_1_2);  // 1.3 added a flag, and no member
    CHECK(MH_HOST_API_SIZE_1_3 < sizeof(mh_host_api));
    CHECK(migration_host::StepExecutor::api().struct_size == sizeof(mh_host_api));
    CHECK(migration_host::StepExecutor::api().abi_minor == 4);
    CHECK(migration_host::StepExecutor::api().progress_report != nullptr);
}

// --- ABI 1.4 ---

// A host of 1.3, whose table ends before progress_report (the member NULL, as nothing is there on a real 1.3 host).
int32_t as_1_3_host(const mh_host_api* api, mh_host_context* context) {
    mh_host_api old_host = *api;
    old_host.struct_size = MH_HOST_API_SIZE_1_3;
    old_host.abi_minor = 3;
    old_host.progress_report = nullptr;
    return body_step(&old_host, context);
}

TEST_CASE("sqlite: a 1.4 SDK step that reports progress runs on a 1.3 host, its reports left out",
          "[sqlite][operations][abi]") {
    const auto database = TestDatabase::create(Backend::sqlite);
    if (!database) return;
    database->execute("CREATE TABLE t (id INTEGER, note TEXT)");
    bool had_progress = true;
    const auto result = run_step(
        *database,
        [&](sdk::Host& host) {
            had_progress = host.has_progress();
            sdk::Op(host).insert("t", {"id", "note"}, {{"1", "a"}, {"2", "b"}, {"3", std::nullopt}});
            host.progress(3, 3, "rows");
        },
        &as_1_3_host);
    INFO(result.error);
    CHECK(result.succeeded);
    CHECK_FALSE(had_progress);
    CHECK(database->scalar("SELECT COUNT(*) FROM t") == std::optional<std::string>("3"));
}

}  // namespace

namespace {

struct RecordingSink final : migration_host::ProgressSink {
    std::vector<std::string> reports;
    void report(std::uint64_t done, std::uint64_t total, std::string_view unit) noexcept override {
        reports.push_back(std::to_string(done) + "/" + std::to_string(total) + " " + std::string(unit));
    }
};

}  // namespace

TEST_CASE("sqlite: a step's first progress report reaches the host's sink at once, as given, and offline none does",
          "[sqlite][operations][abi]") {
    const auto database = TestDatabase::create(Backend::sqlite);
    if (!database) return;
    migration_host::odbc::Connection connection(test_support::odbc_environment(), database->connection_string(), 15);
    const auto info = migration_host::describe_database(connection);
    RecordingSink sink;
    std::function<void(sdk::Host&)> body = [](sdk::Host& host) {
        // The first passes; the rest fall within the host's interval after it, or pass later: never more than
        // reported, never out of order, each as given.
        host.api()->progress_report(host.context(), 12000, 0, nullptr);
        for (std::uint64_t done = 1; done <= 3; ++done) host.progress(done, 3, "rows");
    };
    g_body = &body;

    migration_host::StepExecutor online(&connection, info);
    online.set_progress_sink(&sink);
    REQUIRE(online.run(&body_step, "online", "").succeeded);
    REQUIRE_FALSE(sink.reports.empty());
    CHECK(sink.reports.front() == "12000/0 items");
    CHECK(sink.reports.size() <= 4);
    char last = '0';
    for (std::size_t i = 1; i < sink.reports.size(); ++i) {
        const std::string& report = sink.reports[i];
        CHECK(report.substr(1) == "/3 rows");
        CHECK(report[0] > last);  // in order: an earlier report never comes after a later one
        last = report[0];
    }

    sink.reports.clear();
    migration_host::StepExecutor offline(nullptr, info);
    offline.set_progress_sink(&sink);
    REQUIRE(offline.run(&body_step, "offline", "").succeeded);
    CHECK(sink.reports.empty());
}
