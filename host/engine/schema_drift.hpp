// Compares the schema the applied steps should have left with the live one: every difference, one line each.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

#include "database/schema_catalog.hpp"

namespace migration_host {

struct SchemaDifference {
    std::string table;  // the table, or the view for view_* kinds and a view's column_* ones
    // table_missing, table_extra (in the database, created by no applied step: added by hand), table_option_changed,
    // column_missing, column_extra, column_changed, primary_key_changed, foreign_key_missing, foreign_key_extra,
    // index_missing, index_extra, index_changed, view_missing, view_extra
    std::string kind;
    std::string object;     // the column, index, foreign key or table option; "" for a table or its primary key
    std::string attribute;  // column_changed: type, nullable, default or auto_increment; "" otherwise
    std::string expected;   // what the applied steps leave; "" when there is nothing (an extra object)
    std::string found;      // what the database has; "" when there is nothing (a missing object)

    // One line naming the table, the object and both sides, e.g. "volumes: column size: type integer expected,
    // bigint found".
    std::string describe() const;
};

// Every difference between `expected` and `live`, in table order, then by kind within a table; then the views', in
// view order (a view is compared by its columns only: its query's text holds the database's name on MySQL). Columns are
// compared by name, not position: a column's place in the table changes no statement that names it, and MySQL
// moves columns when it converts a table. Foreign keys are compared by their columns and what they reference, not
// by name: the name is the database's invention where the step gave none.
std::vector<SchemaDifference> compare_schemas(const Schema& expected, const Schema& live);

}  // namespace migration_host
