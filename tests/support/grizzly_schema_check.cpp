// What Cinder 2013.1's original migrations 002-009 leave at each version, per database, and a catalog check against it.
// SPDX-License-Identifier: Apache-2.0
//
// How these expectations were obtained: the originals (Cinder 2013.1's
// migrate_repo/versions/001-009, with upstream 002's and 008's assert_unicode
// argument removed, which SQLAlchemy 1.4 rejects, and cinder's log module replaced
// by Python's logging) were run with Debian 12's sqlalchemy-migrate 0.13.0 and
// SQLAlchemy 1.4.46 (pymysql, psycopg2) against scratch SQLite 3.40.1, MariaDB
// 10.11 and PostgreSQL 15 databases, upgrading one version at a time to 9 and then
// downgrading one at a time; after each version the catalog was dumped
// (sqlite_master and PRAGMA table_info/foreign_key_list/index_list; SHOW CREATE
// TABLE and information_schema.tables; information_schema.columns, pg_constraint
// and pg_indexes). The dumps of the upgrades are transcribed below. The original's
// downgrades left the same schema as the upgrade to that version except where
// cinder_grizzly.cpp's header says they differ or fail.
#include "grizzly_schema_check.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <string>

namespace test_support {
namespace {

ColumnInfo col(std::string name, std::string type, bool nullable = true) {
    return ColumnInfo{std::move(name), std::move(type), nullable, false, false};
}
ColumnInfo int_pk() { return ColumnInfo{"id", "integer", false, false, true}; }
std::string vc(int length) { return fmt::format("varchar({})", length); }
std::vector<ColumnInfo> with_audit(std::vector<ColumnInfo> rest) {
    std::vector<ColumnInfo> columns = {col("created_at", "datetime"), col("updated_at", "datetime"),
                                       col("deleted_at", "datetime"), col("deleted", "boolean")};
    columns.insert(columns.end(), rest.begin(), rest.end());
    return columns;
}
ForeignKeyInfo fk(std::string column, std::string table) { return {std::move(column), std::move(table), "id"}; }

TableInfo& find(std::vector<TableInfo>& tables, const std::string& name) {
    for (auto& table : tables) {
        if (table.name == name) return table;
    }
    throw std::logic_error("no table " + name);
}
ColumnInfo& find_column(TableInfo& table, const std::string& name) {
    for (auto& column : table.columns) {
        if (column.name == name) return column;
    }
    throw std::logic_error("no column " + name);
}

// MySQL makes an index for each foreign key whose column no index starts with,
// named after the column (after the constraint when the key was added by ALTER).
void add_mysql_fk_index(Backend backend, TableInfo& table, const std::string& name, const std::string& column) {
    if (backend == Backend::mysql) table.indexes.push_back(fmt::format("{}({})", name, column));
}

}  // namespace

std::vector<TableInfo> expected_grizzly_tables(Backend backend, int version) {
    std::vector<TableInfo> tables = expected_cinder_tables();
    // 001's foreign-key indexes on MySQL.
    add_mysql_fk_index(backend, find(tables, "sm_backend_config"), "flavor_id", "flavor_id");
    add_mysql_fk_index(backend, find(tables, "iscsi_targets"), "volume_id", "volume_id");
    add_mysql_fk_index(backend, find(tables, "sm_volume"), "backend_id", "backend_id");
    add_mysql_fk_index(backend, find(tables, "volume_metadata"), "volume_id", "volume_id");
    add_mysql_fk_index(backend, find(tables, "volume_type_extra_specs"), "volume_type_id", "volume_type_id");
    // Boolean(create_constraint=True) renders a CHECK where booleans are not native.
    const bool boolean_check = backend != Backend::postgresql;

    if (version >= 2) {
        tables.push_back({"quota_classes",
                          with_audit({int_pk(), col("class_name", vc(255)), col("resource", vc(255)),
                                      col("hard_limit", "integer")}),
                          {"id"},
                          {},
                          boolean_check,
                          {"ix_quota_classes_class_name(class_name)"}});
        tables.push_back({"quota_usages",
                          with_audit({int_pk(), col("project_id", vc(255)), col("resource", vc(255)),
                                      col("in_use", "integer", false), col("reserved", "integer", false),
                                      col("until_refresh", "integer")}),
                          {"id"},
                          {},
                          boolean_check,
                          {"ix_quota_usages_project_id(project_id)"}});
        tables.push_back({"reservations",
                          with_audit({int_pk(), col("uuid", vc(36), false), col("usage_id", "integer", false),
                                      col("project_id", vc(255)), col("resource", vc(255)),
                                      col("delta", "integer", false), col("expire", "datetime")}),
                          {"id"},
                          {fk("usage_id", "quota_usages")},
                          boolean_check,
                          {"ix_reservations_project_id(project_id)"}});
        add_mysql_fk_index(backend, tables.back(), "usage_id", "usage_id");
    }
    if (version >= 3) {
        tables.push_back({"volume_glance_metadata",
                          with_audit({int_pk(), col("volume_id", vc(36)), col("snapshot_id", vc(36)),
                                      col("key", vc(255)), col("value", "text")}),
                          {"id"},
                          {fk("snapshot_id", "snapshots"), fk("volume_id", "volumes")},
                          boolean_check,
                          {}});
        add_mysql_fk_index(backend, tables.back(), "volume_id", "volume_id");
        add_mysql_fk_index(backend, tables.back(), "snapshot_id", "snapshot_id");
    }
    if (version >= 4) {
        find_column(find(tables, "volumes"), "volume_type_id").type = vc(36);
        find_column(find(tables, "volume_type_extra_specs"), "volume_type_id").type = vc(36);
        ColumnInfo& id = find_column(find(tables, "volume_types"), "id");
        id.type = vc(36);
        // PostgreSQL keeps the SERIAL's sequence and its nextval default on what is
        // now a varchar column (the original's ALTER ... TYPE leaves both).
        id.autoincrement = backend == Backend::postgresql;
        // The original re-creates the foreign key after MySQL lost the column's index,
        // so MySQL names the new one after the constraint.
        auto& indexes = find(tables, "volume_type_extra_specs").indexes;
        std::replace(indexes.begin(), indexes.end(), std::string("volume_type_id(volume_type_id)"),
                     std::string("volume_type_extra_specs_ibfk_1(volume_type_id)"));
    }
    if (version >= 5) find(tables, "volumes").columns.push_back(col("source_volid", vc(36)));
    if (version >= 6) find(tables, "snapshots").columns.push_back(col("provider_location", vc(255)));
    if (version >= 7) {
        find(tables, "snapshots").foreign_keys.push_back(fk("volume_id", "volumes"));
        add_mysql_fk_index(backend, find(tables, "snapshots"), "snapshots_volume_id_fkey", "volume_id");
    }
    if (version >= 8) {
        std::vector<ColumnInfo> columns = {col("id", vc(36), false), col("volume_id", vc(36), false)};
        for (const char* name : {"user_id", "project_id", "host", "availability_zone", "display_name",
                                 "display_description", "container", "status", "fail_reason", "service_metadata",
                                 "service"}) {
            columns.push_back(col(name, vc(255)));
        }
        columns.push_back(col("size", "integer"));
        columns.push_back(col("object_count", "integer"));
        tables.push_back({"backups", with_audit(columns), {"id"}, {}, boolean_check, {}});
    }
    if (version >= 9) {
        tables.push_back({"snapshot_metadata",
                          with_audit({int_pk(), col("snapshot_id", vc(36), false), col("key", vc(255)),
                                      col("value", vc(255))}),
                          {"id"},
                          {fk("snapshot_id", "snapshots")},
                          false,
                          {}});
        add_mysql_fk_index(backend, tables.back(), "snapshot_id", "snapshot_id");
    }
    for (auto& table : tables) {
        std::sort(table.foreign_keys.begin(), table.foreign_keys.end());
        std::sort(table.indexes.begin(), table.indexes.end());
        if (backend == Backend::mysql) {
            // 001 makes utf8 the database's default, so every later table is utf8 too.
            table.mysql_engine = "InnoDB";
            table.mysql_collation = "utf8mb3_general_ci";
        }
    }
    std::sort(tables.begin(), tables.end(), [](const TableInfo& a, const TableInfo& b) { return a.name < b.name; });
    return tables;
}

void check_grizzly_schema(const TestDatabase& database, int version) {
    INFO("cinder@" << version);
    const auto expected = expected_grizzly_tables(database.backend(), version);
    auto actual = read_tables(database);
    std::sort(actual.begin(), actual.end(), [](const TableInfo& a, const TableInfo& b) { return a.name < b.name; });
    std::vector<std::string> expected_names, actual_names;
    for (const auto& table : expected) expected_names.push_back(table.name);
    for (const auto& table : actual) actual_names.push_back(table.name);
    REQUIRE(actual_names == expected_names);
    for (std::size_t t = 0; t < expected.size(); ++t) {
        const TableInfo& want = expected[t];
        const TableInfo& got = actual[t];
        INFO("table " << want.name);
        REQUIRE(got.columns.size() == want.columns.size());
        for (std::size_t i = 0; i < want.columns.size(); ++i) {
            const auto describe = [](const ColumnInfo& c) {
                return fmt::format("{} {}{}{}{}", c.name, c.type, c.nullable ? "" : " NOT NULL",
                                   c.has_default ? " DEFAULT" : "", c.autoincrement ? " AUTOINCREMENT" : "");
            };
            CHECK(describe(got.columns[i]) == describe(want.columns[i]));
        }
        CHECK(got.primary_key == want.primary_key);
        CHECK(got.foreign_keys == want.foreign_keys);
        CHECK(got.has_check_constraint == want.has_check_constraint);
        CHECK(got.indexes == want.indexes);
        CHECK(got.mysql_engine == want.mysql_engine);
        CHECK(got.mysql_collation == want.mysql_collation);
    }
}

}  // namespace test_support
