// The cinder_grizzly plugin: OpenStack Cinder 2013.1's migrations 002-009 (track "cinder", versions 2-9), written with the operations SDK.
// SPDX-License-Identifier: Apache-2.0
//
// The specification is Cinder's cinder/db/sqlalchemy/migrate_repo/versions/002-009
// at tag 2013.1 (Apache-2.0). What each version leaves was checked against the
// originals run by sqlalchemy-migrate 0.13 and SQLAlchemy 1.4 on SQLite 3.40,
// MariaDB 10.11 and PostgreSQL 15 (see tests/grizzly_schema_check.cpp).
//
// Where this plugin differs from upstream, on purpose:
// - 002 downgrade drops reservations before quota_usages: upstream drops
//   quota_usages first, which MySQL and PostgreSQL refuse (reservations refers to it).
// - 004 downgrade casts with USING on PostgreSQL: upstream's ALTER ... TYPE INTEGER
//   fails there ("cannot be cast automatically"). It also restores AUTO_INCREMENT on
//   MySQL, the index name MySQL had at version 3, and (PostgreSQL) moves the id
//   sequence past the renumbered ids, so that version 3 is what it was.
// - 005 and 007 downgrades on SQLite: upstream runs 005_sqlite_downgrade.sql and
//   007_sqlite_downgrade.sql, which give snapshots and volumes a CHECK (deleted IN
//   (0, 1)) they never had (and the 006 downgrade that follows then fails on
//   SQLite). Here they rebuild each table exactly as the previous version had it.
// - 007 downgrade on MySQL also drops the index MySQL created for the foreign key;
//   upstream leaves it behind.
// - 004 upgrade is restartable (MH_MIGRATION_RESTARTABLE): run again after a kill
//   part way on MySQL, it finishes what the killed attempt began, where upstream's
//   fails or renumbers some volume types twice.
// - 004 keeps the foreign key from volume_type_extra_specs on SQLite (as upstream,
//   whose drop fails there and is ignored) but never ignores an error elsewhere.
#include <migration_host/operations.hpp>
#include <migration_host/plugin.hpp>
#include <migration_host/schema.hpp>

#include <cstdint>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "cinder_tables.hpp"

namespace {

using migration_host::sdk::Host;
using migration_host::sdk::Op;
using migration_host::render::ColumnChange;
using namespace migration_host::schema;

// --- table definitions (what each version leaves) ---

TableOptions innodb() {
    TableOptions options;
    options.mysql_engine = "InnoDB";
    return options;
}

Column created_at() { return Column("created_at", DateTime()); }
Column updated_at() { return Column("updated_at", DateTime()); }
Column deleted_at() { return Column("deleted_at", DateTime()); }
// Boolean(create_constraint=True, name=None): 002, 003 and 008 ask for the CHECK.
Column checked_deleted() { return Column("deleted", CheckedBoolean()); }

// A table of 001 as cinder_initial defines it.
Table initial_table(const std::string& name) {
    for (Table& table : cinder_initial::cinder_initial_tables()) {
        if (table.name() == name) return std::move(table);
    }
    throw std::logic_error("cinder_initial has no table " + name);
}

// `table` with columns replaced (same name) or appended, and foreign keys added.
Table amended(const Table& table, const std::vector<Column>& changes,
              const std::vector<ForeignKeyConstraint>& foreign_keys = {}) {
    std::vector<Column> columns = table.columns();
    for (const Column& change : changes) {
        bool replaced = false;
        for (Column& column : columns) {
            if (column.name() == change.name()) {
                column = change;
                replaced = true;
            }
        }
        if (!replaced) columns.push_back(change);
    }
    TableOptions options = table.options();
    options.foreign_keys.insert(options.foreign_keys.end(), foreign_keys.begin(), foreign_keys.end());
    return Table(table.name(), std::move(columns), std::move(options));
}

Table volume_types_v3() { return initial_table("volume_types"); }
Table volume_types_v4() {
    return amended(volume_types_v3(), {Column("id", String(36)).primary_key().nullable(false)});
}
Table extra_specs_v3() { return initial_table("volume_type_extra_specs"); }
Table extra_specs_v4() {
    return amended(extra_specs_v3(),
                   {Column("volume_type_id", String(36), ForeignKey("volume_types.id")).nullable(false)});
}
// What MySQL and PostgreSQL have while 004 runs: the key to volume_types dropped.
Table without_foreign_keys(const Table& table) {
    std::vector<Column> columns;
    for (const Column& column : table.columns()) columns.push_back(column.with_foreign_key(std::nullopt));
    return Table(table.name(), std::move(columns), table.options());
}
Table volumes_v3() { return initial_table("volumes"); }
Table volumes_v4() { return amended(volumes_v3(), {Column("volume_type_id", String(36))}); }
Table volumes_v5() { return amended(volumes_v4(), {Column("source_volid", String(36))}); }
Table snapshots_v5() { return initial_table("snapshots"); }
Table snapshots_v6() { return amended(snapshots_v5(), {Column("provider_location", String(255))}); }
// The key 007 adds: unnamed on SQLite (as upstream's rebuild leaves it), named as
// sqlalchemy-migrate names it on MySQL (PostgreSQL picks the same name itself).
ForeignKeyConstraint snapshot_volume_fk(Dialect dialect) {
    return {dialect == Dialect::sqlite ? "" : "snapshots_volume_id_fkey", {"volume_id"}, "volumes", {"id"}, ""};
}
Table snapshots_v7(Dialect dialect) { return amended(snapshots_v6(), {}, {snapshot_volume_fk(dialect)}); }

// --- 002_quota_class ---

Table quota_classes() {
    TableOptions options = innodb();
    options.mysql_charset = "utf8";
    options.indexes = {{"ix_quota_classes_class_name", {"class_name"}, false}};
    return Table("quota_classes",
                 {created_at(), updated_at(), deleted_at(), checked_deleted(),
                  Column("id", Integer()).primary_key(), Column("class_name", String(255)),
                  Column("resource", String(255)), Column("hard_limit", Integer()).nullable(true)},
                 options);
}

Table quota_usages() {
    TableOptions options = innodb();
    options.mysql_charset = "utf8";
    options.indexes = {{"ix_quota_usages_project_id", {"project_id"}, false}};
    return Table("quota_usages",
                 {created_at(), updated_at(), deleted_at(), checked_deleted(),
                  Column("id", Integer()).primary_key(), Column("project_id", String(255)),
                  Column("resource", String(255)), Column("in_use", Integer()).nullable(false),
                  Column("reserved", Integer()).nullable(false), Column("until_refresh", Integer()).nullable(true)},
                 options);
}

Table reservations() {
    TableOptions options = innodb();
    options.mysql_charset = "utf8";
    options.indexes = {{"ix_reservations_project_id", {"project_id"}, false}};
    return Table("reservations",
                 {created_at(), updated_at(), deleted_at(), checked_deleted(),
                  Column("id", Integer()).primary_key(), Column("uuid", String(36)).nullable(false),
                  Column("usage_id", Integer(), ForeignKey("quota_usages.id")).nullable(false),
                  Column("project_id", String(255)), Column("resource", String(255)),
                  Column("delta", Integer()).nullable(false), Column("expire", DateTime())},
                 options);
}

void upgrade_002(Host& host) {
    const Op op(host);
    for (const Table& table : {quota_classes(), quota_usages(), reservations()}) {
        try {
            op.create_table(table);
        } catch (const std::exception&) {
            host.error("Table |" + table.repr() + "| not created!");
            throw;
        }
    }
}

void downgrade_002(Host& host) {
    const Op op(host);
    for (const char* table : {"reservations", "quota_usages", "quota_classes"}) op.drop_table(table);
}

// --- 003_glance_metadata ---

void upgrade_003(Host& host) {
    const Op op(host);
    op.create_table(Table("volume_glance_metadata",
                          {created_at(), updated_at(), deleted_at(), checked_deleted(),
                           Column("id", Integer()).primary_key().nullable(false),
                           Column("volume_id", String(36), ForeignKey("volumes.id")),
                           Column("snapshot_id", String(36), ForeignKey("snapshots.id")),
                           Column("key", String(255)), Column("value", Text())},
                          innodb()));
}

void downgrade_003(Host& host) { Op(host).drop_table("volume_glance_metadata"); }

// --- 004_volume_type_to_uuid ---

// A random (version 4) UUID in its usual text form, as Python's str(uuid.uuid4()).
std::string uuid4(std::mt19937_64& random) {
    const auto high = random();
    auto low = random();
    unsigned char bytes[16];
    for (int i = 0; i < 8; ++i) bytes[i] = static_cast<unsigned char>(high >> (56 - 8 * i));
    for (int i = 0; i < 8; ++i) bytes[8 + i] = static_cast<unsigned char>(low >> (56 - 8 * i));
    bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);
    bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (int i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
        out += hex[bytes[i] >> 4];
        out += hex[bytes[i] & 0x0f];
    }
    return out;
}

// The names of the (non-primary) indexes MySQL keeps on `column` of `table`.
std::vector<std::string> mysql_indexes_on(const Op& op, const std::string& table, const std::string& column) {
    std::vector<std::string> names;
    for (const auto& row :
         op.rows("SELECT index_name FROM information_schema.statistics WHERE table_schema = DATABASE() "
                 "AND table_name = ? AND column_name = ? AND index_name <> 'PRIMARY'",
                 {table, column})) {
        if (row[0]) names.push_back(*row[0]);
    }
    return names;
}

// The name of the one (non-primary) index MySQL keeps on `column` of `table`.
std::string mysql_index_on(const Op& op, const std::string& table, const std::string& column) {
    const auto names = mysql_indexes_on(op, table, column);
    if (names.size() != 1) {
        throw std::runtime_error("expected one index on " + table + "." + column + ", found " +
                                 std::to_string(names.size()));
    }
    return names.front();
}

// Drops the key from volume_type_extra_specs to volume_types where the database
// can (MySQL, PostgreSQL), with MySQL's index on its column; returns its name.
std::string drop_extra_specs_key(const Op& op, const Table& extra_specs) {
    const auto name = op.foreign_key_name("volume_type_extra_specs", {"volume_type_id"}, "volume_types");
    if (!name) throw std::runtime_error("volume_type_extra_specs has no foreign key to volume_types");
    op.drop_foreign_key(extra_specs, *name);
    if (op.dialect() == Dialect::mysql) {
        op.drop_index("volume_type_extra_specs", mysql_index_on(op, "volume_type_extra_specs", "volume_type_id"));
    }
    return *name;
}

// Whether `id` is a UUID in its usual text form (what 004 gives every volume type).
bool is_uuid(const std::string& id) {
    if (id.size() != 36) return false;
    for (std::size_t i = 0; i < id.size(); ++i) {
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash != (id[i] == '-')) return false;
        if (!dash && std::string_view("0123456789abcdef").find(id[i]) == std::string_view::npos) return false;
    }
    return true;
}

// Gives every volume type `new_id(old id)` returns a new id for (nullopt: it keeps its id), and every volume and
// extra spec follows its type.
template <typename NewId>
void renumber_volume_types(const Op& op, NewId&& new_id) {
    if (op.dialect() == Dialect::sqlite) {
        // SQLite keeps the extra specs' key through 004: with foreign keys enforced
        // (FKSupport=1), the rows are consistent again only once the type moved too.
        op.execute("PRAGMA defer_foreign_keys = ON");
    }
    const auto types = op.rows("SELECT id FROM volume_types ORDER BY created_at, id");
    std::uint64_t done = 0;
    for (const auto& type : types) {
        const std::string old_id = type[0].value_or("");
        if (const std::optional<std::string> id = new_id(old_id)) {
            op.update("volumes", {{"volume_type_id", *id}}, "volume_type_id = ?", {old_id});
            op.update("volume_type_extra_specs", {{"volume_type_id", *id}}, "volume_type_id = ?", {old_id});
            op.update("volume_types", {{"id", *id}}, "id = ?", {old_id});
        }
        // A deployment with thousands of types waits on this loop (each type updates its volumes).
        op.host().progress(++done, types.size(), "volume types");
    }
}

// The key's name at version 3 as the database named it (cinder_initial leaves it unnamed): what 004 names the new
// key when an interrupted attempt already dropped the old one.
std::string extra_specs_key_at_3(Dialect dialect) {
    return dialect == Dialect::mysql ? "volume_type_extra_specs_ibfk_1" : "volume_type_extra_specs_volume_type_id_fkey";
}

// Restartable (MH_MIGRATION_RESTARTABLE): where DDL commits as it goes (MySQL), a killed attempt may have stopped
// after any statement. Run again, each part checks what is already done: the key is dropped where it is (the new
// one too, which is then made again), MySQL's index where it is, the column changes are the same whatever the
// column already is, only types whose id is not yet a UUID are renumbered (the host runs the renumbering's updates
// in one transaction, so they are all done or none), and the key is made last.
void upgrade_004(Host& host) {
    host.require_parameters("004_volume_type_to_uuid renumbers with bound values");
    const Op op(host);
    const Dialect dialect = op.dialect();
    const bool keeps_key = dialect == Dialect::sqlite;
    std::string key;
    if (!keeps_key) {
        const auto existing = op.foreign_key_name("volume_type_extra_specs", {"volume_type_id"}, "volume_types");
        key = existing.value_or(extra_specs_key_at_3(dialect));
        if (existing) op.drop_foreign_key(extra_specs_v3(), key);
        if (dialect == Dialect::mysql) {
            for (const auto& index : mysql_indexes_on(op, "volume_type_extra_specs", "volume_type_id")) {
                op.drop_index("volume_type_extra_specs", index);
            }
        }
    }
    const Table extra_specs = keeps_key ? extra_specs_v3() : without_foreign_keys(extra_specs_v3());

    op.alter_column(volumes_v3(), "volume_type_id", ColumnChange{String(36)});
    op.alter_column(volume_types_v3(), "id", ColumnChange{String(36)});
    op.alter_column(extra_specs, "volume_type_id", ColumnChange{String(36)});

    std::mt19937_64 random(std::random_device{}());
    renumber_volume_types(op, [&](const std::string& old_id) -> std::optional<std::string> {
        if (is_uuid(old_id)) return std::nullopt;
        return uuid4(random);
    });

    if (!keeps_key) {
        op.create_foreign_key(without_foreign_keys(extra_specs_v4()),
                              {key, {"volume_type_id"}, "volume_types", {"id"}, ""});
    }
}

void downgrade_004(Host& host) {
    host.require_parameters("004_volume_type_to_uuid renumbers with bound values");
    const Op op(host);
    const Dialect dialect = op.dialect();
    const bool keeps_key = dialect == Dialect::sqlite;
    const std::string key = keeps_key ? "" : drop_extra_specs_key(op, extra_specs_v4());
    const Table extra_specs = keeps_key ? extra_specs_v4() : without_foreign_keys(extra_specs_v4());

    int next = 1;
    renumber_volume_types(op, [&](const std::string&) -> std::optional<std::string> {
        return std::to_string(next++);
    });

    ColumnChange to_integer{Integer()};
    to_integer.postgresql_using = "CAST(volume_type_id AS INTEGER)";
    op.alter_column(volumes_v4(), "volume_type_id", to_integer);
    op.alter_column(extra_specs, "volume_type_id", to_integer);
    ColumnChange id_to_integer{Integer()};
    id_to_integer.postgresql_using = "CAST(id AS INTEGER)";
    id_to_integer.mysql_autoincrement = true;  // version 3's id is AUTO_INCREMENT
    op.alter_column(volume_types_v4(), "id", id_to_integer);

    if (dialect == Dialect::postgresql) {
        // The id sequence (which 004 left in place) continues after the renumbered ids.
        op.execute("SELECT setval(pg_get_serial_sequence('volume_types', 'id'), "
                   "COALESCE((SELECT MAX(id) FROM volume_types), 0) + 1, false)");
    }
    if (!keeps_key) {
        // MySQL's index had the column's name at version 3, as creating the table named it.
        if (dialect == Dialect::mysql) op.create_index("volume_type_extra_specs", {"volume_type_id", {"volume_type_id"}});
        op.create_foreign_key(without_foreign_keys(extra_specs_v3()),
                              {key, {"volume_type_id"}, "volume_types", {"id"}, ""});
    }
}

// --- 005_add_source_volume_column ---

void upgrade_005(Host& host) { Op(host).add_column("volumes", Column("source_volid", String(36))); }
void downgrade_005(Host& host) { Op(host).drop_column(volumes_v5(), "source_volid"); }

// --- 006_snapshots_add_provider_location ---

void upgrade_006(Host& host) {
    const Op op(host);
    op.add_column("snapshots", Column("provider_location", String(255)));
    op.execute("UPDATE snapshots SET provider_location = NULL");  // as upstream, though a new column is NULL anyway
}
void downgrade_006(Host& host) { Op(host).drop_column(snapshots_v6(), "provider_location"); }

// --- 007_add_volume_snapshot_fk ---

void upgrade_007(Host& host) {
    const Op op(host);
    op.create_foreign_key(snapshots_v6(), snapshot_volume_fk(op.dialect()));
}

void downgrade_007(Host& host) {
    const Op op(host);
    const Table snapshots = snapshots_v7(op.dialect());
    if (op.dialect() == Dialect::sqlite) {
        op.drop_foreign_key(snapshots, "", {"volume_id"});
        return;
    }
    const auto name = op.foreign_key_name("snapshots", {"volume_id"}, "volumes");
    if (!name) throw std::runtime_error("snapshots has no foreign key to volumes");
    op.drop_foreign_key(snapshots, *name);
    if (op.dialect() == Dialect::mysql) op.drop_index("snapshots", mysql_index_on(op, "snapshots", "volume_id"));
}

// --- 008_add_backup ---

void upgrade_008(Host& host) {
    std::vector<Column> columns = {created_at(), updated_at(), deleted_at(), checked_deleted(),
                                   Column("id", String(36)).primary_key().nullable(false),
                                   Column("volume_id", String(36)).nullable(false)};
    for (const char* name : {"user_id", "project_id", "host", "availability_zone", "display_name",
                             "display_description", "container", "status", "fail_reason", "service_metadata",
                             "service"}) {
        columns.emplace_back(name, String(255));
    }
    columns.emplace_back("size", Integer());
    columns.emplace_back("object_count", Integer());
    Op(host).create_table(Table("backups", std::move(columns), innodb()));
}

void downgrade_008(Host& host) { Op(host).drop_table("backups"); }

// --- 009_add_snapshot_metadata_table ---

void upgrade_009(Host& host) {
    Op(host).create_table(Table("snapshot_metadata",
                                {created_at(), updated_at(), deleted_at(), Column("deleted", Boolean()),
                                 Column("id", Integer()).primary_key().nullable(false),
                                 Column("snapshot_id", String(36), ForeignKey("snapshots.id")).nullable(false),
                                 Column("key", String(255)), Column("value", String(255))},
                                innodb()));
}

void downgrade_009(Host& host) { Op(host).drop_table("snapshot_metadata"); }

// --- the plugin ---

namespace sdk = migration_host::sdk;

constexpr mh_migration m002 = sdk::Migration("cinder", 2, "002_quota_class")
                                  .upgrade(sdk::step<&upgrade_002>)
                                  .downgrade(sdk::step<&downgrade_002>)
                                  .build();
constexpr mh_migration m003 = sdk::Migration("cinder", 3, "003_glance_metadata")
                                  .upgrade(sdk::step<&upgrade_003>)
                                  .downgrade(sdk::step<&downgrade_003>)
                                  .build();
// Queries the database (foreign key names, the types to renumber) and draws random
// UUIDs, so it cannot be rendered offline: it vouches for its own checksum.
// Restartable: see upgrade_004. The checksum stays: what a run leaves is what it was.
constexpr mh_migration m004 = sdk::Migration("cinder", 4, "004_volume_type_to_uuid")
                                  .upgrade(sdk::step<&upgrade_004>)
                                  .downgrade(sdk::step<&downgrade_004>)
                                  .checksum("cinder_grizzly:004_volume_type_to_uuid:1")
                                  .restartable()
                                  .build();
constexpr mh_migration m005 = sdk::Migration("cinder", 5, "005_add_source_volume_column")
                                  .upgrade(sdk::step<&upgrade_005>)
                                  .downgrade(sdk::step<&downgrade_005>)
                                  .build();
constexpr mh_migration m006 = sdk::Migration("cinder", 6, "006_snapshots_add_provider_location")
                                  .upgrade(sdk::step<&upgrade_006>)
                                  .downgrade(sdk::step<&downgrade_006>)
                                  .build();
constexpr mh_migration m007 = sdk::Migration("cinder", 7, "007_add_volume_snapshot_fk")
                                  .upgrade(sdk::step<&upgrade_007>)
                                  .downgrade(sdk::step<&downgrade_007>)
                                  .build();
constexpr mh_migration m008 = sdk::Migration("cinder", 8, "008_add_backup")
                                  .upgrade(sdk::step<&upgrade_008>)
                                  .downgrade(sdk::step<&downgrade_008>)
                                  .build();
constexpr mh_migration m009 = sdk::Migration("cinder", 9, "009_add_snapshot_metadata_table")
                                  .upgrade(sdk::step<&upgrade_009>)
                                  .downgrade(sdk::step<&downgrade_009>)
                                  .build();

const mh_migration* const migrations[] = {&m002, &m003, &m004, &m005, &m006, &m007, &m008, &m009};

constexpr mh_plugin_descriptor descriptor = sdk::make_descriptor(
    "cinder_grizzly", "OpenStack Cinder 2013.1 (Grizzly) migrations", "1.0.0",
    "Cinder's 002_quota_class .. 009_add_snapshot_metadata_table, after cinder_initial", migrations);

}  // namespace

MIGRATION_HOST_PLUGIN(descriptor)
