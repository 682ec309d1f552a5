// inspect on every backend: the schema against the database's own catalog tables; --table; JSON and text agree.
// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <tuple>

#include "cinder_schema_check.hpp"
#include "host_process.hpp"
#include "json_schema.hpp"
#include "test_database.hpp"

#ifndef CINDER_PLUGIN_DIR
#error "CINDER_PLUGIN_DIR must be defined by the build"
#endif

using namespace test_support;
using nlohmann::json;

namespace {

ProcessResult run_on(const TestDatabase& database, const std::vector<std::string>& arguments) {
    return run_host(host_run_on(database.connection_string(), {CINDER_PLUGIN_DIR}, arguments));
}

json inspect_json(const TestDatabase& database, std::vector<std::string> arguments = {}) {
    arguments.insert(arguments.begin(), {"inspect", "--format", "json"});
    const auto result = run_on(database, arguments);
    INFO(result.all());
    REQUIRE(result.exit_code == 0);
    return parse_against_schema(result.out, "inspect");
}

// inspect's type in the portable terms of cinder_schema_check (what the seed declares): each database's own name
// for the seed's types. MySQL's BOOLEAN is TINYINT(1); inspect drops the display width, which is no part of the type.
std::string portable_type(Backend backend, const json& column) {
    const std::string type = column.at("type");
    if (type == "varchar") return fmt::format("varchar({})", column.at("size").get<long long>());
    static const std::map<std::string, std::string> mysql = {{"int", "integer"}, {"tinyint", "boolean"}};
    static const std::map<std::string, std::string> postgresql = {
        {"int4", "integer"}, {"timestamp", "datetime"}, {"bool", "boolean"}};
    const auto& names = backend == Backend::mysql ? mysql : postgresql;
    if (backend != Backend::sqlite) {
        if (const auto found = names.find(type); found != names.end()) return found->second;
    }
    return type;
}

// The text block inspect prints for one table, rendered from its JSON as docs/drift.md documents it.
std::vector<std::string> text_block(const json& table, Backend backend) {
    std::vector<std::string> lines{fmt::format("table {}", table.at("name").get<std::string>())};
    if (backend == Backend::mysql) {
        lines.push_back(fmt::format("  engine {}, charset {}, collation {}", table.at("engine").get<std::string>(),
                                    table.at("charset").get<std::string>(), table.at("collation").get<std::string>()));
    }
    const auto list = [](const json& columns) {
        std::string text;
        for (const auto& column : columns) {
            if (!text.empty()) text += ", ";
            text += column.get<std::string>();
        }
        return "(" + text + ")";
    };
    for (const auto& column : table.at("columns")) {
        std::string type = column.at("type");
        if (!column.at("size").is_null()) {
            type += column.at("scale").is_null() ? fmt::format("({})", column.at("size").get<long long>())
                                                 : fmt::format("({},{})", column.at("size").get<long long>(),
                                                               column.at("scale").get<long long>());
        }
        lines.push_back(
            fmt::format("  column {} {} {}{}{}", column.at("name").get<std::string>(), type,
                        column.at("nullable").get<bool>() ? "NULL" : "NOT NULL",
                        column.at("default").is_null() ? "" : " DEFAULT " + column.at("default").get<std::string>(),
                        column.at("auto_increment").get<bool>() ? " AUTO_INCREMENT" : ""));
    }
    if (!table.at("primary_key").empty()) lines.push_back("  primary key " + list(table.at("primary_key")));
    for (const auto& key : table.at("foreign_keys")) {
        lines.push_back(fmt::format("  foreign key {} -> {} {}{}", list(key.at("columns")),
                                    key.at("referenced_table").get<std::string>(), list(key.at("referenced_columns")),
                                    key.at("name").is_null() ? "" : " (" + key.at("name").get<std::string>() + ")"));
    }
    for (const auto& index : table.at("indexes")) {
        lines.push_back(fmt::format("  {}index {} {}", index.at("unique").get<bool>() ? "unique " : "",
                                    index.at("name").is_null() ? "(unnamed)" : index.at("name").get<std::string>(),
                                    list(index.at("columns"))));
    }
    return lines;
}

// The whole text output: one block per table, a blank line between blocks.
std::vector<std::string> text_of(const json& document, Backend backend) {
    std::vector<std::string> lines;
    for (const auto& table : document.at("tables")) {
        if (!lines.empty()) lines.emplace_back();
        const auto block = text_block(table, backend);
        lines.insert(lines.end(), block.begin(), block.end());
    }
    return lines;
}

// inspect's JSON for one table against what the database's own catalog tables say (read_tables, an independent
// reader: sqlite_master and pragmas, information_schema, pg_catalog).
void check_table(const json& got, const TableInfo& want, Backend backend) {
    INFO("table " << want.name);
    REQUIRE(got.at("columns").size() == want.columns.size());
    for (std::size_t i = 0; i < want.columns.size(); ++i) {
        const json& column = got.at("columns").at(i);
        const ColumnInfo& expected = want.columns[i];
        INFO("column " << expected.name);
        CHECK(column.at("name") == expected.name);
        CHECK(portable_type(backend, column) == expected.type);
        CHECK(column.at("nullable") == expected.nullable);
        CHECK(!column.at("default").is_null() == expected.has_default);
        CHECK(column.at("auto_increment") == expected.autoincrement);
    }
    CHECK(got.at("primary_key").get<std::vector<std::string>>() == want.primary_key);
    std::vector<ForeignKeyInfo> foreign_keys;
    for (const auto& key : got.at("foreign_keys")) {
        REQUIRE(key.at("columns").size() == 1);  // the seed's keys have one column each
        foreign_keys.push_back(
            {key.at("columns").at(0), key.at("referenced_table"), key.at("referenced_columns").at(0)});
    }
    std::sort(foreign_keys.begin(), foreign_keys.end());
    CHECK(foreign_keys == want.foreign_keys);
    std::vector<std::string> indexes;
    for (const auto& index : got.at("indexes")) {
        std::string columns;
        for (const auto& column : index.at("columns")) {
            if (!columns.empty()) columns += ',';
            columns += column.get<std::string>();
        }
        indexes.push_back(fmt::format("{}({}){}", index.at("name").is_null() ? "" : index.at("name").get<std::string>(),
                                      columns, index.at("unique").get<bool>() ? " UNIQUE" : ""));
    }
    std::sort(indexes.begin(), indexes.end());
    CHECK(indexes == want.indexes);
    if (backend == Backend::mysql) {
        CHECK(got.at("engine") == want.mysql_engine);
        CHECK(got.at("collation") == want.mysql_collation);
    } else {
        CHECK_FALSE(got.contains("engine"));
    }
}

void check_inspect_after_cinder_upgrade(const TestDatabase& database) {
    const auto upgrade = run_on(database, {"upgrade"});
    INFO(upgrade.all());
    REQUIRE(upgrade.exit_code == 0);

    const json document = inspect_json(database);
    std::vector<std::string> names;
    for (const auto& table : document.at("tables")) names.push_back(table.at("name"));
    std::vector<std::string> seed_names;
    for (const auto& table : expected_cinder_tables()) seed_names.push_back(table.name);
    std::sort(seed_names.begin(), seed_names.end());
    // The seed's 12 tables, sorted, and not the host's own (migrate_version, migration_host_history).
    CHECK(names == seed_names);
    const auto catalog = read_tables(database);
    REQUIRE(catalog.size() == document.at("tables").size());
    for (const auto& want : catalog) {
        const auto got = std::find_if(document.at("tables").begin(), document.at("tables").end(),
                                      [&](const json& table) { return table.at("name") == want.name; });
        REQUIRE(got != document.at("tables").end());
        check_table(*got, want, database.backend());
    }

    const auto text = run_on(database, {"inspect"});
    INFO(text.all());
    REQUIRE(text.exit_code == 0);
    CHECK(lines_of(text.out) == text_of(document, database.backend()));

    // --table: only the tables named, in name order, each as the full listing has it; the text the same.
    const json filtered = inspect_json(database, {"--table", "volumes", "--table", "quotas"});
    REQUIRE(filtered.at("tables").size() == 2);
    for (const auto& table : filtered.at("tables")) {
        const auto full = std::find_if(document.at("tables").begin(), document.at("tables").end(),
                                       [&](const json& candidate) { return candidate.at("name") == table.at("name"); });
        REQUIRE(full != document.at("tables").end());
        CHECK(table == *full);
    }
    CHECK(filtered.at("tables").at(0).at("name") == "quotas");
    CHECK(filtered.at("tables").at(1).at("name") == "volumes");
    const auto filtered_text = run_on(database, {"inspect", "--table", "volumes", "--table", "quotas"});
    CHECK(lines_of(filtered_text.out) == text_of(filtered, database.backend()));

    // A table the database does not have is the database's state: exit 5, naming it, nothing on stdout.
    const auto missing = run_on(database, {"inspect", "--table", "volumes", "--table", "no_such_table"});
    INFO(missing.all());
    CHECK(missing.exit_code == 5);
    CHECK(missing.out.empty());
    const auto errors = error_lines(missing.err);
    REQUIRE(errors.size() == 1);
    CHECK(errors.front().find("no table no_such_table in the database") != std::string::npos);
}

// Keys and indexes of more than one column keep their order (the key's, not the table's); a UNIQUE constraint's
// index, a DECIMAL's precision and scale and a default are reported; the index behind a primary key is not.
void check_composite_keys(const TestDatabase& database) {
    database.execute("CREATE TABLE parent (a INTEGER NOT NULL, b VARCHAR(20) NOT NULL, PRIMARY KEY (b, a))");
    database.execute(
        "CREATE TABLE child (id INTEGER NOT NULL PRIMARY KEY, pa INTEGER NOT NULL, pb VARCHAR(20) NOT NULL, "
        "amount DECIMAL(10,2) DEFAULT 0 NOT NULL, note VARCHAR(40), FOREIGN KEY (pb, pa) REFERENCES parent (b, a), "
        "UNIQUE (note, id))");
    database.execute("CREATE INDEX ix_child_amount_note ON child (amount, note)");
    const json document = inspect_json(database);
    REQUIRE(document.at("tables").size() == 2);
    const json& child = document.at("tables").at(0);
    const json& parent = document.at("tables").at(1);
    const Backend backend = database.backend();
    CHECK(parent.at("primary_key") == json({"b", "a"}));
    CHECK(parent.at("indexes") == json::array());
    CHECK(child.at("primary_key") == json({"id"}));
    REQUIRE(child.at("foreign_keys").size() == 1);
    CHECK(child.at("foreign_keys").at(0).at("columns") == json({"pb", "pa"}));
    CHECK(child.at("foreign_keys").at(0).at("referenced_table") == "parent");
    CHECK(child.at("foreign_keys").at(0).at("referenced_columns") == json({"b", "a"}));
    const json& amount = child.at("columns").at(3);
    CHECK(amount.at("name") == "amount");
    CHECK(amount.at("type") == (backend == Backend::postgresql ? "numeric" : "decimal"));
    CHECK(amount.at("size") == 10);
    CHECK(amount.at("scale") == 2);
    CHECK(amount.at("nullable") == false);
    CHECK(amount.at("default") == (backend == Backend::mysql ? "0.00" : "0"));
    // Each database names a UNIQUE constraint's index its own way; SQLite's autoindex is reported unnamed.
    const json unique_name = backend == Backend::sqlite  ? json(nullptr)
                             : backend == Backend::mysql ? json("note")
                                                         : json("child_note_id_key");
    json indexes = {{{"name", "ix_child_amount_note"}, {"unique", false}, {"columns", {"amount", "note"}}},
                    {{"name", unique_name}, {"unique", true}, {"columns", {"note", "id"}}}};
    // MySQL indexes a foreign key's columns itself, naming the index after the first.
    if (backend == Backend::mysql) indexes.push_back({{"name", "pb"}, {"unique", false}, {"columns", {"pb", "pa"}}});
    std::sort(indexes.begin(), indexes.end(), [](const json& a, const json& b) {
        return std::make_tuple(a.at("name").is_null(), a.at("name").is_null() ? "" : a.at("name").get<std::string>()) <
               std::make_tuple(b.at("name").is_null(), b.at("name").is_null() ? "" : b.at("name").get<std::string>());
    });
    CHECK(child.at("indexes") == indexes);
}

// The text block inspect prints for one view, rendered from its JSON: a heading and its columns, as a table's.
std::vector<std::string> view_block(const json& view) {
    const json as_table = {{"name", view.at("name")},
                           {"columns", view.at("columns")},
                           {"primary_key", json::array()},
                           {"foreign_keys", json::array()},
                           {"indexes", json::array()}};
    std::vector<std::string> lines = text_block(as_table, Backend::sqlite);  // SQLite's: no engine line, as a view
    lines.front() = fmt::format("view {}", view.at("name").get<std::string>());
    return lines;
}

// The whole text output with views: the tables' blocks, then one block per view, a blank line between blocks.
std::vector<std::string> text_with_views(const json& document, Backend backend) {
    std::vector<std::string> lines = text_of(document, backend);
    for (const auto& view : document.at("views")) {
        if (!lines.empty()) lines.emplace_back();
        const auto block = view_block(view);
        lines.insert(lines.end(), block.begin(), block.end());
    }
    return lines;
}

// Views are listed after the tables, each with its columns in the view's order, in JSON and in text; --table names
// a view as it names a table.
void check_views(const TestDatabase& database) {
    database.execute("CREATE TABLE items (id INTEGER NOT NULL PRIMARY KEY, label VARCHAR(40), price DECIMAL(10,2))");
    database.execute("CREATE VIEW cheap_items AS SELECT label, id FROM items WHERE price < 10");
    const Backend backend = database.backend();
    const std::string integer = backend == Backend::sqlite ? "integer" : backend == Backend::mysql ? "int" : "int4";

    const json document = inspect_json(database);
    REQUIRE(document.at("tables").size() == 1);
    CHECK(document.at("tables").at(0).at("name") == "items");
    REQUIRE(document.contains("views"));
    REQUIRE(document.at("views").size() == 1);
    const json& view = document.at("views").at(0);
    CHECK(view.at("name") == "cheap_items");
    REQUIRE(view.at("columns").size() == 2);
    CHECK(view.at("columns").at(0).at("name") == "label");
    CHECK(view.at("columns").at(0).at("type") == "varchar");
    CHECK(view.at("columns").at(0).at("size") == 40);
    CHECK(view.at("columns").at(1).at("name") == "id");
    CHECK(view.at("columns").at(1).at("type") == integer);

    const auto text = run_on(database, {"inspect"});
    INFO(text.all());
    REQUIRE(text.exit_code == 0);
    CHECK(lines_of(text.out) == text_with_views(document, backend));
    CHECK(text.out.find("\nview cheap_items\n  column label varchar(40) ") != std::string::npos);

    const json only_view = inspect_json(database, {"--table", "cheap_items"});
    CHECK(only_view.at("tables") == json::array());
    CHECK(only_view.at("views") == document.at("views"));
    const auto only_view_text = run_on(database, {"inspect", "--table", "cheap_items"});
    CHECK(lines_of(only_view_text.out) == view_block(view));
}

std::unique_ptr<TestDatabase> database_for(Backend backend) {
    return TestDatabase::create(backend);
}

}  // namespace

TEST_CASE("sqlite: inspect lists cinder_initial's tables as the catalog has them, filters by --table",
          "[sqlite][inspect]") {
    const auto database = database_for(Backend::sqlite);
    check_inspect_after_cinder_upgrade(*database);
}

TEST_CASE("mysql: inspect lists cinder_initial's tables as the catalog has them, filters by --table",
          "[mysql][inspect]") {
    const auto database = database_for(Backend::mysql);
    if (!database) return;
    check_inspect_after_cinder_upgrade(*database);
}

TEST_CASE("postgresql: inspect lists cinder_initial's tables as the catalog has them, filters by --table",
          "[postgresql][inspect]") {
    const auto database = database_for(Backend::postgresql);
    if (!database) return;
    check_inspect_after_cinder_upgrade(*database);
}

TEST_CASE("sqlite: inspect keeps composite keys in key order and reports unique constraints and decimals",
          "[sqlite][inspect]") {
    const auto database = database_for(Backend::sqlite);
    check_composite_keys(*database);
}

TEST_CASE("mysql: inspect keeps composite keys in key order and reports unique constraints and decimals",
          "[mysql][inspect]") {
    const auto database = database_for(Backend::mysql);
    if (!database) return;
    check_composite_keys(*database);
}

TEST_CASE("postgresql: inspect keeps composite keys in key order and reports unique constraints and decimals",
          "[postgresql][inspect]") {
    const auto database = database_for(Backend::postgresql);
    if (!database) return;
    check_composite_keys(*database);
}

TEST_CASE("sqlite: inspect lists views after the tables, with their columns", "[sqlite][inspect]") {
    const auto database = database_for(Backend::sqlite);
    check_views(*database);
}

TEST_CASE("mysql: inspect lists views after the tables, with their columns", "[mysql][inspect]") {
    const auto database = database_for(Backend::mysql);
    if (!database) return;
    check_views(*database);
}

TEST_CASE("postgresql: inspect lists views after the tables, with their columns", "[postgresql][inspect]") {
    const auto database = database_for(Backend::postgresql);
    if (!database) return;
    check_views(*database);
}
