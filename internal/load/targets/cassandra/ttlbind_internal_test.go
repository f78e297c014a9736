package cassandra

import (
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/lading-dev/lading/internal/load"
)

// The TTL a statement carries is what is left when it is sent, not when
// its row was converted: a batch that waits in a queue or backs off
// before a retry must not give its cells a longer life than the
// source's. (Found by the chaos soak, internal/e2e: --verify full saw
// restored TTLs 2s longer than the dump allowed after a busy load.)
func TestTTLBoundWhenSent(t *testing.T) {
	readAt := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := readAt.Add(10 * time.Second)
	cv := &converter{ttl: true, readAt: readAt, info: load.PartInfo{Now: func() time.Time { return now }}}
	ct := cellTime{ts: 1, ttl: 90, dumped: 100}
	ts, ttl := cv.bindTime(ct)
	b, ok := ttl.(ttlBind)
	if ts != int64(1) || !ok {
		t.Fatalf("bindTime = %v, %T", ts, ttl)
	}
	if _, ok := ttl.(gocql.Marshaler); !ok {
		t.Fatalf("%T is not a gocql.Marshaler", ttl)
	}
	for _, c := range []struct {
		after time.Duration
		want  int
	}{
		{10 * time.Second, 90},
		{15*time.Second + time.Millisecond, 84}, // queued: rounded against the restore
		{99 * time.Second, 1},
		{time.Hour, 1}, // ran out while queued: 1s, never 0 (no TTL)
	} {
		now = readAt.Add(c.after)
		if got := b.seconds(); got != c.want {
			t.Errorf("sent %s after read_at: TTL %d, want %d", c.after, got, c.want)
		}
	}
	// No TTL, or no TTLs in the dump.
	if _, ttl := cv.bindTime(cellTime{ts: 1}); ttl != 0 {
		t.Errorf("a cell without TTL binds %v, want 0", ttl)
	}
	cv.ttl = false
	if _, ttl := cv.bindTime(ct); ttl != gocql.UnsetValue {
		t.Errorf("without TTLs in the dump: %v, want unset", ttl)
	}
}
