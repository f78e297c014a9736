package format

import "time"

// timeDays counts days since 1970-01-01 with the time package's calendar.
func timeDays(y, m, d int) int64 {
	return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}
