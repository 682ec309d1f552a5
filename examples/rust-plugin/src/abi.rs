// The C ABI of migration_host/plugin.h (version 1.2), declared by hand: the header is the contract, this file a copy.
// SPDX-License-Identifier: Apache-2.0
//
// Every struct is #[repr(C)] with the members in the header's order and the same fixed-width types; a function
// pointer that may be NULL is an Option<extern "C" fn>, which Rust lays out as a plain nullable pointer. The sizes
// are checked below at compile time, so a mistake in this copy fails the build instead of corrupting memory.
#![allow(non_camel_case_types)]

use std::mem::{size_of, MaybeUninit};
use std::os::raw::{c_char, c_void};
use std::ptr;

pub const MH_ABI_VERSION_MAJOR: u32 = 1;
pub const MH_ABI_VERSION_MINOR: u32 = 2;
pub const MH_PLUGIN_MAGIC: u32 = 0x4D48_504C;

pub const MH_OK: i32 = 0;
pub const MH_E_FAILED: i32 = 1;
pub const MH_E_INVALID: i32 = 3;
pub const MH_E_UNSUPPORTED: i32 = 4;

pub const MH_LOG_DEBUG: i32 = 1;
pub const MH_LOG_INFO: i32 = 2;
pub const MH_LOG_WARN: i32 = 3;

/// The host's opaque per-call context: only ever handled through a pointer.
#[repr(C)]
pub struct mh_host_context {
    _private: [u8; 0],
}

pub type mh_row_fn = unsafe extern "C" fn(
    values: *const *const c_char,
    lengths: *const u32,
    column_count: u32,
    user: *mut c_void,
) -> i32;

pub type mh_step_fn = unsafe extern "C" fn(host: *const mh_host_api, ctx: *mut mh_host_context) -> i32;

#[repr(C)]
pub struct mh_host_api {
    pub struct_size: u32,
    pub abi_major: u32,
    pub abi_minor: u32,
    pub sql_exec: unsafe extern "C" fn(ctx: *mut mh_host_context, sql: *const c_char) -> i32,
    pub query_run: unsafe extern "C" fn(
        ctx: *mut mh_host_context,
        sql: *const c_char,
        on_row: Option<mh_row_fn>,
        user: *mut c_void,
    ) -> i32,
    pub dialect_name: unsafe extern "C" fn(ctx: *mut mh_host_context) -> *const c_char,
    pub dbms_version: unsafe extern "C" fn(ctx: *mut mh_host_context) -> *const c_char,
    pub database_name: unsafe extern "C" fn(ctx: *mut mh_host_context) -> *const c_char,
    pub log_write: unsafe extern "C" fn(ctx: *mut mh_host_context, level: i32, message: *const c_char),
    pub error_set: unsafe extern "C" fn(ctx: *mut mh_host_context, message: *const c_char),
    pub error_last: unsafe extern "C" fn(ctx: *mut mh_host_context) -> *const c_char,
    pub odbc_connection: unsafe extern "C" fn(ctx: *mut mh_host_context) -> *mut c_void,
    // --- ABI 1.2 --- (only there when struct_size covers them: see host_offers_1_2)
    pub sql_exec_params: Option<
        unsafe extern "C" fn(
            ctx: *mut mh_host_context,
            sql: *const c_char,
            values: *const *const c_char,
            value_count: u32,
        ) -> i32,
    >,
    pub query_run_params: Option<
        unsafe extern "C" fn(
            ctx: *mut mh_host_context,
            sql: *const c_char,
            values: *const *const c_char,
            value_count: u32,
            on_row: Option<mh_row_fn>,
            user: *mut c_void,
        ) -> i32,
    >,
}

#[repr(C)]
pub struct mh_migration {
    pub struct_size: u32,
    pub flags: u32,
    pub track: *const c_char,
    pub version: i64,
    pub name: *const c_char,
    pub requirements: *const *const c_char,
    pub requirement_count: u32,
    pub reserved0: u32,
    pub upgrade: Option<mh_step_fn>,
    pub downgrade: Option<mh_step_fn>,
    pub downgrade_refusal: *const c_char,
    // --- ABI 1.1 ---
    pub checksum: *const c_char,
}

#[repr(C)]
pub struct mh_plugin_descriptor {
    pub struct_size: u32,
    pub magic: u32,
    pub abi_major: u32,
    pub abi_minor: u32,
    pub id: *const c_char,
    pub name: *const c_char,
    pub version: *const c_char,
    pub description: *const c_char,
    pub migrations: *const *const mh_migration,
    pub migration_count: u32,
    pub reserved0: u32,
}

// sizeof in C on the 64-bit targets the host is built for (LP64): a member added, dropped or retyped here by
// mistake changes one of them.
#[cfg(target_pointer_width = "64")]
const _: () = {
    assert!(size_of::<mh_host_api>() == 104);
    assert!(size_of::<mh_migration>() == 80);
    assert!(size_of::<mh_plugin_descriptor>() == 64);
};

/// Static data the host reads while the library is loaded. Raw pointers are not Sync, so a static holding them
/// needs this promise: everything it points to is itself static and never changes.
#[repr(transparent)]
pub struct Shared<T>(pub T);
unsafe impl<T> Sync for Shared<T> {}

/// A NUL-terminated string literal as the header's `const char *`: `c_text!("pantry")`.
#[macro_export]
macro_rules! c_text {
    ($text:expr) => {
        concat!($text, "\0").as_ptr() as *const std::os::raw::c_char
    };
}

/// MH_STRUCT_HAS(host, mh_host_api, query_run_params): whether the host's table, as long as the host says it is,
/// contains the ABI 1.2 members. A 1.1 host's table ends before them, and reading past its end is undefined.
///
/// # Safety
/// `host` points to a host API table (the host guarantees at least struct_size bytes).
pub unsafe fn host_offers_1_2(host: *const mh_host_api) -> bool {
    let layout = MaybeUninit::<mh_host_api>::uninit();
    let base = layout.as_ptr();
    let member = ptr::addr_of!((*base).query_run_params);
    let end = member as usize - base as usize + size_of::<Option<mh_step_fn>>();
    !host.is_null() && (*host).struct_size as usize >= end
}
