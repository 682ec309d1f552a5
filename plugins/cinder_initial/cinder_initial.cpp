// The cinder_initial plugin: OpenStack Cinder's 001_cinder_init migration (track "cinder", version 1).
// SPDX-License-Identifier: Apache-2.0
#include <migration_host/plugin.hpp>
#include <migration_host/schema.hpp>

#include <string>
#include <vector>

#include "cinder_tables.hpp"

namespace {

using migration_host::sdk::Host;
using migration_host::sdk::HostCallError;
namespace schema = migration_host::schema;

// The seed converts these to utf8 on MySQL, in this order: the twelve tables
// with migrate_version slotted in alphabetically, as the original lists them.
const char* const mysql_utf8_tables[] = {
    "sm_flavors",    "sm_backend_config", "snapshots", "volume_types", "volumes",         "iscsi_targets",
    "migrate_version", "migrations",      "quotas",    "services",     "sm_volume",       "volume_metadata",
    "volume_type_extra_specs",
};

// The tables as this database gets them. On MySQL they are created as utf8
// from the start: MariaDB 10.11 refuses to change the charset of a column used
// in a foreign key (error 1833, even with foreign_key_checks = 0), which made
// the original's conversion of `volumes` fail on a utf8mb4 or latin1 database.
// Created utf8, every one of the seed's conversion statements succeeds and
// leaves what the seed intended: all tables utf8, InnoDB, database default utf8.
std::vector<schema::Table> tables_for(schema::Dialect dialect) {
    std::vector<schema::Table> tables = cinder_initial::cinder_initial_tables();
    if (dialect != schema::Dialect::mysql) return tables;
    std::vector<schema::Table> utf8_tables;
    for (const auto& table : tables) {
        schema::TableOptions options = table.options();
        options.mysql_charset = "utf8";
        utf8_tables.emplace_back(table.name(), table.columns(), std::move(options));
    }
    return utf8_tables;
}

// foreign_key_checks is session state on the host's connection, which later
// steps share: it must be back on however this step ends.
class ForeignKeyChecksOff {
public:
    explicit ForeignKeyChecksOff(const Host& host) : host_(host) { host_.exec("SET foreign_key_checks = 0"); }
    ForeignKeyChecksOff(const ForeignKeyChecksOff&) = delete;
    ForeignKeyChecksOff& operator=(const ForeignKeyChecksOff&) = delete;
    ~ForeignKeyChecksOff() {
        // Failure path only: the raw C call cannot throw; its own failure is
        // already moot because the step is failing with the first error.
        if (!restored_) host_.api()->sql_exec(host_.context(), "SET foreign_key_checks = 1");
    }
    void restore() {
        host_.exec("SET foreign_key_checks = 1");
        restored_ = true;
    }

private:
    const Host& host_;
    bool restored_ = false;
};

void convert_to_utf8(const Host& host) {
    ForeignKeyChecksOff checks_off(host);
    for (const char* table : mysql_utf8_tables) {
        host.exec("ALTER TABLE " + schema::quote_identifier(table, schema::Dialect::mysql) +
                  " CONVERT TO CHARACTER SET utf8");
    }
    checks_off.restore();
    // The seed names the database it is connected to. Offline (SQL rendered
    // for review or checksums) there is no such name; MySQL's ALTER DATABASE
    // without one applies to the current database, which is the same thing
    // wherever the statements are run.
    const std::string database(host.database_name());
    host.exec(database.empty()
                  ? std::string("ALTER DATABASE DEFAULT CHARACTER SET utf8")
                  : "ALTER DATABASE " + schema::quote_identifier(database, schema::Dialect::mysql) +
                        " DEFAULT CHARACTER SET utf8");
    // The seed applies this to the last table of its loop only.
    host.exec("ALTER TABLE volume_type_extra_specs Engine=InnoDB");
}

void upgrade_001(Host& host) {
    const schema::Dialect dialect = schema::require_dialect(host.dialect());
    for (const auto& table : tables_for(dialect)) {
        try {
            host.exec(table.create_sql(dialect));
        } catch (const HostCallError& error) {
            // As the seed: log the table and the exception, then fail the step.
            host.info(table.repr());
            host.error(std::string("Exception while creating table. ") + error.what());
            throw;
        }
    }
    if (dialect == schema::Dialect::mysql) convert_to_utf8(host);
}

constexpr mh_migration cinder_init =
    migration_host::sdk::Migration("cinder", 1, "001_cinder_init")
        .upgrade(migration_host::sdk::step<&upgrade_001>)
        .irreversible("Downgrade from initial Cinder install is unsupported.")
        .build();

const mh_migration* const migrations[] = {&cinder_init};

constexpr mh_plugin_descriptor descriptor = migration_host::sdk::make_descriptor(
    "cinder_initial", "OpenStack Cinder initial schema", "1.0.0",
    "Cinder's 001_cinder_init: the 12 initial tables; on MySQL/MariaDB converted to utf8", migrations);

}  // namespace

MIGRATION_HOST_PLUGIN(descriptor)
