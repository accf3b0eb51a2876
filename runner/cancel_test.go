package runner

import (
	"context"
	"errors"
	"testing"
)

// A statement that would start after the run stopped is not sent: the watch, which only
// runs once the run has stopped, could miss it.
func TestGuardRefusesAfterStop(t *testing.T) {
	stop, cancel := context.WithCancel(context.Background())
	cancel()
	var g guard
	if err := g.enter(stop, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if g.pc != nil {
		t.Error("got a connection marked as executing, want none")
	}
	g.cancel() // nothing executes: nothing to cancel, no goroutine
	g.leave()
}
