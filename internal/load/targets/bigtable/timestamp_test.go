package bigtable

import (
	"testing"

	"cloud.google.com/go/bigtable"
)

// TestToTimestamp: a writetime in microseconds becomes a cell timestamp
// cut to Bigtable's milliseconds (docs/loader.md's example), and one
// before 1970 becomes 0.
func TestToTimestamp(t *testing.T) {
	for us, want := range map[int64]bigtable.Timestamp{
		1700000000123456:  1700000000123000,
		1700000000123999:  1700000000123000,
		1000:              1000,
		999:               0,
		0:                 0,
		-1:                0,
		-1700000000123456: 0,
	} {
		if got := toTimestamp(us); got != want {
			t.Errorf("toTimestamp(%d) = %d, want %d", us, got, want)
		}
	}
}
