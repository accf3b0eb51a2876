// Package e2e holds qrun's end-to-end tests: they build the real qrun binary once and run
// it as a user would, against a real PostgreSQL, directly or through a TCP proxy that
// injects faults (latency, resets, black holes), and check what issue 5 promises from the
// outside — exit statuses, complete reports, input errors that run nothing, cancellation
// that reaches the server, no password in any output and no backend left behind.
//
// The package has no non-test code; this file only documents it. Run it with
//
//	go test -race ./internal/e2e
//
// It needs the PostgreSQL named by QRUN_TEST_DATABASE_URL (default: the local server on
// 127.0.0.1:5432); without one the tests skip, except under CI=true, where they fail.
// QRUN_E2E_RACE=1 also builds the qrun binary with the race detector, so that a data race
// in the binary fails the test that triggered it.
package e2e
