// Test plugin rust_misbehaving, built with the Rust example's wrapper: a table, or, as
// SPDX-License-Identifier: Apache-2.0
// MIGRATION_HOST_TEST_MISBEHAVIOUR says, a step that panics, or panics in a row callback.
pub mod abi;
pub mod host;

use abi::*;
use host::{guard_entry, Error, Host};

fn create_table(host: &Host) -> Result<(), Error> {
    // Offline (checksums, sql --dialect) the step behaves: the misbehaviour is for the run against the database.
    if !host.is_offline() {
        match std::env::var("MIGRATION_HOST_TEST_MISBEHAVIOUR").as_deref() {
            Ok("panic") => panic!("deliberate panic in a Rust step"),
            Ok("row_panic") => host.query("SELECT 1", |_| panic!("deliberate panic in a Rust row callback"))?,
            _ => {}
        }
    }
    host.exec("CREATE TABLE rust_misbehaving_t (id INTEGER NOT NULL, PRIMARY KEY (id))")
}

fn drop_table(host: &Host) -> Result<(), Error> {
    host.exec("DROP TABLE rust_misbehaving_t")
}

static TABLE: Shared<mh_migration> = Shared(mh_migration {
    struct_size: std::mem::size_of::<mh_migration>() as u32,
    flags: 0,
    track: c_text!("rust_misbehaving"),
    version: 1,
    name: c_text!("001_misbehaving"),
    requirements: std::ptr::null(),
    requirement_count: 0,
    reserved0: 0,
    upgrade: step!(create_table),
    downgrade: step!(drop_table),
    downgrade_refusal: std::ptr::null(),
    checksum: std::ptr::null(),
});
static MIGRATIONS: Shared<[*const mh_migration; 1]> = Shared([&TABLE.0]);
static DESCRIPTOR: Shared<mh_plugin_descriptor> = Shared(mh_plugin_descriptor {
    struct_size: std::mem::size_of::<mh_plugin_descriptor>() as u32,
    magic: MH_PLUGIN_MAGIC,
    abi_major: MH_ABI_VERSION_MAJOR,
    abi_minor: MH_ABI_VERSION_MINOR,
    id: c_text!("rust_misbehaving"),
    name: c_text!("Misbehaving Rust plugin (test)"),
    version: c_text!("1.0.0"),
    description: std::ptr::null(),
    migrations: &MIGRATIONS.0 as *const [*const mh_migration; 1] as *const *const mh_migration,
    migration_count: 1,
    reserved0: 0,
});

#[no_mangle]
pub extern "C" fn migration_host_plugin_entry(
    host_abi_major: u32,
    _host_abi_minor: u32,
) -> *const mh_plugin_descriptor {
    guard_entry(|| if host_abi_major == MH_ABI_VERSION_MAJOR { &DESCRIPTOR.0 } else { std::ptr::null() })
}
