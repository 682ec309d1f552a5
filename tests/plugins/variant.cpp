// Test plugin variant: steps whose rendered SQL or declared checksum a test changes between runs through the environment, to exercise checksum drift detection.
// SPDX-License-Identifier: Apache-2.0
#include <migration_host/plugin.hpp>
#include <migration_host/schema.hpp>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

namespace {

using migration_host::sdk::Host;
namespace schema = migration_host::schema;

constexpr const char* default_variant = "a";

// Only lower-case letters, so the variant always makes a plain identifier and
// cannot smuggle SQL into the statement.
std::string variant_name() {
    const char* text = std::getenv("MIGRATION_HOST_TEST_VARIANT");
    const std::string value = text == nullptr ? default_variant : text;
    const bool ok =
        !value.empty() && std::all_of(value.begin(), value.end(), [](char c) { return c >= 'a' && c <= 'z'; });
    if (!ok) {
        throw std::invalid_argument("MIGRATION_HOST_TEST_VARIANT must be one or more lower-case letters, not '" +
                                    value + "'");
    }
    return value;
}

schema::Table variant_table(const std::string& variant) {
    return schema::Table("variant_table",
                         {
                             schema::Column("id", schema::Integer()).primary_key(),
                             schema::Column("col_" + variant, schema::String(32)),
                         },
                         schema::TableOptions{"InnoDB", "utf8"});
}

schema::Table variant_two() {
    return schema::Table("variant_two", {schema::Column("id", schema::Integer()).primary_key()},
                         schema::TableOptions{"InnoDB", "utf8"});
}

void upgrade_001(Host& host) { host.exec(variant_table(variant_name()).create_sql(schema::require_dialect(host.dialect()))); }
// DROP TABLE names no column, so the downgrade neither depends on nor checks the
// variant in the environment now, which may differ from the one applied.
void downgrade_001(Host& host) { host.exec(variant_table(default_variant).drop_sql(schema::require_dialect(host.dialect()))); }
void upgrade_002(Host& host) { host.exec(variant_two().create_sql(schema::require_dialect(host.dialect()))); }
void downgrade_002(Host& host) { host.exec(variant_two().drop_sql(schema::require_dialect(host.dialect()))); }

// No declared checksum: the host derives one from the SQL the step renders,
// which follows MIGRATION_HOST_TEST_VARIANT.
constexpr mh_migration variant_migration = migration_host::sdk::Migration("variant", 1, "001_variant")
                                               .upgrade(migration_host::sdk::step<&upgrade_001>)
                                               .downgrade(migration_host::sdk::step<&downgrade_001>)
                                               .build();

// Built on the first call of the entry function rather than at compile time,
// because its declared checksum comes from the environment; the entry function
// runs before any step, as the ABI promises, and getenv cannot throw.
const mh_plugin_descriptor& descriptor() {
    static const char* const checksum = [] {
        const char* choice = std::getenv("MIGRATION_HOST_TEST_VARIANT_CHECKSUM");
        return choice != nullptr && std::strcmp(choice, "v2") == 0 ? "variant-2:v2" : "variant-2:v1";
    }();
    static const mh_migration checksummed_migration =
        migration_host::sdk::Migration("variant", 2, "002_variant_checksummed")
            .upgrade(migration_host::sdk::step<&upgrade_002>)
            .downgrade(migration_host::sdk::step<&downgrade_002>)
            .checksum(checksum)
            .build();
    static const mh_migration* const migrations[] = {&variant_migration, &checksummed_migration};
    static const mh_plugin_descriptor value = migration_host::sdk::make_descriptor(
        "variant", "Variant steps (test)", "1.0.0",
        "Track variant: 001 renders per MIGRATION_HOST_TEST_VARIANT, 002 declares a checksum per "
        "MIGRATION_HOST_TEST_VARIANT_CHECKSUM",
        migrations);
    return value;
}

}  // namespace

MIGRATION_HOST_PLUGIN(descriptor())
