package runner

import (
	"context"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/qrunhq/qrun/internal/pgtest"
)

// TestLargeResultBoundedMemory counts a large result without holding it: the heap must
// not grow with the number of rows (psql would hold all of them).
func TestLargeResultBoundedMemory(t *testing.T) {
	rows := int64(5_000_000)
	if testing.Short() {
		rows = 500_000
	}
	url := pgtest.URL(t)
	tg := connect(t, url, Config{}, Options{})
	p := buildPlan(t, false, src{sql: "SELECT g, repeat('x', 100) FROM generate_series(1, " +
		strconv.FormatInt(rows, 10) + ") g;"})

	heap := watchHeap()
	// Not run's 30 s: 5M rows under the race detector on a loaded machine take longer, and
	// the test is about memory, not speed.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	r, err := tg.Run(ctx, p)
	base, peak := heap.stop()
	if err != nil {
		t.Fatalf("Run: %v", err)
	}

	if q := r.Queries[0]; q.Rows != rows || q.Command != "SELECT "+strconv.FormatInt(rows, 10) {
		t.Fatalf("got %s with %d rows (%q), want ok with %d", q.Status, q.Rows, q.Command, rows)
	}
	// The result is over 100 bytes a row: hundreds of MB for 5M rows. A few MB of
	// buffers may come and go; growth with the rows would be far above this.
	const limit = 16 << 20
	if growth := int64(peak) - int64(base); growth > limit {
		t.Errorf("got heap growth %d MB for %d rows, want under %d MB", growth>>20, rows, limit>>20)
	}
	t.Logf("%d rows in %.0f ms; heap in use %d MB before, %d MB at peak", rows, r.Queries[0].WallMs, base>>20, peak>>20)
}

// heapWatch samples the heap in use every 5 ms from watchHeap to stop.
type heapWatch struct {
	base, peak uint64
	done       chan struct{}
	wg         sync.WaitGroup
}

// watchHeap collects garbage, notes the heap in use and starts sampling it.
func watchHeap() *heapWatch {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	h := &heapWatch{base: m.HeapInuse, done: make(chan struct{})}
	h.wg.Go(func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		var m runtime.MemStats
		for {
			select {
			case <-h.done:
				return
			case <-tick.C:
				runtime.ReadMemStats(&m)
				h.peak = max(h.peak, m.HeapInuse)
			}
		}
	})
	return h
}

// stop ends the sampling and returns the heap in use at the start and its peak since.
func (h *heapWatch) stop() (base, peak uint64) {
	close(h.done)
	h.wg.Wait()
	return h.base, h.peak
}
