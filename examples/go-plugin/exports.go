// The functions the host calls, through bridge.c: the entry function, every step and every query's row callback.
// SPDX-License-Identifier: Apache-2.0
//
// Each recovers any panic before it could reach the host's frames: Go would unwind through them without running
// their cleanup, and a panic nobody recovers ends the whole process (exit status 2, the host's "bad command line").
package main

/*
#include <stdint.h>
#include <migration_host/plugin.h>
*/
import "C"

import (
	"fmt"
	"runtime/cgo"
	"sync"
	"unsafe"
)

var (
	built     *C.mh_plugin_descriptor
	buildOnce sync.Once
)

//export migration_host_plugin_entry
func migration_host_plugin_entry(hostMajor, hostMinor C.uint32_t) (result *C.mh_plugin_descriptor) {
	defer func() {
		if recover() != nil {
			result = nil // the host refuses the plugin
		}
	}()
	// Any 1.x host will do: steps check for what they need from later minor versions (Host.RequireParameters).
	if hostMajor != C.MH_ABI_VERSION_MAJOR {
		return nil
	}
	buildOnce.Do(func() { built = descriptor() })
	return built
}

//export mhGoRunStep
func mhGoRunStep(slot C.int, api *C.mh_host_api, ctx *C.mh_host_context) (status C.int32_t) {
	host := &Host{api: api, ctx: ctx}
	defer func() {
		if reason := recover(); reason != nil {
			host.setError(fmt.Sprintf("the step panicked: %v", reason))
			status = C.MH_E_FAILED
		}
	}()
	return host.report(steps[slot](host))
}

//export mhGoRow
func mhGoRow(values **C.char, lengths *C.uint32_t, columnCount C.uint32_t, user C.uintptr_t) (status C.int32_t) {
	call := cgo.Handle(user).Value().(*rowCall)
	defer func() {
		if reason := recover(); reason != nil {
			call.panic = reason
			status = C.MH_E_FAILED
		}
	}()
	row := make(Row, columnCount)
	texts := unsafe.Slice(values, columnCount)
	sizes := unsafe.Slice(lengths, columnCount)
	for i := range row {
		if texts[i] != nil {
			text := C.GoStringN(texts[i], C.int(sizes[i]))
			row[i] = &text
		}
	}
	if err := call.onRow(row); err != nil {
		call.failed = err
		return C.MH_E_FAILED
	}
	return C.MH_OK
}
