package runner

import (
	"os"
	"runtime"
	"sync"
)

// A run on one connection is one goroutine waiting on one socket: a second P adds
// nothing it can use, and costs a lot on a small machine. With GOMAXPROCS=2 on 2 cores,
// every wake-up from the netpoller may start a spinning M on the idle P, which steals
// the CPU the PostgreSQL backend needs to answer the next statement. Measured on the
// 2-core machine of docs/BENCHMARKS.md ("Round-trip tuning (runner)"), 20,000
// sequential SELECT 1: context switches 52k → 30k and CPU 1.31 s → 1.08 s with
// GOMAXPROCS=1, and with raw socket I/O (rawconn.go) still 37.6k → 20.5k and 0.78 s →
// 0.70 s. With 8 connections the second P pays for itself (--parallel -c 8 took 0.96 s
// with two Ps, 1.10 s with one), so only one-connection runs are limited.
//
// The limit holds only while runs execute (loading, planning and writing the report
// keep every P, for the garbage collector), and an explicit GOMAXPROCS in the
// environment is always obeyed.

var procs struct {
	sync.Mutex
	held  int // runs on one connection in progress in this process
	saved int // GOMAXPROCS before the first of them
}

// limitProcs lowers GOMAXPROCS to 1 for a run that uses conns connections, when conns
// is 1, and returns what restores it. Runs of several targets in one process share the
// limit: the last to end restores the setting the first found.
func limitProcs(conns int) (restore func()) {
	if conns != 1 || os.Getenv("GOMAXPROCS") != "" {
		return func() {}
	}
	procs.Lock()
	defer procs.Unlock()
	if procs.held == 0 {
		procs.saved = runtime.GOMAXPROCS(0)
		if procs.saved == 1 {
			return func() {}
		}
		runtime.GOMAXPROCS(1)
	}
	procs.held++
	return func() {
		procs.Lock()
		defer procs.Unlock()
		procs.held--
		if procs.held == 0 {
			runtime.GOMAXPROCS(procs.saved)
		}
	}
}
