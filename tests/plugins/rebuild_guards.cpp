// Test plugin rebuild_guards: track rebuild, whose second step changes a column of a table the test makes by hand, which SQLite does by rebuilding the table (Op::rebuild and its guards); track unguarded, the same rebuild as a plugin built with an SDK without guards renders it.
// SPDX-License-Identifier: Apache-2.0
#include <migration_host/operations.hpp>
#include <migration_host/plugin.hpp>
#include <migration_host/schema.hpp>

namespace {

using migration_host::render::ColumnChange;
using migration_host::sdk::Host;
using migration_host::sdk::Op;
namespace schema = migration_host::schema;

// The table as the test creates it: volumes (id, name VARCHAR(40)).
schema::Table volumes(std::size_t name_length) {
    return schema::Table("volumes",
                         {
                             schema::Column("id", schema::Integer()).primary_key(),
                             schema::Column("name", schema::String(name_length)),
                         },
                         schema::TableOptions{"InnoDB"});
}

schema::Table marker() {
    return schema::Table("rebuild_marker", {schema::Column("id", schema::Integer()).primary_key()});
}

// 1 creates a table of its own only, so that the tables the test made count as unrelated to the track.
void upgrade_001(Host& host) {
    Op(host).create_table(marker());
}
void downgrade_001(Host& host) {
    Op(host).drop_table(marker().name());
}

void upgrade_002(Host& host) {
    ColumnChange change;
    change.type = schema::String(80);
    Op(host).alter_column(volumes(40), "name", change);
}
void downgrade_002(Host& host) {
    ColumnChange change;
    change.type = schema::String(40);
    Op(host).alter_column(volumes(80), "name", change);
}

// The rebuild's own statements alone, as an SDK before guards rendered them offline.
void upgrade_unguarded(Host& host) {
    Op op(host);
    if (op.dialect() != schema::Dialect::sqlite) return;
    const schema::Table target = volumes(80);
    for (const auto& statement : migration_host::render::sqlite_rebuild(
             target, migration_host::render::same_name_transfers(volumes(40), target))) {
        op.execute(statement);
    }
}

namespace sdk = migration_host::sdk;

constexpr mh_migration v1 = sdk::Migration("rebuild", 1, "001_marker")
                                .upgrade(sdk::step<&upgrade_001>)
                                .downgrade(sdk::step<&downgrade_001>)
                                .build();
constexpr mh_migration v2 = sdk::Migration("rebuild", 2, "002_longer_volume_names")
                                .upgrade(sdk::step<&upgrade_002>)
                                .downgrade(sdk::step<&downgrade_002>)
                                .build();

constexpr mh_migration unguarded =
    sdk::Migration("unguarded", 1, "001_unguarded_rebuild").upgrade(sdk::step<&upgrade_unguarded>).build();

const mh_migration* const migrations[] = {&v1, &v2, &unguarded};

constexpr mh_plugin_descriptor descriptor =
    sdk::make_descriptor("rebuild_guards", "A SQLite table rebuild (test)", "1.0.0",
                         "Track rebuild: 002 lengthens volumes.name, a rebuild on SQLite; track unguarded: the "
                         "same rebuild without guards",
                         migrations);

}  // namespace

MIGRATION_HOST_PLUGIN(descriptor)
