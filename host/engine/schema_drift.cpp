// Compares the schema the applied steps should have left with the live one: every difference, one line each.
// SPDX-License-Identifier: Apache-2.0
#include "engine/schema_drift.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>

namespace migration_host {
namespace {

std::string column_list(const std::vector<std::string>& columns) {
    return fmt::format("({})", fmt::join(columns, ", "));
}

std::string foreign_key_text(const SchemaForeignKey& key) {
    return fmt::format("{} -> {} {}", column_list(key.columns), key.referenced_table,
                       column_list(key.referenced_columns));
}

std::string index_text(const SchemaIndex& index) {
    return fmt::format("{}{}", index.unique ? "UNIQUE " : "", column_list(index.columns));
}

// An unnamed index (SQLite's own, for a UNIQUE constraint) is known by its columns.
std::string index_key(const SchemaIndex& index) {
    return index.name.empty() ? "unique constraint " + column_list(index.columns) : index.name;
}

struct Differences {
    std::vector<SchemaDifference> list;
    void add(const std::string& table, std::string kind, std::string object, std::string attribute,
             std::string expected, std::string found) {
        list.push_back(
            {table, std::move(kind), std::move(object), std::move(attribute), std::move(expected), std::move(found)});
    }
};

// A table's or a view's columns, `relation` naming it.
void compare_columns(const std::string& relation, const std::vector<SchemaColumn>& expected,
                     const std::vector<SchemaColumn>& live, Differences& out) {
    for (const auto& want : expected) {
        const auto got = std::find_if(live.begin(), live.end(),
                                      [&](const SchemaColumn& column) { return column.name == want.name; });
        if (got == live.end()) {
            out.add(relation, "column_missing", want.name, "", definition_text(want), "");
            continue;
        }
        if (type_text(want) != type_text(*got)) {
            out.add(relation, "column_changed", want.name, "type", type_text(want), type_text(*got));
        }
        if (want.nullable != got->nullable) {
            out.add(relation, "column_changed", want.name, "nullable", want.nullable ? "NULL" : "NOT NULL",
                    got->nullable ? "NULL" : "NOT NULL");
        }
        if (want.default_value != got->default_value) {
            out.add(relation, "column_changed", want.name, "default", want.default_value.value_or("(none)"),
                    got->default_value.value_or("(none)"));
        }
        if (want.auto_increment != got->auto_increment) {
            out.add(relation, "column_changed", want.name, "auto_increment", want.auto_increment ? "yes" : "no",
                    got->auto_increment ? "yes" : "no");
        }
    }
    for (const auto& got : live) {
        const bool known = std::any_of(expected.begin(), expected.end(),
                                       [&](const SchemaColumn& column) { return column.name == got.name; });
        if (!known) out.add(relation, "column_extra", got.name, "", "", definition_text(got));
    }
}

void compare_keys(const SchemaTable& expected, const SchemaTable& live, Differences& out) {
    if (expected.primary_key != live.primary_key) {
        out.add(expected.name, "primary_key_changed", "", "",
                expected.primary_key.empty() ? "(none)" : column_list(expected.primary_key),
                live.primary_key.empty() ? "(none)" : column_list(live.primary_key));
    }
    for (const auto& key : expected.foreign_keys) {
        if (std::find(live.foreign_keys.begin(), live.foreign_keys.end(), key) == live.foreign_keys.end()) {
            out.add(expected.name, "foreign_key_missing", foreign_key_text(key), "", foreign_key_text(key), "");
        }
    }
    for (const auto& key : live.foreign_keys) {
        if (std::find(expected.foreign_keys.begin(), expected.foreign_keys.end(), key) == expected.foreign_keys.end()) {
            out.add(expected.name, "foreign_key_extra", foreign_key_text(key), "", "", foreign_key_text(key));
        }
    }
}

void compare_indexes(const SchemaTable& expected, const SchemaTable& live, Differences& out) {
    std::map<std::string, const SchemaIndex*> found;
    for (const auto& index : live.indexes) found.emplace(index_key(index), &index);
    for (const auto& index : expected.indexes) {
        const auto got = found.find(index_key(index));
        if (got == found.end()) {
            out.add(expected.name, "index_missing", index_key(index), "", index_text(index), "");
            continue;
        }
        if (!(*got->second == index)) {
            out.add(expected.name, "index_changed", index_key(index), "", index_text(index), index_text(*got->second));
        }
        found.erase(got);
    }
    for (const auto& index : live.indexes) {
        if (found.count(index_key(index))) {
            out.add(expected.name, "index_extra", index_key(index), "", "", index_text(index));
        }
    }
}

void compare_options(const SchemaTable& expected, const SchemaTable& live, Differences& out) {
    const auto option = [&](const char* name, const std::string& want, const std::string& got) {
        if (want != got) out.add(expected.name, "table_option_changed", name, "", want, got);
    };
    option("engine", expected.engine, live.engine);
    option("charset", expected.charset, live.charset);
    option("collation", expected.collation, live.collation);
}

}  // namespace

std::string SchemaDifference::describe() const {
    if (kind == "table_missing") return fmt::format("{}: table missing (the applied steps create it)", table);
    if (kind == "table_extra") {
        return fmt::format("{}: extra table, created by no applied step (added by hand?)", table);
    }
    if (kind == "view_missing") return fmt::format("{}: view missing (the applied steps create it)", table);
    if (kind == "view_extra") return fmt::format("{}: extra view, created by no applied step (added by hand?)", table);
    if (kind == "table_option_changed") {
        return fmt::format("{}: table {}: {} expected, {} found", table, object, expected, found);
    }
    if (kind == "column_missing") return fmt::format("{}: column {} missing (expected {})", table, object, expected);
    if (kind == "column_extra") return fmt::format("{}: column {} not expected (found {})", table, object, found);
    if (kind == "column_changed") {
        return fmt::format("{}: column {}: {} {} expected, {} found", table, object,
                           attribute == "auto_increment" ? "auto-increment" : attribute, expected, found);
    }
    if (kind == "primary_key_changed") {
        return fmt::format("{}: primary key {} expected, {} found", table, expected, found);
    }
    if (kind == "foreign_key_missing") return fmt::format("{}: foreign key {} missing", table, object);
    if (kind == "foreign_key_extra") return fmt::format("{}: foreign key {} not expected", table, object);
    if (kind == "index_missing") return fmt::format("{}: index {} {} missing", table, object, expected);
    if (kind == "index_extra") return fmt::format("{}: index {} {} not expected", table, object, found);
    if (kind == "index_changed") {
        return fmt::format("{}: index {}: {} expected, {} found", table, object, expected, found);
    }
    return fmt::format("{}: {} {}", table, kind, object);
}

std::vector<SchemaDifference> compare_schemas(const Schema& expected, const Schema& live) {
    Differences out;
    std::vector<std::string> names;
    for (const auto& table : expected.tables) names.push_back(table.name);
    for (const auto& table : live.tables) names.push_back(table.name);
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    for (const auto& name : names) {
        const SchemaTable* want = expected.find(name);
        const SchemaTable* got = live.find(name);
        if (!got) {
            out.add(name, "table_missing", "", "", "", "");
            continue;
        }
        if (!want) {
            out.add(name, "table_extra", "", "", "", "");
            continue;
        }
        compare_options(*want, *got, out);
        compare_columns(name, want->columns, got->columns, out);
        compare_keys(*want, *got, out);
        compare_indexes(*want, *got, out);
    }
    names.clear();
    for (const auto& view : expected.views) names.push_back(view.name);
    for (const auto& view : live.views) names.push_back(view.name);
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    for (const auto& name : names) {
        const SchemaView* want = expected.find_view(name);
        const SchemaView* got = live.find_view(name);
        if (!got) {
            out.add(name, "view_missing", "", "", "", "");
        } else if (!want) {
            out.add(name, "view_extra", "", "", "", "");
        } else {
            compare_columns(name, want->columns, got->columns, out);
        }
    }
    return std::move(out.list);
}

}  // namespace migration_host
