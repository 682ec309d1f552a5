// The twelve tables of OpenStack Cinder's initial schema (sqlalchemy-migrate's 001_cinder_init.py) as schema DSL tables.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <migration_host/schema.hpp>

#include <vector>

namespace cinder_initial {

// sm_flavors, sm_backend_config, snapshots, volume_types, volumes, iscsi_targets,
// migrations, quotas, services, sm_volume, volume_metadata, volume_type_extra_specs:
// the order in which 001_cinder_init.py creates them, so every foreign key's target
// table exists first. Columns, types, nullability, primary and foreign keys are those
// of 001_cinder_init.py; every table has mysql_engine "InnoDB" and no mysql_charset.
std::vector<migration_host::schema::Table> cinder_initial_tables();

}  // namespace cinder_initial
