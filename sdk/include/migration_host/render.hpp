// Header-only DDL rendering, all of it: CREATE TABLE with its columns and constraints, CREATE/DROP INDEX, DROP TABLE and the ALTERs, spelled per dialect for SQLite, MySQL and PostgreSQL.
// SPDX-License-Identifier: Apache-2.0
#pragma once

// Plain C++17, standard library only. Pure functions from a definition (model.hpp)
// or an operation's description to SQL text: no database, no host. The pieces of a
// definition (type, column, foreign key, UNIQUE) are render_column.hpp's, included
// here; the statements are written below from them. operations.hpp
// executes them through the host, and decides when SQLite needs a table rebuild
// (sqlite_rebuild below) instead of an ALTER it lacks. One function per statement
// kind; every identifier goes through quote_identifier. A function that a dialect
// cannot express throws Unsupported, naming the operation and the dialect.
//
// What create_table renders is what SQLAlchemy 1.4 renders for the same definition
// (checked against SQLAlchemy 1.4.46), in its layout unless told otherwise
// (CreateTableLayout), with three deliberate differences, the first two only ever
// adding quotes or words that the database reads the same way:
// - identifiers are quoted a little more often (see quote_identifier),
// - TableOptions::mysql_charset renders as `DEFAULT CHARSET=x` (SQLAlchemy's
//   mysql_charset renders `CHARSET=x`; MySQL reads both as the table's default), and
// - a type's mysql_collation renders on MySQL only (SQLAlchemy's mysql.VARCHAR writes
//   COLLATE "x" on the other dialects too, which have no such collation).
//
// The bytes are part of the contract: a step's checksum is taken over the SQL it
// renders and kept in every database it migrated, so a spelling here never changes.
//
// The model's rendering members are defined through the one function that writes their
// statement: Table::create_sql, drop_sql and create_index_sql at the end here; Type::sql,
// Table::column_sql, schema::foreign_key_sql and unique_sql at the end of render_column.hpp.

#include <migration_host/dialect.hpp>
#include <migration_host/identifiers.hpp>
#include <migration_host/model.hpp>
#include <migration_host/plugin.h>
#include <migration_host/render_column.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace migration_host::render {

using schema::Column;
using schema::Dialect;
using schema::ForeignKeyConstraint;
using schema::Index;
using schema::Table;
using schema::Type;
using schema::UniqueConstraint;

// The dialect has no statement for this operation (SQLite's missing ALTERs).
class Unsupported : public std::logic_error {
public:
    using std::logic_error::logic_error;
};

inline std::string alter_table(std::string_view table, Dialect dialect) { return "ALTER TABLE " + q(table, dialect); }

[[noreturn]] inline void unsupported(const std::string& what, Dialect dialect) {
    throw Unsupported(what + " has no ALTER statement on " + std::string(schema::dialect_name(dialect)) +
                      "; it needs a table rebuild");
}

// How create_table lays its statement out: SQLAlchemy's layout (the default, and what every
// step's checksum was taken over), or all on one line (the host's own tables).
enum class CreateTableLayout {
    sqlalchemy,  // "\nCREATE TABLE t (\n\ta INTEGER, \n\tPRIMARY KEY (a)\n)ENGINE=InnoDB\n\n"
    one_line,    // "CREATE TABLE t (a INTEGER, PRIMARY KEY (a)) ENGINE=InnoDB"
};

// One CREATE TABLE statement without a semicolon: the columns, then PRIMARY KEY, a
// Boolean's CHECK, the foreign keys, the UNIQUE constraints, and MySQL's table options
// after the closing parenthesis. SQLAlchemy's layout has leading and trailing newlines
// and a tab before each element; one_line separates the elements with ", " only, and the
// table options with a space. Indexes are create_index's.
inline std::string create_table(Dialect dialect, const Table& table,
                                CreateTableLayout layout = CreateTableLayout::sqlalchemy) {
    const Column* autoincrement = table.autoincrement_column();
    std::vector<std::string> elements;
    std::vector<const Column*> primary_key;
    for (const Column& column : table.columns()) {
        elements.push_back(column_sql(dialect, column, &column == autoincrement));
        if (column.is_primary_key()) primary_key.push_back(&column);
    }
    if (!primary_key.empty()) {
        elements.push_back(
            "PRIMARY KEY (" +
            schema::detail::join(primary_key, ", ", [&](const Column* column) { return q(column->name(), dialect); }) +
            ")");
    }
    // SQLAlchemy 1.4 puts a Boolean's CHECK right after the primary key, where the
    // dialect has no native boolean.
    if (dialect != Dialect::postgresql) {
        for (const Column& column : table.columns()) {
            if (column.type().creates_check()) {
                elements.push_back("CHECK (" + q(column.name(), dialect) + " IN (0, 1))");
            }
        }
    }
    for (const ForeignKeyConstraint& fk : table.all_foreign_keys()) elements.push_back(foreign_key_sql(dialect, fk));
    for (const Column& column : table.columns()) {
        if (column.is_unique()) elements.push_back(unique_sql(dialect, {"", {column.name()}}));
    }
    for (const UniqueConstraint& unique : table.options().unique_constraints) {
        elements.push_back(unique_sql(dialect, unique));
    }
    std::vector<std::string> table_options;
    if (dialect == Dialect::mysql) {
        const schema::TableOptions& options = table.options();
        if (!options.mysql_engine.empty()) table_options.push_back("ENGINE=" + options.mysql_engine);
        if (!options.mysql_charset.empty()) table_options.push_back("DEFAULT CHARSET=" + options.mysql_charset);
    }
    const auto joined = [](const std::vector<std::string>& items, std::string_view separator) {
        return schema::detail::join(items, separator, [](const std::string& item) { return item; });
    };
    const std::string name = q(table.name(), dialect);
    if (layout == CreateTableLayout::one_line) {
        return "CREATE TABLE " + name + " (" + joined(elements, ", ") + ")" +
               (table_options.empty() ? "" : " " + joined(table_options, " "));
    }
    return "\nCREATE TABLE " + name + " (\n\t" + joined(elements, ", \n\t") + "\n)" + joined(table_options, " ") +
           "\n\n";
}

// ALTER TABLE t ADD COLUMN c TYPE [DEFAULT x][ NOT NULL]; a foreign key follows as its
// own ADD CONSTRAINT (MySQL, PostgreSQL) or inline REFERENCES (SQLite, which cannot
// add constraints).
inline std::vector<std::string> add_column(Dialect dialect, std::string_view table, const Column& column) {
    if (column.is_primary_key()) throw std::invalid_argument("add_column cannot add a primary-key column");
    std::vector<std::string> out{alter_table(table, dialect) + " ADD COLUMN " + column_sql(dialect, column)};
    if (column.is_unique()) {
        if (dialect == Dialect::sqlite) throw Unsupported("adding a UNIQUE column on sqlite");
        out.push_back(alter_table(table, dialect) + " ADD UNIQUE (" + q(column.name(), dialect) + ")");
    }
    if (column.foreign_key()) {
        const auto& fk = *column.foreign_key();
        if (dialect == Dialect::sqlite) {
            out.front() += " REFERENCES " + q(fk.table(), dialect) + " (" + q(fk.column(), dialect) + ")";
            if (!fk.on_delete_action().empty()) out.front() += " ON DELETE " + fk.on_delete_action();
        } else {
            out.push_back(alter_table(table, dialect) + " ADD " +
                          foreign_key_sql(
                              dialect, {fk.name(), {column.name()}, fk.table(), {fk.column()}, fk.on_delete_action()}));
        }
    }
    return out;
}

// ALTER TABLE t DROP COLUMN c. SQLite has it since 3.35 only, and refuses it for a
// column in an index, key or constraint: operations.hpp rebuilds instead.
inline std::string drop_column(Dialect dialect, std::string_view table, std::string_view column) {
    return alter_table(table, dialect) + " DROP COLUMN " + q(column, dialect);
}

// What alter_column changes; everything left empty stays as it is.
struct ColumnChange {
    std::optional<Type> type{};
    std::optional<bool> nullable{};
    // nullopt: keep; a value: set it; a value holding nullopt: drop the default.
    std::optional<std::optional<std::string>> server_default{};
    std::optional<std::string> new_name{};
    // PostgreSQL: the USING expression for a type change the server cannot cast by itself,
    // e.g. "CAST(volume_type_id AS INTEGER)". Ignored elsewhere.
    std::string postgresql_using{};
    // MySQL: whether the new definition is AUTO_INCREMENT (MODIFY rewrites the whole column,
    // so leaving it out removes it). Ignored elsewhere.
    bool mysql_autoincrement = false;

    bool changes_definition() const { return type || nullable || server_default; }
};

// `existing` with `change` applied (under its old name).
inline Column changed_column(const Column& existing, const ColumnChange& change) {
    Column column = existing;
    if (change.type) column = column.with_type(*change.type);
    if (change.nullable) column.nullable(*change.nullable);
    if (change.server_default) column = column.with_server_default(*change.server_default);
    return column;
}

// The statements for one column change:
// - PostgreSQL: TYPE [USING], then SET/DROP NOT NULL, SET/DROP DEFAULT, and the rename last.
// - MySQL: one CHANGE (rename) or MODIFY with the whole new definition, built from
//   `existing` (MySQL forgets whatever MODIFY does not repeat); ALTER COLUMN SET/DROP
//   DEFAULT when only the default changes.
// - SQLite: RENAME COLUMN only; anything else throws Unsupported (rebuild instead).
inline std::vector<std::string> alter_column(Dialect dialect, std::string_view table, const Column& existing,
                                             const ColumnChange& change) {
    const std::string prefix = alter_table(table, dialect);
    const std::string column = q(existing.name(), dialect);
    std::vector<std::string> out;
    switch (dialect) {
        case Dialect::postgresql:
            if (change.type) {
                out.push_back(prefix + " ALTER COLUMN " + column + " TYPE " + change.type->sql(dialect) +
                              (change.postgresql_using.empty() ? "" : " USING " + change.postgresql_using));
            }
            if (change.nullable) {
                out.push_back(prefix + " ALTER COLUMN " + column + (*change.nullable ? " DROP" : " SET") + " NOT NULL");
            }
            if (change.server_default) {
                out.push_back(prefix + " ALTER COLUMN " + column +
                              (*change.server_default ? " SET DEFAULT " + **change.server_default : " DROP DEFAULT"));
            }
            if (change.new_name) {
                out.push_back(prefix + " RENAME COLUMN " + column + " TO " + q(*change.new_name, dialect));
            }
            return out;
        case Dialect::mysql: {
            const bool whole = change.type || change.nullable || change.new_name || change.mysql_autoincrement;
            if (!whole) {
                if (change.server_default) {
                    out.push_back(prefix + " ALTER COLUMN " + column +
                                  (*change.server_default ? " SET DEFAULT " + **change.server_default : " DROP DEFAULT"));
                }
                return out;
            }
            Column target = changed_column(existing, change);
            if (change.new_name) target = target.renamed(*change.new_name);
            std::string spec = column_sql(dialect, target);
            if (target.is_nullable()) spec += " NULL";  // explicit: MODIFY keeps nothing implicitly
            if (change.mysql_autoincrement) spec += " AUTO_INCREMENT";
            out.push_back(prefix + (change.new_name ? " CHANGE " + column + " " : " MODIFY ") + spec);
            return out;
        }
        case Dialect::sqlite:
            if (change.changes_definition()) unsupported("changing a column's type, nullability or default", dialect);
            if (change.new_name) {
                out.push_back(prefix + " RENAME COLUMN " + column + " TO " + q(*change.new_name, dialect));
            }
            return out;
    }
    return out;
}

// DROP TABLE t (Table::drop_sql puts SQLAlchemy's newline before it).
inline std::string drop_table(Dialect dialect, std::string_view table) { return "DROP TABLE " + q(table, dialect); }

inline std::string rename_table(Dialect dialect, std::string_view from, std::string_view to) {
    return alter_table(from, dialect) + " RENAME TO " + q(to, dialect);
}

// CREATE [UNIQUE] INDEX ix ON t (a, b)
inline std::string create_index(Dialect dialect, std::string_view table, const Index& index) {
    if (index.columns.empty()) throw std::invalid_argument("index '" + index.name + "' has no columns");
    return std::string("CREATE ") + (index.unique ? "UNIQUE " : "") + "INDEX " + q(index.name, dialect) + " ON " +
           q(table, dialect) + " (" + schema::detail::column_list(index.columns, dialect) + ")";
}

// One create_index per TableOptions::indexes entry of `table`, in order (CREATE TABLE creates none).
inline std::vector<std::string> create_indexes(Dialect dialect, const Table& table) {
    std::vector<std::string> out;
    for (const Index& index : table.options().indexes) out.push_back(create_index(dialect, table.name(), index));
    return out;
}

// DROP INDEX ix (SQLite, PostgreSQL) or DROP INDEX ix ON t (MySQL, where index names
// belong to their table).
inline std::string drop_index(Dialect dialect, std::string_view table, std::string_view index) {
    std::string out = "DROP INDEX " + q(index, dialect);
    if (dialect == Dialect::mysql) out += " ON " + q(table, dialect);
    return out;
}

// ALTER TABLE t ADD CONSTRAINT name UNIQUE (a, b). SQLite cannot add a constraint to a
// table, but a unique index enforces the same rule and can be dropped by name:
// CREATE UNIQUE INDEX name ON t (a, b).
inline std::string add_unique_constraint(Dialect dialect, std::string_view table, const UniqueConstraint& unique) {
    schema::detail::check_name(unique.name, "unique constraint name");
    if (dialect == Dialect::sqlite) return create_index(dialect, table, {unique.name, unique.columns, true});
    return alter_table(table, dialect) + " ADD " + unique_sql(dialect, unique);
}

// The inverse of add_unique_constraint: DROP CONSTRAINT (PostgreSQL), DROP INDEX (MySQL,
// where a UNIQUE constraint is an index; SQLite, where add_unique_constraint made one).
inline std::string drop_unique_constraint(Dialect dialect, std::string_view table, std::string_view name) {
    switch (dialect) {
        case Dialect::postgresql: return alter_table(table, dialect) + " DROP CONSTRAINT " + q(name, dialect);
        case Dialect::mysql: return alter_table(table, dialect) + " DROP INDEX " + q(name, dialect);
        case Dialect::sqlite: return drop_index(dialect, table, name);
    }
    return "";
}

// ALTER TABLE t ADD [CONSTRAINT name] FOREIGN KEY(a) REFERENCES r (b) [ON DELETE x].
inline std::string add_foreign_key(Dialect dialect, std::string_view table, const ForeignKeyConstraint& fk) {
    if (dialect == Dialect::sqlite) unsupported("adding a foreign key", dialect);
    return alter_table(table, dialect) + " ADD " + foreign_key_sql(dialect, fk);
}

// DROP FOREIGN KEY name (MySQL), DROP CONSTRAINT name (PostgreSQL).
inline std::string drop_foreign_key(Dialect dialect, std::string_view table, std::string_view name) {
    if (dialect == Dialect::sqlite) unsupported("dropping a foreign key", dialect);
    return alter_table(table, dialect) + (dialect == Dialect::mysql ? " DROP FOREIGN KEY " : " DROP CONSTRAINT ") +
           q(name, dialect);
}

// The table every rebuild copies through: a TEMPORARY table, so that a failure
// cannot leave it behind, and no other table ever refers to it.
inline std::string rebuild_holding_table(std::string_view table) { return "_mh_rebuild_" + std::string(table); }

// One column of the rebuilt table and where its values come from: `source` is SQL
// over the old table (usually the old column's quoted name), or empty for a new column
// that takes its default.
struct Transfer {
    std::string column;
    std::string source;
};

// SQLite's missing ALTERs as a rebuild, after SQLite's "Making Other Kinds Of Table
// Schema Changes" and Alembic's batch mode, copying through a holding table so the
// new table is created under its final name (no RENAME, which since 3.25 re-parses
// views and triggers, and with foreign keys on rewrites other tables' references):
//   CREATE TEMPORARY TABLE holding AS SELECT <sources> FROM t
//   DROP TABLE t
//   CREATE TABLE t (<target>)
//   INSERT INTO t (<columns>) SELECT <columns> FROM holding
//   DROP TABLE holding
//   CREATE INDEX ... (every index of the target)
// Run inside the step's transaction. Values convert by the new columns' type
// affinity on the INSERT. Foreign keys: see Op::rebuild in operations.hpp.
inline std::vector<std::string> sqlite_rebuild(const Table& target, const std::vector<Transfer>& transfers) {
    const Dialect d = Dialect::sqlite;
    const std::string holding = q(rebuild_holding_table(target.name()), d);
    std::vector<std::string> select, columns;
    for (const Transfer& transfer : transfers) {
        if (target.find_column(transfer.column) == nullptr) {
            throw std::invalid_argument("rebuild of '" + target.name() + "' copies into column '" + transfer.column +
                                        "', which the new table does not have");
        }
        if (transfer.source.empty()) continue;
        select.push_back(transfer.source + " AS " + q(transfer.column, d));
        columns.push_back(q(transfer.column, d));
    }
    if (columns.empty()) throw std::invalid_argument("rebuild of '" + target.name() + "' copies no column");
    const auto list = [](const std::vector<std::string>& items) {
        return schema::detail::join(items, ", ", [](const std::string& s) { return s; });
    };
    std::vector<std::string> out{
        "CREATE TEMPORARY TABLE " + holding + " AS SELECT " + list(select) + " FROM " + q(target.name(), d),
        drop_table(d, target.name()),
        create_table(d, target),
        "INSERT INTO " + q(target.name(), d) + " (" + list(columns) + ") SELECT " + list(columns) + " FROM " + holding,
        drop_table(d, rebuild_holding_table(target.name())),
    };
    for (std::string& statement : create_indexes(d, target)) out.push_back(std::move(statement));
    return out;
}

// What a script (migration-host sql, rendered offline) runs before rebuilding `current`,
// in place of the checks Op::rebuild makes online with queries, which offline cannot
// run: a temporary table whose CHECK constraints are named by the refusals makes the
// script stop, that name as the client's error, when the table's columns are not
// `current`'s, when it has a trigger, or when foreign keys are enforced and a table
// refers to it with an ON DELETE action; then PRAGMA defer_foreign_keys, so that rows
// the rebuild leaves violating a key fail the step's COMMIT. Each statement starts with
// MH_OFFLINE_GUARD_MARKER: the host leaves guards out of the step's checksum.
inline std::vector<std::string> sqlite_rebuild_guards(const Table& current) {
    const Dialect d = Dialect::sqlite;
    const auto literal = [](std::string_view text) {  // SQLite has no backslash escapes
        std::string out = "'";
        for (const char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
        return out + "'";
    };
    const std::string table = literal(current.name());
    const std::string refused = "cannot rebuild table '" + current.name() + "'";
    std::string declared, by_position;
    for (std::size_t i = 0; i < current.columns().size(); ++i) {
        const std::string& name = current.columns()[i].name();
        declared += (i ? "," : "") + name;
        by_position += " WHEN " + std::to_string(i) + " THEN " + literal(name);
    }
    const std::string columns_differ =
        "(SELECT COUNT(*) FROM pragma_table_info(" + table + ")) <> " + std::to_string(current.columns().size()) +
        " OR EXISTS (SELECT 1 FROM pragma_table_info(" + table + ") WHERE name IS NOT CASE cid" + by_position + " END)";
    const std::string has_trigger =
        "EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND tbl_name = " + table + ")";
    const std::string on_delete_action =
        "(SELECT foreign_keys FROM pragma_foreign_keys) AND EXISTS (SELECT 1 FROM sqlite_master m JOIN "
        "pragma_foreign_key_list(m.name) f WHERE m.type = 'table' AND f.\"table\" = " +
        table + " AND f.on_delete NOT IN ('NO ACTION', 'RESTRICT'))";
    const auto refusal = [&](const std::string& message, const char* code) {
        return ", CONSTRAINT " + q(message, d) + " CHECK (failed IS NOT '" + code + "')";
    };
    const std::string marker = MH_OFFLINE_GUARD_MARKER " ";
    return {
        marker + "CREATE TEMP TABLE migration_host_guard (failed TEXT" +
            refusal(refused + ": the step describes columns (" + declared + ") but the database has others",
                    "columns") +
            refusal(refused + ": it has a trigger, which the rebuild would drop; drop it first and recreate it after",
                    "trigger") +
            refusal(refused + " with foreign keys enforced: a table refers to it with an ON DELETE action, which "
                              "dropping the old table would run; run this step with PRAGMA foreign_keys = OFF",
                    "on_delete") +
            ")",
        marker + "INSERT INTO temp.migration_host_guard (failed) SELECT CASE WHEN " + columns_differ +
            " THEN 'columns' WHEN " + has_trigger + " THEN 'trigger' WHEN " + on_delete_action +
            " THEN 'on_delete' END",
        marker + "DROP TABLE temp.migration_host_guard",
        marker + "PRAGMA defer_foreign_keys = ON",
    };
}

// The transfers that copy every column `target` shares by name with `current`.
inline std::vector<Transfer> same_name_transfers(const Table& current, const Table& target) {
    std::vector<Transfer> out;
    for (const Column& column : target.columns()) {
        if (current.find_column(column.name()) != nullptr) {
            out.push_back({column.name(), q(column.name(), Dialect::sqlite)});
        }
    }
    return out;
}

}  // namespace migration_host::render

namespace migration_host::schema {

// The model's rendering members and the schema-namespace spellings that plugins
// call, each through the render function that writes its statement: the same bytes,
// which the checksums recorded in migrated databases depend on.

inline std::string Table::create_sql(Dialect dialect) const { return render::create_table(dialect, *this); }

// SQLAlchemy's DROP TABLE starts with a newline; render::drop_table (Op::drop_table) does not.
inline std::string Table::drop_sql(Dialect dialect) const {
    std::string out = "\n";  // appended to, not "\n" + ...: GCC 12 misreads that insert (-Wrestrict)
    out += render::drop_table(dialect, name_);
    return out;
}

inline std::vector<std::string> Table::create_index_sql(Dialect dialect) const {
    return render::create_indexes(dialect, *this);
}

inline std::string Table::create_index_sql(const Index& index, Dialect dialect) const {
    return render::create_index(dialect, name_, index);
}

}  // namespace migration_host::schema
