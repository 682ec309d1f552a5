// A safe wrapper over the host API for Go steps: Register, Host, and errors reported as the ABI expects.
// SPDX-License-Identifier: Apache-2.0
//
// A step is a plain Go function func(*Host) error. The wrapper builds the descriptor in C memory (the host keeps
// pointers into it, which it may not do into Go memory), gives each step one of bridge.c's C functions, and
// recovers any panic in a step or a row callback into a failed step (exports.go): an unrecovered panic would end
// the host's process.
package main

/*
#cgo pkg-config: migration-host-sdk
#include <stdint.h>
#include <stdlib.h>
#include <migration_host/plugin.h>

int32_t mh_go_row(const char *const *values, const uint32_t *lengths, uint32_t column_count, void *user);
mh_step_fn mh_go_step(int slot);
int mh_go_step_slots(void);

// Go cannot call C function pointers: these call the host's for it.
static int32_t mh_go_sql_exec(const mh_host_api *host, mh_host_context *ctx, const char *sql) {
    return host->sql_exec(ctx, sql);
}
static int32_t mh_go_query_run(const mh_host_api *host, mh_host_context *ctx, const char *sql, uintptr_t handle) {
    return host->query_run(ctx, sql, mh_go_row, (void *)handle);
}
static int mh_go_has_parameters(const mh_host_api *host) {
    return MH_STRUCT_HAS(host, mh_host_api, query_run_params);
}
static int32_t mh_go_sql_exec_params(const mh_host_api *host, mh_host_context *ctx, const char *sql,
                                     char **values, uint32_t count) {
    return host->sql_exec_params(ctx, sql, (const char *const *)values, count);
}
static int32_t mh_go_query_run_params(const mh_host_api *host, mh_host_context *ctx, const char *sql,
                                      char **values, uint32_t count, uintptr_t handle) {
    return host->query_run_params(ctx, sql, (const char *const *)values, count, mh_go_row, (void *)handle);
}
static const char *mh_go_dialect_name(const mh_host_api *host, mh_host_context *ctx) {
    return host->dialect_name(ctx);
}
static int mh_go_is_offline(const mh_host_api *host, mh_host_context *ctx) {
    return host->odbc_connection(ctx) == NULL;
}
static void mh_go_log_write(const mh_host_api *host, mh_host_context *ctx, int32_t level, const char *message) {
    host->log_write(ctx, level, message);
}
static void mh_go_error_set(const mh_host_api *host, mh_host_context *ctx, const char *message) {
    host->error_set(ctx, message);
}
static const char *mh_go_error_last(const mh_host_api *host, mh_host_context *ctx) {
    return host->error_last(ctx);
}
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime/cgo"
	"strings"
	"unsafe"
)

// Log levels for Host.Log.
const (
	LogDebug = C.MH_LOG_DEBUG
	LogInfo  = C.MH_LOG_INFO
	LogWarn  = C.MH_LOG_WARN
)

// Step is an upgrade or downgrade. It returns nil when done.
type Step func(host *Host) error

// Migration brings Track from Version-1 to Version. A nil Downgrade makes it irreversible.
type Migration struct {
	Track     string
	Version   int64
	Name      string
	Upgrade   Step
	Downgrade Step
}

// Plugin is what the library offers the host.
type Plugin struct {
	ID, Name, Version, Description string
	Migrations                     []Migration
}

var (
	registered *Plugin
	steps      []Step // by bridge.c slot
)

// Register declares the plugin; call it once, from an init function.
func Register(plugin Plugin) {
	if registered != nil {
		panic("Register called twice")
	}
	if 2*len(plugin.Migrations) > int(C.mh_go_step_slots()) {
		panic(fmt.Sprintf("%d migrations: bridge.c has slots for %d", len(plugin.Migrations), C.mh_go_step_slots()/2))
	}
	registered = &plugin
	steps = make([]Step, 2*len(plugin.Migrations))
	for i, migration := range plugin.Migrations {
		steps[2*i], steps[2*i+1] = migration.Upgrade, migration.Downgrade
	}
}

// staticText is a C copy of text that lives as long as the library: the host keeps the descriptor's pointers.
func staticText(text string) *C.char {
	if text == "" {
		return nil
	}
	return C.CString(text)
}

// descriptor builds the C descriptor once (the entry function keeps it); never freed, as the library never unloads.
func descriptor() *C.mh_plugin_descriptor {
	plugin := registered
	if plugin == nil {
		panic("no plugin registered")
	}
	count := len(plugin.Migrations)
	memory := C.calloc(C.size_t(count+1), C.size_t(unsafe.Sizeof(uintptr(0))))
	table := unsafe.Slice((**C.mh_migration)(memory), count+1)
	for i, migration := range plugin.Migrations {
		raw := (*C.mh_migration)(C.calloc(1, C.sizeof_mh_migration))
		raw.struct_size = C.sizeof_mh_migration
		raw.track = staticText(migration.Track)
		raw.version = C.int64_t(migration.Version)
		raw.name = staticText(migration.Name)
		raw.upgrade = C.mh_go_step(C.int(2 * i))
		if migration.Downgrade != nil {
			raw.downgrade = C.mh_go_step(C.int(2*i + 1))
		}
		table[i] = raw
	}
	raw := (*C.mh_plugin_descriptor)(C.calloc(1, C.sizeof_mh_plugin_descriptor))
	raw.struct_size = C.sizeof_mh_plugin_descriptor
	raw.magic = C.MH_PLUGIN_MAGIC
	raw.abi_major = C.MH_ABI_VERSION_MAJOR
	raw.abi_minor = C.MH_ABI_VERSION_MINOR
	raw.id = staticText(plugin.ID)
	raw.name = staticText(plugin.Name)
	raw.version = staticText(plugin.Version)
	raw.description = staticText(plugin.Description)
	raw.migrations = &table[0]
	raw.migration_count = C.uint32_t(len(plugin.Migrations))
	return raw
}

// Host is the host as a running step sees it; valid only during that step's call, on its goroutine.
type Host struct {
	api *C.mh_host_api
	ctx *C.mh_host_context
}

// HostError is a failed host call. The host keeps its message (the database's), so a step that returns it as is
// reports only the status; Message is a copy for Go code that wraps it.
type HostError struct {
	Status  int32
	Message string
}

func (e *HostError) Error() string { return e.Message }

func (h *Host) status(code C.int32_t) error {
	if code == C.MH_OK {
		return nil
	}
	return &HostError{Status: int32(code), Message: C.GoString(C.mh_go_error_last(h.api, h.ctx))}
}

// cText is a C copy of text for one call; free it with C.free.
func cText(text string) (*C.char, error) {
	if strings.IndexByte(text, 0) >= 0 {
		return nil, fmt.Errorf("text with a NUL byte: %q", text)
	}
	return C.CString(text), nil
}

// Exec runs one statement.
func (h *Host) Exec(sql string) error {
	text, err := cText(sql)
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(text))
	return h.status(C.mh_go_sql_exec(h.api, h.ctx, text))
}

// boundValues copies values into C: nil is SQL NULL, a string its text, anything else fmt.Sprint of it.
func boundValues(values []any) (**C.char, func(), error) {
	if len(values) == 0 {
		return nil, func() {}, nil
	}
	memory := C.calloc(C.size_t(len(values)), C.size_t(unsafe.Sizeof(uintptr(0))))
	array := unsafe.Slice((**C.char)(memory), len(values))
	free := func() {
		for i := range values {
			C.free(unsafe.Pointer(array[i]))
		}
		C.free(memory)
	}
	for i, value := range values {
		if value == nil {
			continue
		}
		text, ok := value.(string)
		if !ok {
			text = fmt.Sprint(value)
		}
		var err error
		if array[i], err = cText(text); err != nil {
			free()
			return nil, nil, err
		}
	}
	return &array[0], free, nil
}

// RequireParameters fails before the step changes anything when the host is older than ABI 1.2 (no bound values).
func (h *Host) RequireParameters() error {
	if C.mh_go_has_parameters(h.api) == 0 {
		return fmt.Errorf("this step needs bound values (ABI 1.2) but the host offers ABI %d.%d; upgrade migration-host",
			h.api.abi_major, h.api.abi_minor)
	}
	return nil
}

// ExecWith runs one statement with one bound value per `?` marker.
func (h *Host) ExecWith(sql string, values ...any) error {
	if err := h.RequireParameters(); err != nil {
		return err
	}
	text, err := cText(sql)
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(text))
	array, free, err := boundValues(values)
	if err != nil {
		return err
	}
	defer free()
	return h.status(C.mh_go_sql_exec_params(h.api, h.ctx, text, array, C.uint32_t(len(values))))
}

// Row is one result row: nil for SQL NULL. Its strings are Go copies.
type Row []*string

// rowCall is what a query's cgo.Handle points to while query_run calls back.
type rowCall struct {
	onRow  func(Row) error
	failed error // the callback's own error, returned by the query
	panic  any   // a callback's panic, raised again on this side of the boundary
}

func (h *Host) finishQuery(call *rowCall, code C.int32_t) error {
	if call.panic != nil {
		panic(call.panic)
	}
	if call.failed != nil {
		return call.failed
	}
	return h.status(code)
}

// Query runs a query and calls onRow for each row. Offline it fails (MH_E_UNSUPPORTED), so only downgrades (never
// run offline) and upgrades with their own checksum may query.
func (h *Host) Query(sql string, onRow func(Row) error) error {
	text, err := cText(sql)
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(text))
	call := &rowCall{onRow: onRow}
	handle := cgo.NewHandle(call)
	defer handle.Delete()
	return h.finishQuery(call, C.mh_go_query_run(h.api, h.ctx, text, C.uintptr_t(handle)))
}

// QueryWith is Query with bound values.
func (h *Host) QueryWith(sql string, values []any, onRow func(Row) error) error {
	if err := h.RequireParameters(); err != nil {
		return err
	}
	text, err := cText(sql)
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(text))
	array, free, err := boundValues(values)
	if err != nil {
		return err
	}
	defer free()
	call := &rowCall{onRow: onRow}
	handle := cgo.NewHandle(call)
	defer handle.Delete()
	code := C.mh_go_query_run_params(h.api, h.ctx, text, array, C.uint32_t(len(values)), C.uintptr_t(handle))
	return h.finishQuery(call, code)
}

// Dialect is "sqlite", "mysql" (MySQL and MariaDB), "postgresql", or another DBMS's name in lower case.
func (h *Host) Dialect() string { return C.GoString(C.mh_go_dialect_name(h.api, h.ctx)) }

// Offline is true while the host renders SQL without a database: statements are recorded, queries fail.
func (h *Host) Offline() bool { return C.mh_go_is_offline(h.api, h.ctx) != 0 }

// Log writes to the host's log, attributed to the running step.
func (h *Host) Log(level int, message string) {
	text := C.CString(strings.ReplaceAll(message, "\x00", " "))
	defer C.free(unsafe.Pointer(text))
	C.mh_go_log_write(h.api, h.ctx, C.int32_t(level), text)
}

// report turns a step's result into the status the host expects, giving the host the message it lacks.
func (h *Host) report(err error) C.int32_t {
	if err == nil {
		return C.MH_OK
	}
	var failed *HostError
	if errors.As(err, &failed) && failed == err {
		return C.int32_t(failed.Status) // the host keeps the message
	}
	h.setError(err.Error())
	if errors.As(err, &failed) {
		return C.int32_t(failed.Status)
	}
	return C.MH_E_FAILED
}

func (h *Host) setError(message string) {
	text := C.CString(strings.ReplaceAll(message, "\x00", " "))
	defer C.free(unsafe.Pointer(text))
	C.mh_go_error_set(h.api, h.ctx, text)
}
