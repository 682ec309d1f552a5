// docs/plugin-authoring.md's C++ SDK example plugin, built outside this tree against the installed SDK package.
// SPDX-License-Identifier: Apache-2.0
#include <migration_host/plugin.hpp>
#include <migration_host/schema.hpp>

namespace {
using namespace migration_host;

void add_widgets(sdk::Host& host) {
    const auto dialect = schema::require_dialect(host.dialect());
    schema::Table widgets("widgets", {schema::Column("id", schema::Integer()).primary_key(),
                                      schema::Column("name", schema::String(64)).nullable(false)});
    host.exec(widgets.create_sql(dialect));
}
void drop_widgets(sdk::Host& host) { host.exec("DROP TABLE widgets"); }

constexpr mh_migration v1 = sdk::Migration("widgets", 1, "001_widgets")
                                .upgrade(sdk::step<&add_widgets>)
                                .downgrade(sdk::step<&drop_widgets>)
                                .build();
const mh_migration* const migrations[] = {&v1};
constexpr mh_plugin_descriptor descriptor =
    sdk::make_descriptor("widgets", "Widgets schema", "1.0.0", nullptr, migrations);
}  // namespace

MIGRATION_HOST_PLUGIN(descriptor)
