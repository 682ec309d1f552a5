// Test plugin cinder_more: continues track "cinder" past cinder_initial with Cinder's 002 and 003 migrations, so tests have a multi-version track spread over two plugins.
// SPDX-License-Identifier: Apache-2.0
#include <migration_host/plugin.hpp>
#include <migration_host/schema.hpp>

#include <stdexcept>
#include <string>

namespace {

using migration_host::sdk::Host;
namespace schema = migration_host::schema;

// utf8 because cinder_initial creates `volumes` utf8 on MySQL, and a foreign key
// between tables of different charsets is refused. Both options render on MySQL only.
schema::TableOptions cinder_options() { return schema::TableOptions{"InnoDB", "utf8"}; }

schema::Table quota_classes() {
    schema::TableOptions options = cinder_options();
    options.indexes.push_back(schema::Index{"ix_quota_classes_class_name", {"class_name"}});
    return schema::Table("quota_classes",
                         {
                             schema::Column("created_at", schema::DateTime()),
                             schema::Column("updated_at", schema::DateTime()),
                             schema::Column("deleted_at", schema::DateTime()),
                             schema::Column("deleted", schema::Boolean()),
                             schema::Column("id", schema::Integer()).primary_key(),
                             schema::Column("class_name", schema::String(255)),
                             schema::Column("resource", schema::String(255)),
                             schema::Column("hard_limit", schema::Integer()),
                         },
                         std::move(options));
}

schema::Table volume_glance_metadata() {
    return schema::Table("volume_glance_metadata",
                         {
                             schema::Column("created_at", schema::DateTime()),
                             schema::Column("updated_at", schema::DateTime()),
                             schema::Column("deleted_at", schema::DateTime()),
                             schema::Column("deleted", schema::Boolean()),
                             schema::Column("id", schema::Integer()).primary_key(),
                             schema::Column("volume_id", schema::String(36), schema::ForeignKey("volumes.id")),
                             schema::Column("key", schema::String(255)),
                             schema::Column("value", schema::Text()),
                         },
                         cinder_options());
}

void upgrade_002(Host& host) {
    const schema::Dialect dialect = schema::require_dialect(host.dialect());
    const schema::Table table = quota_classes();
    host.exec(table.create_sql(dialect));
    // The index needs the table, so it comes after it, one statement per call.
    for (const std::string& sql : table.create_index_sql(dialect)) host.exec(sql);
}

// Dropping the table drops its index with it, in every dialect.
void downgrade_002(Host& host) { host.exec(quota_classes().drop_sql(schema::require_dialect(host.dialect()))); }

void upgrade_003(Host& host) {
    const schema::Dialect dialect = schema::require_dialect(host.dialect());
    host.exec(volume_glance_metadata().create_sql(dialect));
}

void downgrade_003(Host& host) { host.exec(volume_glance_metadata().drop_sql(schema::require_dialect(host.dialect()))); }

constexpr mh_migration quota_classes_migration = migration_host::sdk::Migration("cinder", 2, "002_quota_classes")
                                                     .upgrade(migration_host::sdk::step<&upgrade_002>)
                                                     .downgrade(migration_host::sdk::step<&downgrade_002>)
                                                     .build();

constexpr mh_migration glance_metadata_migration = migration_host::sdk::Migration("cinder", 3, "003_glance_metadata")
                                                       .upgrade(migration_host::sdk::step<&upgrade_003>)
                                                       .downgrade(migration_host::sdk::step<&downgrade_003>)
                                                       .build();

const mh_migration* const migrations[] = {&quota_classes_migration, &glance_metadata_migration};

constexpr mh_plugin_descriptor descriptor = migration_host::sdk::make_descriptor(
    "cinder_more", "Cinder migrations 002-003 (test)", "2.0.0",
    "Cinder's 002_quota_classes and 003_glance_metadata on track cinder, after cinder_initial", migrations);

}  // namespace

MIGRATION_HOST_PLUGIN(descriptor)
