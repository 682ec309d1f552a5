// The Cinder initial schema as the seed defines it, read back from a database's own catalog and compared.
// SPDX-License-Identifier: Apache-2.0
#include "cinder_schema_check.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <map>

namespace test_support {
namespace {

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

std::string text(const std::optional<std::string>& value) {
    return value.value_or("");
}

ColumnInfo col(std::string name, std::string type, bool nullable = true) {
    return ColumnInfo{std::move(name), std::move(type), nullable, false, false};
}
ColumnInfo int_pk() {
    return ColumnInfo{"id", "integer", false, false, true};
}
std::vector<ColumnInfo> audit_columns() {
    return {col("created_at", "datetime"), col("updated_at", "datetime"), col("deleted_at", "datetime"),
            col("deleted", "boolean")};
}
std::vector<ColumnInfo> with_audit(std::vector<ColumnInfo> rest) {
    auto columns = audit_columns();
    columns.insert(columns.end(), rest.begin(), rest.end());
    return columns;
}
std::string vc(int length) {
    return fmt::format("varchar({})", length);
}

// SQLite keeps declared type text; MySQL and PostgreSQL report their own names.
std::string portable_type(Backend backend, std::string type, const std::optional<std::string>& length) {
    type = lower(type);
    if (backend == Backend::sqlite) {
        if (type.rfind("varchar", 0) == 0) return type;
    }
    if (backend == Backend::mysql) {
        if (type == "tinyint(1)") return "boolean";
        if (type == "int(11)") return "integer";
    }
    if (backend == Backend::postgresql) {
        if (type == "timestamp without time zone") return "datetime";
        if (type == "character varying") return vc(std::stoi(text(length)));
    }
    return type;
}

// The host's own tables, as an SQL list: none of them is part of a schema the plugins leave.
const std::string host_tables = "('migrate_version', 'migration_host_history', 'migration_host_galera_lock', "
                                "'migration_host_lock', 'migration_host_track_state')";

std::vector<TableInfo> read_sqlite(const TestDatabase& db) {
    std::vector<TableInfo> tables;
    for (const auto& row : db.query("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT IN "
                                    + host_tables + " ORDER BY rowid")) {
        TableInfo table{text(row[0]), {}, {}, {}, false};
        const std::string sql = lower(text(row[1]));
        table.has_check_constraint = sql.find("check") != std::string::npos;
        std::map<int, std::string> key_order;
        for (const auto& c : db.query(fmt::format("SELECT name, type, \"notnull\", dflt_value, pk FROM "
                                                  "pragma_table_info('{}') ORDER BY cid",
                                                  table.name))) {
            ColumnInfo column{text(c[0]), portable_type(Backend::sqlite, text(c[1]), std::nullopt), text(c[2]) == "0",
                              c[3].has_value(), false};
            if (text(c[4]) != "0") key_order[std::stoi(text(c[4]))] = column.name;
            table.columns.push_back(column);
        }
        for (const auto& [order, name] : key_order) table.primary_key.push_back(name);
        // A single INTEGER primary key is a rowid alias (SQLite's autoincrement)
        // unless the table is WITHOUT ROWID; AUTOINCREMENT is a different,
        // stricter thing the original does not produce.
        if (table.primary_key.size() == 1 && sql.find("without rowid") == std::string::npos &&
            sql.find("autoincrement") == std::string::npos) {
            for (auto& column : table.columns) {
                if (column.name == table.primary_key.front() && lower(column.type) == "integer") column.autoincrement = true;
            }
        }
        for (const auto& fk : db.query(fmt::format("SELECT \"from\", \"table\", \"to\" FROM pragma_foreign_key_list('{}')",
                                                   table.name))) {
            table.foreign_keys.push_back({text(fk[0]), text(fk[1]), text(fk[2])});
        }
        for (const auto& index : db.query(fmt::format("SELECT name, \"unique\" FROM pragma_index_list('{}') WHERE origin = 'c'",
                                                      table.name))) {
            std::string columns;
            for (const auto& c : db.query(fmt::format("SELECT name FROM pragma_index_info('{}') ORDER BY seqno", text(index[0])))) {
                if (!columns.empty()) columns += ',';
                columns += text(c[0]);
            }
            table.indexes.push_back(fmt::format("{}({}){}", text(index[0]), columns, text(index[1]) == "1" ? " UNIQUE" : ""));
        }
        tables.push_back(std::move(table));
    }
    return tables;
}

std::vector<TableInfo> read_mysql(const TestDatabase& db) {
    std::vector<TableInfo> tables;
    for (const auto& row : db.query("SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() "
                                    "AND table_name NOT IN " + host_tables + " ORDER BY table_name")) {
        TableInfo table{text(row[0]), {}, {}, {}, false};
        for (const auto& c : db.query("SELECT column_name, column_type, is_nullable, column_default, extra FROM "
                                      "information_schema.columns WHERE table_schema = DATABASE() AND table_name = ? "
                                      "ORDER BY ordinal_position",
                                      {table.name})) {
            // MariaDB reports a NULL default as the text 'NULL'.
            const bool has_default = c[3].has_value() && *c[3] != "NULL";
            table.columns.push_back({text(c[0]), portable_type(Backend::mysql, text(c[1]), std::nullopt),
                                     text(c[2]) == "YES", has_default,
                                     lower(text(c[4])).find("auto_increment") != std::string::npos});
        }
        for (const auto& k : db.query("SELECT column_name, constraint_name, referenced_table_name, "
                                      "referenced_column_name FROM information_schema.key_column_usage WHERE "
                                      "table_schema = DATABASE() AND table_name = ? ORDER BY constraint_name, "
                                      "ordinal_position",
                                      {table.name})) {
            if (text(k[1]) == "PRIMARY") {
                table.primary_key.push_back(text(k[0]));
            } else if (k[2]) {
                table.foreign_keys.push_back({text(k[0]), text(k[2]), text(k[3])});
            }
        }
        table.has_check_constraint = !db.query("SELECT constraint_name FROM information_schema.check_constraints WHERE "
                                               "constraint_schema = DATABASE() AND table_name = ?",
                                               {table.name})
                                          .empty();
        for (const auto& index : db.query("SELECT index_name, MIN(non_unique), GROUP_CONCAT(column_name ORDER BY seq_in_index) "
                                          "FROM information_schema.statistics WHERE table_schema = DATABASE() AND "
                                          "table_name = ? AND index_name <> 'PRIMARY' GROUP BY index_name",
                                          {table.name})) {
            table.indexes.push_back(fmt::format("{}({}){}", text(index[0]), text(index[2]), text(index[1]) == "0" ? " UNIQUE" : ""));
        }
        const auto options = db.query("SELECT engine, table_collation FROM information_schema.tables WHERE "
                                      "table_schema = DATABASE() AND table_name = ?",
                                      {table.name});
        table.mysql_engine = text(options.at(0)[0]);
        table.mysql_collation = text(options.at(0)[1]);
        tables.push_back(std::move(table));
    }
    return tables;
}

std::vector<TableInfo> read_postgresql(const TestDatabase& db) {
    std::vector<TableInfo> tables;
    for (const auto& row : db.query("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                                    "WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relname NOT IN "
                                    + host_tables + " ORDER BY c.oid")) {
        TableInfo table{text(row[0]), {}, {}, {}, false};
        for (const auto& c : db.query(
                 "SELECT column_name, data_type, character_maximum_length, is_nullable, column_default, "
                 "pg_get_serial_sequence(quote_ident(table_name), column_name) FROM information_schema.columns "
                 "WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position",
                 {table.name})) {
            const bool serial = c[5].has_value();
            // A SERIAL's default is its sequence's nextval; any other default is unexpected.
            const bool has_default = c[4].has_value() && !(serial && c[4]->find("nextval(") == 0);
            table.columns.push_back({text(c[0]), portable_type(Backend::postgresql, text(c[1]), c[2]),
                                     text(c[3]) == "YES", has_default, serial});
            if (serial) {
                CHECK(*c[5] == fmt::format("public.{}_{}_seq", table.name, text(c[0])));
            }
        }
        for (const auto& k : db.query(
                 "SELECT a.attname, con.contype, ref.relname, refatt.attname FROM pg_constraint con "
                 "JOIN pg_class rel ON rel.oid = con.conrelid "
                 "CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord) "
                 "JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum "
                 "LEFT JOIN pg_class ref ON ref.oid = con.confrelid "
                 "LEFT JOIN pg_attribute refatt ON refatt.attrelid = con.confrelid AND refatt.attnum = "
                 "con.confkey[k.ord] "
                 "WHERE rel.relname = ? AND rel.relnamespace = to_regnamespace(current_schema()) "
                 "ORDER BY con.contype, con.conname, k.ord",
                 {table.name})) {
            const std::string type = text(k[1]);
            if (type == "p") table.primary_key.push_back(text(k[0]));
            if (type == "f") table.foreign_keys.push_back({text(k[0]), text(k[2]), text(k[3])});
            if (type == "c") table.has_check_constraint = true;
        }
        for (const auto& index : db.query(
                 "SELECT i.relname, x.indisunique, string_agg(a.attname, ',' ORDER BY k.ord) FROM pg_index x "
                 "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
                 "CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, ord) "
                 "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum "
                 "WHERE t.relname = ? AND t.relnamespace = to_regnamespace(current_schema()) AND NOT x.indisprimary "
                 "GROUP BY i.relname, x.indisunique",
                 {table.name})) {
            table.indexes.push_back(fmt::format("{}({}){}", text(index[0]), text(index[2]), text(index[1]) == "1" ? " UNIQUE" : ""));
        }
        tables.push_back(std::move(table));
    }
    return tables;
}

std::string describe(const ColumnInfo& c) {
    return fmt::format("{} {}{}{}{}", c.name, c.type, c.nullable ? "" : " NOT NULL", c.has_default ? " DEFAULT" : "",
                       c.autoincrement ? " AUTOINCREMENT" : "");
}

}  // namespace

std::vector<TableInfo> expected_cinder_tables() {
    const auto fk = [](std::string column, std::string table) { return ForeignKeyInfo{column, table, "id"}; };
    std::vector<TableInfo> tables = {
        {"sm_flavors", with_audit({int_pk(), col("label", vc(255)), col("description", vc(255))}), {"id"}, {}},
        {"sm_backend_config",
         with_audit({int_pk(), col("flavor_id", "integer", false), col("sr_uuid", vc(255)), col("sr_type", vc(255)),
                     col("config_params", vc(2047))}),
         {"id"},
         {fk("flavor_id", "sm_flavors")}},
        {"snapshots",
         with_audit({col("id", vc(36), false), col("volume_id", vc(36), false), col("user_id", vc(255)),
                     col("project_id", vc(255)), col("status", vc(255)), col("progress", vc(255)),
                     col("volume_size", "integer"), col("scheduled_at", "datetime"), col("display_name", vc(255)),
                     col("display_description", vc(255))}),
         {"id"},
         {}},
        {"volume_types", with_audit({int_pk(), col("name", vc(255))}), {"id"}, {}},
        {"volumes",
         with_audit({col("id", vc(36), false), col("ec2_id", vc(255)), col("user_id", vc(255)),
                     col("project_id", vc(255)), col("host", vc(255)), col("size", "integer"),
                     col("availability_zone", vc(255)), col("instance_uuid", vc(36)), col("mountpoint", vc(255)),
                     col("attach_time", vc(255)), col("status", vc(255)), col("attach_status", vc(255)),
                     col("scheduled_at", "datetime"), col("launched_at", "datetime"),
                     col("terminated_at", "datetime"), col("display_name", vc(255)),
                     col("display_description", vc(255)), col("provider_location", vc(256)),
                     col("provider_auth", vc(256)), col("snapshot_id", vc(36)), col("volume_type_id", "integer")}),
         {"id"},
         {}},
        {"iscsi_targets",
         with_audit({int_pk(), col("target_num", "integer"), col("host", vc(255)), col("volume_id", vc(36))}),
         {"id"},
         {fk("volume_id", "volumes")}},
        {"migrations",
         with_audit({int_pk(), col("source_compute", vc(255)), col("dest_compute", vc(255)),
                     col("dest_host", vc(255)), col("status", vc(255)), col("instance_uuid", vc(255)),
                     col("old_instance_type_id", "integer"), col("new_instance_type_id", "integer")}),
         {"id"},
         {}},
        {"quotas",
         {int_pk(), col("created_at", "datetime"), col("updated_at", "datetime"), col("deleted_at", "datetime"),
          col("deleted", "boolean"), col("project_id", vc(255)), col("resource", vc(255), false),
          col("hard_limit", "integer")},
         {"id"},
         {}},
        {"services",
         with_audit({int_pk(), col("host", vc(255)), col("binary", vc(255)), col("topic", vc(255)),
                     col("report_count", "integer", false), col("disabled", "boolean"),
                     col("availability_zone", vc(255))}),
         {"id"},
         {}},
        {"sm_volume",
         with_audit({col("id", vc(36), false), col("backend_id", "integer", false), col("vdi_uuid", vc(255))}),
         {"id"},
         {fk("backend_id", "sm_backend_config"), fk("id", "volumes")}},
        {"volume_metadata",
         with_audit({int_pk(), col("volume_id", vc(36), false), col("key", vc(255)), col("value", vc(255))}),
         {"id"},
         {fk("volume_id", "volumes")}},
        {"volume_type_extra_specs",
         with_audit({int_pk(), col("volume_type_id", "integer", false), col("key", vc(255)), col("value", vc(255))}),
         {"id"},
         {fk("volume_type_id", "volume_types")}},
    };
    for (auto& table : tables) std::sort(table.foreign_keys.begin(), table.foreign_keys.end());
    return tables;
}

std::vector<TableInfo> read_tables(const TestDatabase& database) {
    std::vector<TableInfo> tables;
    switch (database.backend()) {
        case Backend::sqlite: tables = read_sqlite(database); break;
        case Backend::mysql: tables = read_mysql(database); break;
        case Backend::postgresql: tables = read_postgresql(database); break;
    }
    for (auto& table : tables) {
        std::sort(table.foreign_keys.begin(), table.foreign_keys.end());
        std::sort(table.indexes.begin(), table.indexes.end());
    }
    return tables;
}

std::vector<std::string> table_names(const TestDatabase& database) {
    std::string sql;
    switch (database.backend()) {
        case Backend::sqlite: sql = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY rowid"; break;
        case Backend::mysql:
            sql = "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY table_name";
            break;
        case Backend::postgresql:
            sql = "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = "
                  "current_schema() AND c.relkind = 'r' ORDER BY c.oid";
            break;
    }
    std::vector<std::string> names;
    for (const auto& row : database.query(sql)) {
        const std::string name = text(row[0]);
        // The host's own tables, as the host itself tells them apart (is_host_table).
        if (name != "migrate_version" && name.rfind("migration_host_", 0) != 0) names.push_back(name);
    }
    return names;
}

void check_cinder_schema(const TestDatabase& database) {
    const auto expected = expected_cinder_tables();
    const auto actual = read_tables(database);

    std::vector<std::string> expected_names, actual_names;
    for (const auto& table : expected) expected_names.push_back(table.name);
    for (const auto& table : actual) actual_names.push_back(table.name);
    if (database.backend() == Backend::mysql) {
        // ALTER TABLE ... CONVERT rebuilds tables, so MySQL keeps no creation order.
        std::sort(expected_names.begin(), expected_names.end());
        std::sort(actual_names.begin(), actual_names.end());
    }
    REQUIRE(actual_names == expected_names);

    for (const auto& want : expected) {
        const auto found = std::find_if(actual.begin(), actual.end(), [&](const TableInfo& t) { return t.name == want.name; });
        REQUIRE(found != actual.end());
        const TableInfo& got = *found;
        INFO("table " << want.name);
        REQUIRE(got.columns.size() == want.columns.size());
        for (std::size_t i = 0; i < want.columns.size(); ++i) {
            CHECK(describe(got.columns[i]) == describe(want.columns[i]));
        }
        CHECK(got.primary_key == want.primary_key);
        CHECK(got.foreign_keys == want.foreign_keys);
        CHECK_FALSE(got.has_check_constraint);
    }
}

std::vector<std::string> describe_tables(std::vector<TableInfo> tables) {
    std::sort(tables.begin(), tables.end(), [](const TableInfo& a, const TableInfo& b) { return a.name < b.name; });
    std::vector<std::string> out;
    for (const auto& table : tables) {
        std::vector<std::string> columns, foreign_keys;
        for (const auto& c : table.columns) {
            columns.push_back(fmt::format("{} {}{}{}{}", c.name, c.type, c.nullable ? "" : " NOT NULL",
                                          c.has_default ? " DEFAULT" : "", c.autoincrement ? " AUTOINCREMENT" : ""));
        }
        for (const auto& key : table.foreign_keys) {
            foreign_keys.push_back(fmt::format("{}->{}.{}", key.column, key.referenced_table, key.referenced_column));
        }
        out.push_back(fmt::format("{}({}) pk({}) fk({}){} indexes({}) {} {}", table.name, fmt::join(columns, ", "),
                                  fmt::join(table.primary_key, ","), fmt::join(foreign_keys, ","),
                                  table.has_check_constraint ? " CHECK" : "", fmt::join(table.indexes, ","),
                                  table.mysql_engine, table.mysql_collation));
    }
    return out;
}

}  // namespace test_support
