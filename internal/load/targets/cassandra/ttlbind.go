package cassandra

import (
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// ttlBind is the value bound to a statement's USING TTL: the TTL the
// dump recorded and the part's read_at, turned into the TTL left when
// gocql marshals the statement for sending (each try), not when its row
// was converted. Cassandra counts a TTL from when the write arrives, so a
// TTL computed earlier would lengthen the restored cell's life by the
// time the statement spent queued, throttled or backing off before a
// retry, past the source's.
type ttlBind struct {
	dumped int64
	readAt time.Time
	now    func() time.Time
}

// seconds is the TTL to send now. A cell that was live at conversion and
// has run out since is sent with 1 second (0 would mean no TTL at all).
func (b ttlBind) seconds() int {
	now := time.Now
	if b.now != nil {
		now = b.now
	}
	left, _ := remaining(b.dumped, b.readAt, now())
	return int(max(left, 1))
}

// MarshalCQL implements gocql.Marshaler.
func (b ttlBind) MarshalCQL(info gocql.TypeInfo) ([]byte, error) {
	return gocql.Marshal(info, b.seconds())
}
