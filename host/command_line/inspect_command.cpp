// The inspect command: the live schema as the catalog has it, canonical and sorted, tables and views.
// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <optional>

#include "command_line/cli.hpp"
#include "command_line/output.hpp"
#include "engine/inspection.hpp"

namespace migration_host {
namespace {

std::string column_list(const std::vector<std::string>& columns) {
    return fmt::format("({})", fmt::join(columns, ", "));
}

nlohmann::json optional_json(const std::optional<std::int64_t>& value) {
    return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

nlohmann::json columns_json(const std::vector<SchemaColumn>& columns) {
    nlohmann::json listed = nlohmann::json::array();
    for (const auto& column : columns) {
        listed.push_back({{"name", column.name},
                          {"type", column.type},
                          {"size", optional_json(column.size)},
                          {"scale", optional_json(column.scale)},
                          {"nullable", column.nullable},
                          {"default", column.default_value ? nlohmann::json(*column.default_value) : nullptr},
                          {"auto_increment", column.auto_increment}});
    }
    return listed;
}

nlohmann::json table_json(const SchemaTable& table, const DatabaseInfo& database) {
    nlohmann::json foreign_keys = nlohmann::json::array();
    for (const auto& key : table.foreign_keys) {
        foreign_keys.push_back({{"name", key.name.empty() ? nlohmann::json(nullptr) : nlohmann::json(key.name)},
                                {"columns", key.columns},
                                {"referenced_table", key.referenced_table},
                                {"referenced_columns", key.referenced_columns}});
    }
    nlohmann::json indexes = nlohmann::json::array();
    for (const auto& index : table.indexes) {
        indexes.push_back({{"name", index.name.empty() ? nlohmann::json(nullptr) : nlohmann::json(index.name)},
                           {"unique", index.unique},
                           {"columns", index.columns}});
    }
    nlohmann::json result = {{"name", table.name},
                             {"columns", columns_json(table.columns)},
                             {"primary_key", table.primary_key},
                             {"foreign_keys", std::move(foreign_keys)},
                             {"indexes", std::move(indexes)}};
    if (database.dialect == schema::Dialect::mysql) {
        result["engine"] = table.engine;
        result["charset"] = table.charset;
        result["collation"] = table.collation;
    }
    return result;
}

// One block per table: a heading, then one line per column, key and index, each line standing on its own (a
// script can grep for "  column size " or "  index ").
void print_table(const SchemaTable& table, const DatabaseInfo& database) {
    print_line(fmt::format("table {}", table.name));
    if (database.dialect == schema::Dialect::mysql) {
        print_line(fmt::format("  engine {}, charset {}, collation {}", table.engine, table.charset, table.collation));
    }
    for (const auto& column : table.columns)
        print_line(fmt::format("  column {} {}", column.name, definition_text(column)));
    if (!table.primary_key.empty()) print_line(fmt::format("  primary key {}", column_list(table.primary_key)));
    for (const auto& key : table.foreign_keys) {
        print_line(fmt::format("  foreign key {} -> {} {}{}", column_list(key.columns), key.referenced_table,
                               column_list(key.referenced_columns), key.name.empty() ? "" : " (" + key.name + ")"));
    }
    for (const auto& index : table.indexes) {
        print_line(fmt::format("  {}index {} {}", index.unique ? "unique " : "",
                               index.name.empty() ? "(unnamed)" : index.name, column_list(index.columns)));
    }
}

// A view's block: its heading and its columns, as a table's.
void print_view(const SchemaView& view) {
    print_line(fmt::format("view {}", view.name));
    for (const auto& column : view.columns)
        print_line(fmt::format("  column {} {}", column.name, definition_text(column)));
}

nlohmann::json database_json(const DatabaseInfo& database) {
    return {{"dialect", database.dialect.name()}, {"name", database.database_name}};
}

}  // namespace

ExitCode run_inspect(const Invocation& invocation) {
    const auto [database, schema] = inspect_schema(connection_options(invocation.global), invocation.options.tables);
    if (invocation.options.format == OutputFormat::json) {
        nlohmann::json tables = nlohmann::json::array();
        for (const auto& table : schema.tables) tables.push_back(table_json(table, database));
        nlohmann::json views = nlohmann::json::array();
        for (const auto& view : schema.views)
            views.push_back({{"name", view.name}, {"columns", columns_json(view.columns)}});
        print_json({{"database", database_json(database)}, {"tables", std::move(tables)}, {"views", std::move(views)}});
        return ExitCode::success;
    }
    if (schema.tables.empty() && schema.views.empty()) {
        print_line("No tables (other than the host's own).");
        return ExitCode::success;
    }
    bool first = true;
    const auto separate = [&first] {
        if (!first) print_line("");
        first = false;
    };
    for (const auto& table : schema.tables) {
        separate();
        print_table(table, database);
    }
    for (const auto& view : schema.views) {
        separate();
        print_view(view);
    }
    return ExitCode::success;
}

}  // namespace migration_host
