// Test plugin manila: a second project's track "manila" whose steps require cinder versions, to exercise cross-track ordering and refused downgrades.
// SPDX-License-Identifier: Apache-2.0
#include <migration_host/plugin.hpp>
#include <migration_host/schema.hpp>

#include <stdexcept>
#include <string>

namespace {

using migration_host::sdk::Host;
namespace schema = migration_host::schema;

// utf8 on MySQL because `shares` has a foreign key to cinder's utf8 `volumes`;
// both options render on MySQL only.
schema::TableOptions manila_options() { return schema::TableOptions{"InnoDB", "utf8"}; }

schema::Table shares() {
    return schema::Table("shares",
                         {
                             schema::Column("id", schema::String(36)).primary_key(),
                             schema::Column("volume_id", schema::String(36), schema::ForeignKey("volumes.id")),
                             schema::Column("size", schema::Integer()),
                             schema::Column("created_at", schema::DateTime()),
                         },
                         manila_options());
}

schema::Table share_quota_classes() {
    return schema::Table("share_quota_classes",
                         {
                             schema::Column("id", schema::Integer()).primary_key(),
                             schema::Column("quota_class", schema::String(255)),
                             schema::Column("hard_limit", schema::Integer()),
                         },
                         manila_options());
}

void upgrade_001(Host& host) { host.exec(shares().create_sql(schema::require_dialect(host.dialect()))); }
void downgrade_001(Host& host) { host.exec(shares().drop_sql(schema::require_dialect(host.dialect()))); }
void upgrade_002(Host& host) { host.exec(share_quota_classes().create_sql(schema::require_dialect(host.dialect()))); }
void downgrade_002(Host& host) { host.exec(share_quota_classes().drop_sql(schema::require_dialect(host.dialect()))); }

// cinder@1 creates `volumes`, which shares.volume_id references.
const char* const init_requires[] = {"cinder@1"};
// Nothing in the schema needs cinder@2: the requirement is there so that a test
// sees cinder's downgrade below 2 refused while manila@2 is applied.
const char* const quota_classes_requires[] = {"cinder@2"};

constexpr mh_migration init_migration = migration_host::sdk::Migration("manila", 1, "001_manila_init")
                                            .requires_versions(init_requires)
                                            .upgrade(migration_host::sdk::step<&upgrade_001>)
                                            .downgrade(migration_host::sdk::step<&downgrade_001>)
                                            .build();

constexpr mh_migration quota_classes_migration = migration_host::sdk::Migration("manila", 2, "002_share_quota_classes")
                                                     .requires_versions(quota_classes_requires)
                                                     .upgrade(migration_host::sdk::step<&upgrade_002>)
                                                     .downgrade(migration_host::sdk::step<&downgrade_002>)
                                                     .build();

const mh_migration* const migrations[] = {&init_migration, &quota_classes_migration};

constexpr mh_plugin_descriptor descriptor =
    migration_host::sdk::make_descriptor("manila", "Manila schema (test)", "1.0.0",
                                         "Track manila: shares (needs cinder@1), share_quota_classes (needs cinder@2)",
                                         migrations);

}  // namespace

MIGRATION_HOST_PLUGIN(descriptor)
