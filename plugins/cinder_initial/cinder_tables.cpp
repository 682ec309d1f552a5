// Cinder's 001_cinder_init.py tables, transcribed column by column from its upgrade().
// SPDX-License-Identifier: Apache-2.0
#include "cinder_tables.hpp"

#include <string>
#include <utility>

namespace cinder_initial {

namespace {

using namespace migration_host::schema;

// 001_cinder_init.py passes mysql_engine='InnoDB' to every table.
Table innodb_table(std::string name, std::vector<Column> columns) {
    TableOptions options;
    options.mysql_engine = "InnoDB";
    return Table(std::move(name), std::move(columns), std::move(options));
}

// The four columns that every table but quotas starts with (quotas has them after its id).
Column created_at() { return Column("created_at", DateTime()); }
Column updated_at() { return Column("updated_at", DateTime()); }
Column deleted_at() { return Column("deleted_at", DateTime()); }
Column deleted() { return Column("deleted", Boolean()); }

// Column('id', Integer, primary_key=True, nullable=False)
Column integer_id() { return Column("id", Integer()).primary_key().nullable(false); }

}  // namespace

std::vector<Table> cinder_initial_tables() {
    Table sm_flavors = innodb_table("sm_flavors", {
        created_at(), updated_at(), deleted_at(), deleted(),
        integer_id(),
        Column("label", String(255)),
        Column("description", String(255)),
    });

    Table sm_backend_config = innodb_table("sm_backend_config", {
        created_at(), updated_at(), deleted_at(), deleted(),
        integer_id(),
        Column("flavor_id", Integer(), ForeignKey("sm_flavors.id")).nullable(false),
        Column("sr_uuid", String(255)),
        Column("sr_type", String(255)),
        Column("config_params", String(2047)),
    });

    Table snapshots = innodb_table("snapshots", {
        created_at(), updated_at(), deleted_at(), deleted(),
        Column("id", String(36)).primary_key().nullable(false),
        Column("volume_id", String(36)).nullable(false),
        Column("user_id", String(255)),
        Column("project_id", String(255)),
        Column("status", String(255)),
        Column("progress", String(255)),
        Column("volume_size", Integer()),
        Column("scheduled_at", DateTime()),
        Column("display_name", String(255)),
        Column("display_description", String(255)),
    });

    Table volume_types = innodb_table("volume_types", {
        created_at(), updated_at(), deleted_at(), deleted(),
        integer_id(),
        Column("name", String(255)),
    });

    Table volumes = innodb_table("volumes", {
        created_at(), updated_at(), deleted_at(), deleted(),
        Column("id", String(36)).primary_key().nullable(false),
        Column("ec2_id", String(255)),
        Column("user_id", String(255)),
        Column("project_id", String(255)),
        Column("host", String(255)),
        Column("size", Integer()),
        Column("availability_zone", String(255)),
        Column("instance_uuid", String(36)),
        Column("mountpoint", String(255)),
        Column("attach_time", String(255)),
        Column("status", String(255)),
        Column("attach_status", String(255)),
        Column("scheduled_at", DateTime()),
        Column("launched_at", DateTime()),
        Column("terminated_at", DateTime()),
        Column("display_name", String(255)),
        Column("display_description", String(255)),
        Column("provider_location", String(256)),
        Column("provider_auth", String(256)),
        Column("snapshot_id", String(36)),
        Column("volume_type_id", Integer()),
    });

    Table iscsi_targets = innodb_table("iscsi_targets", {
        created_at(), updated_at(), deleted_at(), deleted(),
        integer_id(),
        Column("target_num", Integer()),
        Column("host", String(255)),
        Column("volume_id", String(36), ForeignKey("volumes.id")).nullable(true),
    });

    Table migrations = innodb_table("migrations", {
        created_at(), updated_at(), deleted_at(), deleted(),
        integer_id(),
        Column("source_compute", String(255)),
        Column("dest_compute", String(255)),
        Column("dest_host", String(255)),
        Column("status", String(255)),
        Column("instance_uuid", String(255)),
        Column("old_instance_type_id", Integer()),
        Column("new_instance_type_id", Integer()),
    });

    Table quotas = innodb_table("quotas", {
        integer_id(),
        created_at(), updated_at(), deleted_at(), deleted(),
        Column("project_id", String(255)),
        Column("resource", String(255)).nullable(false),
        Column("hard_limit", Integer()),
    });

    Table services = innodb_table("services", {
        created_at(), updated_at(), deleted_at(), deleted(),
        integer_id(),
        Column("host", String(255)),
        Column("binary", String(255)),
        Column("topic", String(255)),
        Column("report_count", Integer()).nullable(false),
        Column("disabled", Boolean()),
        Column("availability_zone", String(255)),
    });

    Table sm_volume = innodb_table("sm_volume", {
        created_at(), updated_at(), deleted_at(), deleted(),
        Column("id", String(36), ForeignKey("volumes.id")).primary_key().nullable(false),
        Column("backend_id", Integer(), ForeignKey("sm_backend_config.id")).nullable(false),
        Column("vdi_uuid", String(255)),
    });

    Table volume_metadata = innodb_table("volume_metadata", {
        created_at(), updated_at(), deleted_at(), deleted(),
        integer_id(),
        Column("volume_id", String(36), ForeignKey("volumes.id")).nullable(false),
        Column("key", String(255)),
        Column("value", String(255)),
    });

    Table volume_type_extra_specs = innodb_table("volume_type_extra_specs", {
        created_at(), updated_at(), deleted_at(), deleted(),
        integer_id(),
        Column("volume_type_id", Integer(), ForeignKey("volume_types.id")).nullable(false),
        Column("key", String(255)),
        Column("value", String(255)),
    });

    // The seed's `tables = [...]` creation order.
    std::vector<Table> tables;
    tables.reserve(12);
    for (Table* table : {&sm_flavors, &sm_backend_config, &snapshots, &volume_types, &volumes,
                         &iscsi_targets, &migrations, &quotas, &services, &sm_volume,
                         &volume_metadata, &volume_type_extra_specs}) {
        tables.push_back(std::move(*table));
    }
    return tables;
}

}  // namespace cinder_initial
