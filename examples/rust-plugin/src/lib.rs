// The pantry plugin: a migration-host plugin in Rust (track "pantry", versions 1 to 3), over the C ABI by hand.
// SPDX-License-Identifier: Apache-2.0
pub mod abi;
pub mod host;

use abi::*;
use host::{guard_entry, Error, Host};

// Version 1: a table. These statements are the same in every dialect.
fn create_items(host: &Host) -> Result<(), Error> {
    host.exec("CREATE TABLE pantry_items (id INTEGER NOT NULL, name VARCHAR(80) NOT NULL, PRIMARY KEY (id))")
}

fn drop_items(host: &Host) -> Result<(), Error> {
    host.exec("DROP TABLE pantry_items")
}

// Version 2: a column (SQLite drops columns since 3.35).
fn add_quantity(host: &Host) -> Result<(), Error> {
    host.exec("ALTER TABLE pantry_items ADD COLUMN quantity INTEGER DEFAULT 0 NOT NULL")
}

fn drop_quantity(host: &Host) -> Result<(), Error> {
    host.exec("ALTER TABLE pantry_items DROP COLUMN quantity")
}

// Version 3: the first rows. Values are bound to `?` markers, never pasted into SQL, so a name with a quote in it
// is just data; the database converts '12' for the INTEGER columns as it would a string literal.
const STAPLES: [(&str, &str, &str); 3] = [("1", "flour", "2"), ("2", "baker's yeast", "12"), ("3", "salt", "1")];

fn stock_staples(host: &Host) -> Result<(), Error> {
    // Checked first, so that a host without bound values (ABI 1.1) fails the step before it inserts anything.
    host.require_parameters()?;
    for (id, name, quantity) in STAPLES {
        host.exec_with(
            "INSERT INTO pantry_items (id, name, quantity) VALUES (?, ?, ?)",
            &[Some(id), Some(name), Some(quantity)],
        )?;
    }
    Ok(())
}

// Downgrades never run offline, so this one may query: it logs what it removes (rows somebody deleted since are
// skipped).
fn remove_staples(host: &Host) -> Result<(), Error> {
    for (id, name, _) in STAPLES {
        let mut left = None;
        host.query_with("SELECT quantity FROM pantry_items WHERE id = ?", &[Some(id)], |row| {
            left = row[0].map(str::to_owned);
            Ok(())
        })?;
        match left {
            None => continue,
            Some(quantity) => host.log(MH_LOG_INFO, &format!("removing {} ({} left)", name, quantity)),
        }
        host.exec_with("DELETE FROM pantry_items WHERE id = ?", &[Some(id)])?;
    }
    Ok(())
}

// Static data the host points into while the library is loaded (Shared: see abi.rs).
static ITEMS: Shared<mh_migration> = Shared(migration(1, c_text!("001_items"), step!(create_items), step!(drop_items)));
static QUANTITY: Shared<mh_migration> =
    Shared(migration(2, c_text!("002_quantity"), step!(add_quantity), step!(drop_quantity)));
static STAPLES_STEP: Shared<mh_migration> =
    Shared(migration(3, c_text!("003_staples"), step!(stock_staples), step!(remove_staples)));
static MIGRATIONS: Shared<[*const mh_migration; 3]> = Shared([&ITEMS.0, &QUANTITY.0, &STAPLES_STEP.0]);

static DESCRIPTOR: Shared<mh_plugin_descriptor> = Shared(mh_plugin_descriptor {
    struct_size: std::mem::size_of::<mh_plugin_descriptor>() as u32,
    magic: MH_PLUGIN_MAGIC,
    abi_major: MH_ABI_VERSION_MAJOR,
    abi_minor: MH_ABI_VERSION_MINOR,
    id: c_text!("pantry"),
    name: c_text!("Pantry (Rust example)"),
    version: c_text!("1.0.0"),
    description: c_text!("Track pantry: items, a quantity column, then staples inserted with bound values"),
    migrations: &MIGRATIONS.0 as *const [*const mh_migration; 3] as *const *const mh_migration,
    migration_count: 3,
    reserved0: 0,
});

const fn migration(
    version: i64,
    name: *const std::os::raw::c_char,
    upgrade: Option<mh_step_fn>,
    downgrade: Option<mh_step_fn>,
) -> mh_migration {
    mh_migration {
        struct_size: std::mem::size_of::<mh_migration>() as u32,
        flags: 0,
        track: c_text!("pantry"),
        version,
        name,
        requirements: std::ptr::null(),
        requirement_count: 0,
        reserved0: 0,
        upgrade,
        downgrade,
        downgrade_refusal: std::ptr::null(),
        // NULL: the host checksums the statements each upgrade renders offline.
        checksum: std::ptr::null(),
    }
}

/// The one exported symbol. Any 1.x host will do: steps check for what they need from later minor versions.
#[no_mangle]
pub extern "C" fn migration_host_plugin_entry(
    host_abi_major: u32,
    _host_abi_minor: u32,
) -> *const mh_plugin_descriptor {
    guard_entry(|| if host_abi_major == MH_ABI_VERSION_MAJOR { &DESCRIPTOR.0 } else { std::ptr::null() })
}
