// Header-only operations for migration steps, after Alembic's `op`: schema and data changes rendered per dialect (render.hpp) and run through the host.
// SPDX-License-Identifier: Apache-2.0
#pragma once

// Example (a step adding a column and a foreign key, and back):
//
//     void upgrade(sdk::Host& host) {
//         sdk::Op op(host);
//         op.add_column("volumes", Column("source_volid", String(36)));
//         op.create_foreign_key(snapshots_v6, {"", {"volume_id"}, "volumes", {"id"}});
//     }
//
// Operations that change an existing table's definition (drop_column, alter_column,
// create/drop_foreign_key) take that table's current definition as a schema::Table,
// Alembic's `copy_from`: MySQL's MODIFY must repeat a column's whole definition, and
// SQLite, which lacks those ALTERs, rebuilds the table from it (see rebuild()). The
// definition makes the rendered SQL deterministic, so such steps render offline too;
// online, a SQLite rebuild first checks it against the database's own catalog.
//
// Every method throws (HostCallError from the host, std::invalid_argument or
// render::Unsupported from rendering); the sdk::step guard turns that into the step's
// failure and message.

#include <migration_host/plugin.hpp>
#include <migration_host/render.hpp>
#include <migration_host/schema.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace migration_host::sdk {

// A statement written per dialect, for op.execute when the SQL differs.
struct PerDialect {
    std::string sqlite{};
    std::string mysql{};
    std::string postgresql{};

    const std::string& for_dialect(schema::Dialect dialect) const {
        switch (dialect) {
            case schema::Dialect::sqlite: return sqlite;
            case schema::Dialect::mysql: return mysql;
            case schema::Dialect::postgresql: return postgresql;
        }
        return sqlite;
    }
};

// A query's rows, copied out of the host's buffers.
using Rows = std::vector<std::vector<std::optional<std::string>>>;

class Op {
public:
    // Throws std::invalid_argument for a dialect other than sqlite, mysql, postgresql.
    explicit Op(const Host& host) : host_(host), dialect_(schema::require_dialect(host.dialect())) {}

    schema::Dialect dialect() const noexcept { return dialect_; }
    const Host& host() const noexcept { return host_; }
    // False when the host renders offline (statements are recorded, queries fail).
    bool online() const { return host_.odbc_connection() != nullptr; }

    // --- raw SQL and data ---

    void execute(std::string_view sql) const { host_.exec(sql); }
    // The statement for this dialect; an empty one is skipped.
    void execute(const PerDialect& sql) const {
        const std::string& statement = sql.for_dialect(dialect_);
        if (!statement.empty()) host_.exec(statement);
    }
    // With bound values (ABI 1.2): see Host::exec.
    void execute(std::string_view sql, const Values& values) const { host_.exec(sql, values); }

    // All rows of a query, bound values optional (ABI 1.2 when any are given).
    Rows rows(std::string_view sql, const Values& values = {}) const {
        Rows out;
        const auto collect = [&](const RowView& row) {
            std::vector<std::optional<std::string>> copy;
            copy.reserve(row.size());
            for (const auto& value : row) copy.push_back(value ? std::optional<std::string>(*value) : std::nullopt);
            out.push_back(std::move(copy));
        };
        if (values.empty()) {
            host_.query(sql, collect);
        } else {
            host_.query(sql, values, collect);
        }
        return out;
    }

    // INSERT INTO table (columns) VALUES (?, ...), once per row, values bound (Alembic's
    // bulk_insert). Each row has one value per column. Reports its progress in rows
    // (Host::progress) as it goes.
    void insert(std::string_view table, const std::vector<std::string>& columns, const std::vector<Values>& rows) const {
        const std::string sql = "INSERT INTO " + q(table) + " (" + schema::detail::column_list(columns, dialect_) +
                                ") VALUES (" + markers(columns.size()) + ")";
        std::uint64_t done = 0;
        for (const Values& row : rows) {
            if (row.size() != columns.size()) {
                throw std::invalid_argument("insert into '" + std::string(table) + "': a row has " +
                                            std::to_string(row.size()) + " values for " +
                                            std::to_string(columns.size()) + " columns");
            }
            host_.exec(sql, row);
            host_.progress(++done, rows.size(), "rows");
        }
    }

    // UPDATE table SET a = ?, b = ? WHERE <where>, with `set` values then `where_values` bound.
    void update(std::string_view table, const std::vector<std::pair<std::string, Value>>& set, std::string_view where,
                const Values& where_values = {}) const {
        if (set.empty()) throw std::invalid_argument("update of '" + std::string(table) + "' sets nothing");
        std::string sql = "UPDATE " + q(table) + " SET ";
        Values values;
        for (std::size_t i = 0; i < set.size(); ++i) {
            sql += (i ? ", " : "") + q(set[i].first) + " = ?";
            values.push_back(set[i].second);
        }
        if (!where.empty()) sql += " WHERE " + std::string(where);
        values.insert(values.end(), where_values.begin(), where_values.end());
        host_.exec(sql, values);
    }

    // --- tables ---

    // CREATE TABLE and then its indexes.
    void create_table(const schema::Table& table) const {
        host_.exec(table.create_sql(dialect_));
        for (const auto& statement : table.create_index_sql(dialect_)) host_.exec(statement);
    }
    void drop_table(std::string_view table) const { host_.exec(render::drop_table(dialect_, table)); }
    void rename_table(std::string_view from, std::string_view to) const {
        host_.exec(render::rename_table(dialect_, from, to));
    }

    // --- columns ---

    void add_column(std::string_view table, const schema::Column& column) const {
        for (const auto& statement : render::add_column(dialect_, table, column)) host_.exec(statement);
    }

    // Drops `column` from `current`. SQLite: a rebuild without it.
    void drop_column(const schema::Table& current, std::string_view column) const {
        require_column(current, column);
        if (dialect_ != schema::Dialect::sqlite) {
            host_.exec(render::drop_column(dialect_, current.name(), column));
            return;
        }
        std::vector<schema::Column> columns;
        for (const auto& c : current.columns()) {
            if (c.name() != column) columns.push_back(c);
        }
        schema::TableOptions options = current.options();
        const auto mentions = [&](const std::vector<std::string>& names) {
            return std::find(names.begin(), names.end(), column) != names.end();
        };
        options.indexes.erase(std::remove_if(options.indexes.begin(), options.indexes.end(),
                                             [&](const schema::Index& i) { return mentions(i.columns); }),
                              options.indexes.end());
        options.foreign_keys.erase(std::remove_if(options.foreign_keys.begin(), options.foreign_keys.end(),
                                                  [&](const auto& fk) { return mentions(fk.columns); }),
                                   options.foreign_keys.end());
        options.unique_constraints.erase(
            std::remove_if(options.unique_constraints.begin(), options.unique_constraints.end(),
                           [&](const auto& u) { return mentions(u.columns); }),
            options.unique_constraints.end());
        const schema::Table target(current.name(), std::move(columns), std::move(options));
        rebuild(current, target, render::same_name_transfers(current, target));
    }

    // Changes `column` of `current` (type, nullability, default, name). SQLite: RENAME
    // COLUMN for a rename alone, otherwise a rebuild with the changed column.
    void alter_column(const schema::Table& current, std::string_view column, const render::ColumnChange& change) const {
        const schema::Column& existing = require_column(current, column);
        if (dialect_ != schema::Dialect::sqlite || !change.changes_definition()) {
            for (const auto& statement : render::alter_column(dialect_, current.name(), existing, change)) {
                host_.exec(statement);
            }
            return;
        }
        std::vector<schema::Column> columns;
        std::vector<render::Transfer> transfers;
        for (const auto& c : current.columns()) {
            if (c.name() != column) {
                columns.push_back(c);
                transfers.push_back({c.name(), q(c.name())});
                continue;
            }
            schema::Column changed = render::changed_column(c, change);
            if (change.new_name) changed = changed.renamed(*change.new_name);
            transfers.push_back({changed.name(), q(c.name())});
            columns.push_back(std::move(changed));
        }
        schema::TableOptions options = current.options();
        if (change.new_name) {
            const auto rename = [&](std::vector<std::string>& names) {
                std::replace(names.begin(), names.end(), std::string(column), *change.new_name);
            };
            for (auto& index : options.indexes) rename(index.columns);
            for (auto& fk : options.foreign_keys) rename(fk.columns);
            for (auto& unique : options.unique_constraints) rename(unique.columns);
        }
        rebuild(current, schema::Table(current.name(), std::move(columns), std::move(options)), transfers);
    }

    // --- indexes and unique constraints ---

    void create_index(std::string_view table, const schema::Index& index) const {
        host_.exec(render::create_index(dialect_, table, index));
    }
    void drop_index(std::string_view table, std::string_view index) const {
        host_.exec(render::drop_index(dialect_, table, index));
    }
    void create_unique_constraint(std::string_view table, const schema::UniqueConstraint& unique) const {
        host_.exec(render::add_unique_constraint(dialect_, table, unique));
    }
    void drop_unique_constraint(std::string_view table, std::string_view name) const {
        host_.exec(render::drop_unique_constraint(dialect_, table, name));
    }

    // --- foreign keys ---

    // Adds `fk` to `current` (which must not have it yet). SQLite: a rebuild with it.
    void create_foreign_key(const schema::Table& current, const schema::ForeignKeyConstraint& fk) const {
        if (dialect_ != schema::Dialect::sqlite) {
            host_.exec(render::add_foreign_key(dialect_, current.name(), fk));
            return;
        }
        schema::TableOptions options = current.options();
        options.foreign_keys.push_back(fk);
        const schema::Table target(current.name(), current.columns(), std::move(options));
        rebuild(current, target, render::same_name_transfers(current, target));
    }

    // The name the database gave the foreign key from `columns` of `table` to
    // `referenced_table`, read from its catalog (information_schema on MySQL,
    // pg_constraint on PostgreSQL); nullopt when there is none. SQLite keeps no
    // names: there it answers "" when PRAGMA foreign_key_list has such a key.
    std::optional<std::string> foreign_key_name(std::string_view table, const std::vector<std::string>& columns,
                                                std::string_view referenced_table) const {
        const std::string wanted = joined(columns);
        switch (dialect_) {
            case schema::Dialect::sqlite: {
                // One row per column of each key (id, seq, table, from, to, ...), keys by id.
                std::vector<std::pair<std::string, std::string>> keys;  // id -> "col,col"
                for (const auto& row : rows("SELECT id, \"from\", \"table\" FROM pragma_foreign_key_list(?) ORDER BY id, seq",
                                            {std::string(table)})) {
                    if (row[2].value_or("") != referenced_table) continue;
                    const std::string id = row[0].value_or("");
                    if (keys.empty() || keys.back().first != id) keys.emplace_back(id, "");
                    append_name(keys.back().second, row[1].value_or(""));
                }
                for (const auto& key : keys) {
                    if (key.second == wanted) return std::string();
                }
                return std::nullopt;
            }
            case schema::Dialect::mysql: {
                const Rows found = rows(
                    "SELECT k.constraint_name, GROUP_CONCAT(k.column_name ORDER BY k.ordinal_position SEPARATOR ',') "
                    "FROM information_schema.key_column_usage k WHERE k.table_schema = DATABASE() AND k.table_name = ? "
                    "AND k.referenced_table_name = ? GROUP BY k.constraint_name ORDER BY k.constraint_name",
                    {std::string(table), std::string(referenced_table)});
                for (const auto& row : found) {
                    if (row[1].value_or("") == wanted) return row[0];
                }
                return std::nullopt;
            }
            case schema::Dialect::postgresql: {
                const Rows found = rows(
                    "SELECT con.conname, string_agg(a.attname, ',' ORDER BY k.ord) FROM pg_constraint con "
                    "JOIN pg_class rel ON rel.oid = con.conrelid JOIN pg_class ref ON ref.oid = con.confrelid "
                    "CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord) "
                    "JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum "
                    "WHERE con.contype = 'f' AND rel.relname = ? AND ref.relname = ? "
                    "AND rel.relnamespace = to_regnamespace(current_schema()) GROUP BY con.conname ORDER BY con.conname",
                    {std::string(table), std::string(referenced_table)});
                for (const auto& row : found) {
                    if (row[1].value_or("") == wanted) return row[0];
                }
                return std::nullopt;
            }
        }
        return std::nullopt;
    }

    // Drops the foreign key named `name` from `current`. SQLite (no names): the key of
    // `current` whose name is `name`, or, when `name` is empty, the only key over
    // `columns`, is left out of a rebuild.
    void drop_foreign_key(const schema::Table& current, std::string_view name,
                          const std::vector<std::string>& columns = {}) const {
        if (dialect_ != schema::Dialect::sqlite) {
            if (name.empty()) throw std::invalid_argument("drop_foreign_key needs the key's name on this dialect");
            host_.exec(render::drop_foreign_key(dialect_, current.name(), name));
            return;
        }
        const auto matches = [&](const schema::ForeignKeyConstraint& fk) {
            return name.empty() ? fk.columns == columns : fk.name == name;
        };
        std::size_t found = 0;
        std::vector<schema::Column> new_columns;
        for (const auto& column : current.columns()) {
            const auto& fk = column.foreign_key();
            if (fk && matches({fk->name(), {column.name()}, fk->table(), {fk->column()}, fk->on_delete_action()})) {
                ++found;
                new_columns.push_back(column.with_foreign_key(std::nullopt));
            } else {
                new_columns.push_back(column);
            }
        }
        schema::TableOptions options = current.options();
        const auto before = options.foreign_keys.size();
        options.foreign_keys.erase(std::remove_if(options.foreign_keys.begin(), options.foreign_keys.end(), matches),
                                   options.foreign_keys.end());
        found += before - options.foreign_keys.size();
        if (found != 1) {
            throw std::invalid_argument("table '" + current.name() + "' has " + std::to_string(found) +
                                        " foreign keys matching " +
                                        (name.empty() ? "columns (" + joined(columns) + ")" : "'" + std::string(name) + "'") +
                                        "; expected exactly one");
        }
        const schema::Table target(current.name(), std::move(new_columns), std::move(options));
        rebuild(current, target, render::same_name_transfers(current, target));
    }

    // Drops the foreign key from `columns` of `current` to `referenced_table`, whatever
    // the database named it (found with foreign_key_name). Throws when there is none.
    void drop_foreign_key_to(const schema::Table& current, const std::vector<std::string>& columns,
                             std::string_view referenced_table) const {
        const auto name = foreign_key_name(current.name(), columns, referenced_table);
        if (!name) {
            throw std::runtime_error("table '" + current.name() + "' has no foreign key (" + joined(columns) +
                                     ") to '" + std::string(referenced_table) + "' in the database");
        }
        drop_foreign_key(current, *name, columns);
    }

    // --- SQLite rebuild (Alembic's batch mode) ---

    // Replaces `current` by `target` (same name) on SQLite, copying each transfer's
    // source into its column (render::sqlite_rebuild gives the statements), inside the
    // step's transaction. Foreign keys, so that no row is lost:
    // - enforcement off (sqliteodbc's default, FKSupport=0): nothing is checked, as
    //   SQLite's own procedure does with PRAGMA foreign_keys=OFF;
    // - enforcement on (FKSupport=1): PRAGMA foreign_keys cannot change inside a
    //   transaction, so checks are deferred to the commit (PRAGMA defer_foreign_keys,
    //   reset by SQLite at the commit): dropping the old table counts each referencing
    //   row as a violation, re-inserting its parent rows takes each count back, and
    //   PRAGMA foreign_key_check then proves none is left. DROP TABLE would also run
    //   other tables' ON DELETE actions (a CASCADE deletes their rows), so a rebuild of
    //   a table that such a key refers to is refused.
    // Online, `current` must match the database's table (column names, in order, from
    // PRAGMA table_info): a rebuild from a wrong definition would lose data. A table
    // with triggers is refused (DROP TABLE drops them). CHECK constraints, indexes and
    // keys come from `target`: whatever the definitions leave out is not recreated.
    // Offline (a script for a DBA), the same checks go into the script as guard
    // statements (render::sqlite_rebuild_guards) that stop it where this would throw.
    void rebuild(const schema::Table& current, const schema::Table& target,
                 const std::vector<render::Transfer>& transfers) const {
        if (dialect_ != schema::Dialect::sqlite) throw std::logic_error("rebuild is for SQLite only");
        if (current.name() != target.name()) throw std::invalid_argument("rebuild keeps the table's name");
        if (!online()) {
            for (const auto& statement : render::sqlite_rebuild_guards(current)) host_.exec(statement);
        }
        const bool enforced = online() && check_rebuild_allowed(current);
        // Violations that were there before (enforcement may have been off when rows
        // were written) are not this rebuild's to judge; new ones are.
        const auto violations = [&] { return rows("SELECT \"table\", parent FROM pragma_foreign_key_check"); };
        const std::size_t before = enforced ? violations().size() : 0;
        if (enforced) host_.exec("PRAGMA defer_foreign_keys = ON");
        for (const auto& statement : render::sqlite_rebuild(target, transfers)) host_.exec(statement);
        if (enforced) {
            const Rows after = violations();
            if (after.size() > before) {
                throw std::runtime_error("rebuilding table '" + current.name() + "' would leave " +
                                         std::to_string(after.size() - before) +
                                         " more rows violating foreign keys (see PRAGMA foreign_key_check)");
            }
        }
    }

private:
    std::string q(std::string_view name) const { return schema::quote_identifier(name, dialect_); }

    static std::string markers(std::size_t count) {
        std::string out;
        for (std::size_t i = 0; i < count; ++i) out += i ? ", ?" : "?";
        return out;
    }
    // Appends ",name" (or "name" to an empty list). Two appends, not `"," + name`:
    // GCC 12 at -O3 misreports that concatenation (-Wrestrict).
    static void append_name(std::string& list, const std::string& name) {
        if (!list.empty()) list += ',';
        list += name;
    }
    static std::string joined(const std::vector<std::string>& names) {
        std::string out;
        for (const auto& name : names) append_name(out, name);
        return out;
    }

    static const schema::Column& require_column(const schema::Table& table, std::string_view column) {
        const schema::Column* found = table.find_column(column);
        if (found == nullptr) {
            throw std::invalid_argument("table '" + table.name() + "' has no column '" + std::string(column) + "'");
        }
        return *found;
    }

    // Checks `current` against the catalog; returns whether foreign keys are enforced.
    bool check_rebuild_allowed(const schema::Table& current) const {
        std::string declared, actual;
        for (const auto& column : current.columns()) append_name(declared, column.name());
        for (const auto& row : rows("SELECT name FROM pragma_table_info(?) ORDER BY cid", {current.name()})) {
            append_name(actual, row[0].value_or(""));
        }
        if (declared != actual) {
            throw std::invalid_argument("cannot rebuild table '" + current.name() + "': the step describes columns (" +
                                        declared + ") but the database has (" + actual + ")");
        }
        // DROP TABLE drops the table's triggers, and the definition cannot carry them.
        const Rows triggers = rows("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?",
                                   {current.name()});
        if (!triggers.empty()) {
            throw std::invalid_argument("cannot rebuild table '" + current.name() + "': it has trigger '" +
                                        triggers.front()[0].value_or("") +
                                        "', which the rebuild would drop; drop it first and recreate it after");
        }
        const Rows pragma = rows("PRAGMA foreign_keys");
        const bool enforced = !pragma.empty() && pragma.front()[0].value_or("0") == "1";
        if (!enforced) return false;
        const Rows actions = rows(
            "SELECT m.name FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f WHERE m.type = 'table' "
            "AND f.\"table\" = ? AND f.on_delete NOT IN ('NO ACTION', 'RESTRICT')",
            {current.name()});
        if (!actions.empty()) {
            throw std::runtime_error("cannot rebuild table '" + current.name() + "' with foreign keys enforced: table '" +
                                     actions.front()[0].value_or("") +
                                     "' refers to it with an ON DELETE action, which dropping the old table would "
                                     "run; connect without FKSupport=1 for this step");
        }
        return true;
    }

    const Host& host_;
    schema::Dialect dialect_;
};

}  // namespace migration_host::sdk
