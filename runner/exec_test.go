package runner

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// notSent is an error from before anything reached the server.
type notSent struct{}

func (notSent) Error() string     { return "dial failed" }
func (notSent) SafeToRetry() bool { return true }

func TestRetryable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		err          error
		sent, closed bool
		want         bool
	}{
		{"serialization failure", &pgconn.PgError{Code: "40001"}, true, false, true},
		{"deadlock", fmt.Errorf("wrapped: %w", &pgconn.PgError{Code: "40P01"}), true, false, true},
		{"unique violation", &pgconn.PgError{Code: "23505"}, true, false, false},
		{"cancelled", &pgconn.PgError{Code: "57014"}, true, false, false},
		{"not sent", fmt.Errorf("connect: %w", notSent{}), false, false, true},
		{"not sent, connection closed", errors.New("write: broken pipe"), false, true, true},
		// The driver's predicate is not trusted once a byte has been written.
		{"sent, driver says safe", fmt.Errorf("receive: %w", notSent{}), true, true, false},
		{"lost mid-statement", errors.New("unexpected EOF"), true, true, false},
		{"not sent, local error", errors.New("no such file"), false, false, false},
		{"committed block", &committedError{&pgconn.PgError{Code: "40001"}}, true, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := retryable(tt.err, tt.sent, tt.closed); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		attempt  int
		min, max time.Duration
	}{
		{1, 5 * time.Millisecond, 10 * time.Millisecond},
		{2, 10 * time.Millisecond, 20 * time.Millisecond},
		{5, 80 * time.Millisecond, 160 * time.Millisecond},
		{8, retryCap / 2, retryCap},
		{100, retryCap / 2, retryCap},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.attempt), func(t *testing.T) {
			for range 100 {
				if d := backoff(tt.attempt); d < tt.min || d > tt.max {
					t.Fatalf("got %s, want %s to %s", d, tt.min, tt.max)
				}
			}
		})
	}
}

func TestBegin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"plain", Options{}, "BEGIN"},
		{"--rollback", Options{Rollback: true}, "BEGIN"},
		{"--read-only", Options{ReadOnly: true}, "BEGIN READ ONLY"},
		{"--read-only --single-transaction", Options{ReadOnly: true, SingleTransaction: true}, "BEGIN READ ONLY"},
		{"--read-only --rollback", Options{ReadOnly: true, Rollback: true}, "BEGIN READ ONLY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.opts.begin(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
