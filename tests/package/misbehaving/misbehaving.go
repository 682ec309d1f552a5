// Test plugin go_misbehaving, built with the Go example's wrapper: a table, or, as MIGRATION_HOST_TEST_MISBEHAVIOUR
// SPDX-License-Identifier: Apache-2.0
// says, a step that panics, panics in another goroutine, dereferences nil, crashes in C code, or exits.
package main

/*
static void crash_in_c(void) {
    volatile int *nowhere = 0;
    *nowhere = 1;
}
*/
import "C"

import (
	"os"
	"sync"
)

func createTable(host *Host) error {
	// Offline (checksums, sql --dialect) the step behaves: the misbehaviour is for the run against the database.
	if !host.Offline() {
		misbehave(os.Getenv("MIGRATION_HOST_TEST_MISBEHAVIOUR"))
	}
	return host.Exec("CREATE TABLE go_misbehaving_t (id INTEGER NOT NULL, PRIMARY KEY (id))")
}

func misbehave(how string) {
	switch how {
	case "panic":
		panic("deliberate panic in a Go step")
	case "goroutine_panic":
		// No recover() on the step's goroutine can stop this one: the Go runtime ends the process.
		var wait sync.WaitGroup
		wait.Add(1)
		go func() {
			defer wait.Done()
			panic("deliberate panic in a goroutine the step started")
		}()
		wait.Wait()
	case "nil_pointer":
		var nowhere *int
		*nowhere = 1
	case "c_crash":
		C.crash_in_c()
	case "exit":
		os.Exit(3)
	}
}

func dropTable(host *Host) error { return host.Exec("DROP TABLE go_misbehaving_t") }

func init() {
	Register(Plugin{
		ID:      "go_misbehaving",
		Name:    "Misbehaving Go plugin (test)",
		Version: "1.0.0",
		Migrations: []Migration{
			{Track: "go_misbehaving", Version: 1, Name: "001_misbehaving", Upgrade: createTable, Downgrade: dropTable},
		},
	})
}

func main() {}
