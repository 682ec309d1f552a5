// Built only with -tags churn: every step first keeps the Go runtime busy, for tests of hosts that run plugins
// SPDX-License-Identifier: Apache-2.0
// in several processes or threads (the Go runtime's own threads, goroutines and garbage collector at work).
//go:build churn

package main

import (
	"fmt"
	"runtime"
	"sync"
)

func init() { beforeEachStep = churn }

// churn starts goroutines that allocate and drop memory, waits for them, and collects the garbage.
func churn(host *Host) error {
	const goroutines, allocations = 16, 256
	var wait sync.WaitGroup
	sums := make([]int, goroutines)
	for g := 0; g < goroutines; g++ {
		wait.Add(1)
		go func(g int) {
			defer wait.Done()
			for i := 0; i < allocations; i++ {
				block := make([]byte, 64<<10)
				block[i%len(block)] = byte(g)
				sums[g] += int(block[i%len(block)]) + len(block)
				runtime.Gosched()
			}
		}(g)
	}
	wait.Wait()
	runtime.GC()
	var stats runtime.MemStats
	runtime.ReadMemStats(&stats)
	total := 0
	for _, sum := range sums {
		total += sum
	}
	host.Log(LogInfo, fmt.Sprintf("churn: %d goroutines allocated %d MiB; %d garbage collections so far",
		goroutines, total>>20, stats.NumGC))
	return nil
}
