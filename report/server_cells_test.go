package report

import (
	"testing"

	"github.com/qrunhq/qrun/result"
)

func TestBuffersCell(t *testing.T) {
	tests := []struct {
		name string
		b    *result.Buffers
		want string
	}{
		{"none", nil, "-"},
		{"hits", &result.Buffers{SharedHit: 84}, "84 hit"},
		{"reads and dirtied", &result.Buffers{SharedHit: 80, SharedRead: 4, SharedDirtied: 2}, "80 hit 4 read 2 dirtied"},
		{"spilled", &result.Buffers{SharedHit: 10, TempRead: 3, TempWritten: 3}, "10 hit 6 temp"},
		{"temporary table", &result.Buffers{LocalHit: 84}, "0 hit · local 84 hit"},
		{"temporary table read and dirtied", &result.Buffers{SharedHit: 2, LocalHit: 80, LocalRead: 4, LocalDirtied: 1}, "2 hit · local 80 hit 4 read 1 dirtied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := &result.Query{ServerStats: &result.ServerStats{Buffers: tt.b}}
			if got := buffersCell(q); got != tt.want {
				t.Errorf("buffersCell: got %q, want %q", got, tt.want)
			}
		})
	}
}
