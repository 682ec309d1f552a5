// A safe wrapper over the host API for Rust steps: Host, Error, and the guard that no panic gets past.
// SPDX-License-Identifier: Apache-2.0
//
// A step is a plain Rust function `fn(&Host) -> Result<(), Error>`. The `step!` macro turns it into the
// `extern "C"` function the ABI calls, through `run_step`, which catches any panic (unwinding into the host's C++
// frames is undefined behaviour) and reports it as a failed step. Row callbacks catch panics too and carry them
// back across query_run, so they end in that same guard.
use std::any::Any;
use std::cell::RefCell;
use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_void};
use std::panic::{self, AssertUnwindSafe};
use std::ptr;
use std::sync::Once;

use crate::abi::*;

/// Why a step failed, reported to the host as the ABI expects.
#[derive(Debug)]
pub enum Error {
    /// A host call failed: the host already keeps its message (the database's), so only the status goes back.
    Host(i32),
    /// The step's own reason: given to the host with error_set.
    Step(i32, String),
}

impl Error {
    pub fn new(message: impl Into<String>) -> Error {
        Error::Step(MH_E_FAILED, message.into())
    }
}

fn status(code: i32) -> Result<(), Error> {
    if code == MH_OK {
        Ok(())
    } else {
        Err(Error::Host(code))
    }
}

fn c_string(text: &str) -> Result<CString, Error> {
    CString::new(text).map_err(|_| Error::Step(MH_E_INVALID, format!("text with a NUL byte: {:?}", text)))
}

/// The host as a running step sees it. Only valid during the step call that created it.
pub struct Host {
    api: *const mh_host_api,
    ctx: *mut mh_host_context,
}

impl Host {
    fn api(&self) -> &mh_host_api {
        // run_step checked that the pointer is not NULL; the host keeps the table alive during the call.
        unsafe { &*self.api }
    }

    fn text(&self, text: *const c_char) -> String {
        if text.is_null() {
            return String::new();
        }
        unsafe { CStr::from_ptr(text) }.to_string_lossy().into_owned()
    }

    /// Runs one statement.
    pub fn exec(&self, sql: &str) -> Result<(), Error> {
        let sql = c_string(sql)?;
        status(unsafe { (self.api().sql_exec)(self.ctx, sql.as_ptr()) })
    }

    /// Runs one statement with a bound value (None for SQL NULL) for each `?` marker.
    pub fn exec_with(&self, sql: &str, values: &[Option<&str>]) -> Result<(), Error> {
        let exec = self.require_parameters()?.sql_exec_params.ok_or_else(|| missing_parameters(self))?;
        let sql = c_string(sql)?;
        let (_owned, pointers) = bound_values(values)?;
        status(unsafe { exec(self.ctx, sql.as_ptr(), pointers.as_ptr(), pointers.len() as u32) })
    }

    /// Runs a query and calls `on_row` with each row's values (None for SQL NULL). Offline it fails with
    /// MH_E_UNSUPPORTED, so only downgrades (never run offline) and steps with their own checksum may query.
    pub fn query<F>(&self, sql: &str, on_row: F) -> Result<(), Error>
    where
        F: FnMut(&[Option<&str>]) -> Result<(), Error>,
    {
        let sql = c_string(sql)?;
        let mut state = RowState { on_row, failure: None, panic: None };
        let code = unsafe {
            (self.api().query_run)(self.ctx, sql.as_ptr(), Some(call_row::<F>), &mut state as *mut _ as *mut c_void)
        };
        state.finish(code)
    }

    /// `query` with bound values.
    pub fn query_with<F>(&self, sql: &str, values: &[Option<&str>], on_row: F) -> Result<(), Error>
    where
        F: FnMut(&[Option<&str>]) -> Result<(), Error>,
    {
        let query = self.require_parameters()?.query_run_params.ok_or_else(|| missing_parameters(self))?;
        let sql = c_string(sql)?;
        let (_owned, pointers) = bound_values(values)?;
        let mut state = RowState { on_row, failure: None, panic: None };
        let code = unsafe {
            query(
                self.ctx,
                sql.as_ptr(),
                pointers.as_ptr(),
                pointers.len() as u32,
                Some(call_row::<F>),
                &mut state as *mut _ as *mut c_void,
            )
        };
        state.finish(code)
    }

    /// "sqlite", "mysql" (MySQL and MariaDB), "postgresql", or another DBMS's name in lower case.
    pub fn dialect(&self) -> String {
        self.text(unsafe { (self.api().dialect_name)(self.ctx) })
    }

    /// True while the host renders SQL without a database (checksums, `sql --dialect`): statements are recorded,
    /// queries fail.
    pub fn is_offline(&self) -> bool {
        unsafe { (self.api().odbc_connection)(self.ctx) }.is_null()
    }

    /// Writes to the host's log, attributed to the running step.
    pub fn log(&self, level: i32, message: &str) {
        let message = CString::new(message.replace('\0', " ")).unwrap_or_default();
        unsafe { (self.api().log_write)(self.ctx, level, message.as_ptr()) }
    }

    /// Fails before changing anything when the host is older than ABI 1.2 (no bound values).
    pub fn require_parameters(&self) -> Result<&mh_host_api, Error> {
        if unsafe { host_offers_1_2(self.api) } {
            Ok(self.api())
        } else {
            Err(missing_parameters(self))
        }
    }
}

fn missing_parameters(host: &Host) -> Error {
    let api = host.api();
    Error::Step(
        MH_E_UNSUPPORTED,
        format!(
            "this step needs bound values (ABI 1.2) but the host offers ABI {}.{}; upgrade migration-host",
            api.abi_major, api.abi_minor
        ),
    )
}

/// The values as C strings, and the pointer array the host reads (NULL for SQL NULL); both live until the call ends.
fn bound_values(values: &[Option<&str>]) -> Result<(Vec<Option<CString>>, Vec<*const c_char>), Error> {
    let owned = values.iter().map(|value| value.map(c_string).transpose()).collect::<Result<Vec<_>, _>>()?;
    let pointers = owned.iter().map(|value| value.as_ref().map_or(ptr::null(), |text| text.as_ptr())).collect();
    Ok((owned, pointers))
}

struct RowState<F> {
    on_row: F,
    failure: Option<Error>,
    panic: Option<Box<dyn Any + Send>>,
}

impl<F> RowState<F> {
    /// After query_run returned: a panic in a callback goes on unwinding here, on the Rust side of the boundary;
    /// a callback's own error is the step's error rather than the host's "aborted".
    fn finish(self, code: i32) -> Result<(), Error> {
        if let Some(payload) = self.panic {
            panic::resume_unwind(payload);
        }
        match self.failure {
            Some(error) => Err(error),
            None => status(code),
        }
    }
}

unsafe extern "C" fn call_row<F>(
    values: *const *const c_char,
    lengths: *const u32,
    column_count: u32,
    user: *mut c_void,
) -> i32
where
    F: FnMut(&[Option<&str>]) -> Result<(), Error>,
{
    let state = &mut *(user as *mut RowState<F>);
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        let mut row = Vec::with_capacity(column_count as usize);
        for i in 0..column_count as usize {
            let value = *values.add(i);
            if value.is_null() {
                row.push(None);
                continue;
            }
            let bytes = std::slice::from_raw_parts(value as *const u8, *lengths.add(i) as usize);
            let text = std::str::from_utf8(bytes).map_err(|_| Error::new(format!("column {} is not UTF-8", i + 1)))?;
            row.push(Some(text));
        }
        (state.on_row)(&row)
    }));
    match outcome {
        Ok(Ok(())) => MH_OK,
        Ok(Err(error)) => {
            state.failure = Some(error);
            MH_E_FAILED
        }
        Err(payload) => {
            state.panic = Some(payload);
            MH_E_FAILED
        }
    }
}

thread_local! {
    /// Where the last panic on this thread happened, kept by the quiet hook for the step's error message.
    static PANIC_PLACE: RefCell<Option<String>> = RefCell::new(None);
}

/// Replaces Rust's default panic hook in this library (each cdylib has its own): the host reports a step's
/// failure on its one error line, so the hook prints nothing and captures no backtrace (whose symbol caches
/// would stay behind after the host unloads the library); it keeps the panic's place for the message.
fn install_quiet_panic_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        panic::set_hook(Box::new(|info| {
            let place = info.location().map(|at| format!("{}:{}:{}", at.file(), at.line(), at.column()));
            PANIC_PLACE.with(|slot| *slot.borrow_mut() = place);
        }));
    });
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    let text = if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic without a message".to_string()
    };
    match PANIC_PLACE.with(|slot| slot.borrow_mut().take()) {
        Some(place) => format!("{} (at {})", text, place),
        None => text,
    }
}

/// Calls a step on behalf of the host: its result becomes a status, a panic a failed step with its message.
///
/// # Safety
/// `api` and `ctx` are what the host passed to the step.
pub unsafe fn run_step(
    api: *const mh_host_api,
    ctx: *mut mh_host_context,
    step: fn(&Host) -> Result<(), Error>,
) -> i32 {
    if api.is_null() || ctx.is_null() {
        return MH_E_INVALID;
    }
    let host = Host { api, ctx };
    let reason = match panic::catch_unwind(AssertUnwindSafe(|| step(&host))) {
        Ok(Ok(())) => return MH_OK,
        Ok(Err(Error::Host(code))) => return code,
        Ok(Err(Error::Step(code, message))) => (code, message),
        Err(payload) => (MH_E_FAILED, format!("the step panicked: {}", panic_message(payload.as_ref()))),
    };
    let message = CString::new(reason.1.replace('\0', " ")).unwrap_or_default();
    ((*api).error_set)(ctx, message.as_ptr());
    if reason.0 == MH_OK {
        MH_E_FAILED
    } else {
        reason.0
    }
}

/// The `extern "C"` step function for a Rust step: `upgrade: step!(create_items)`.
#[macro_export]
macro_rules! step {
    ($step:path) => {{
        unsafe extern "C" fn call(api: *const $crate::abi::mh_host_api, ctx: *mut $crate::abi::mh_host_context) -> i32 {
            $crate::host::run_step(api, ctx, $step)
        }
        Some(call as $crate::abi::mh_step_fn)
    }};
}

/// Guards the entry function as run_step guards a step: a panic there makes the host refuse the plugin (NULL).
pub fn guard_entry(entry: impl FnOnce() -> *const mh_plugin_descriptor) -> *const mh_plugin_descriptor {
    install_quiet_panic_hook();
    panic::catch_unwind(AssertUnwindSafe(entry)).unwrap_or(ptr::null())
}
