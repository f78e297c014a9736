package cql

// SetFault makes every page request of sc call f first and fail with its
// error, if any (for tests of retries).
func SetFault(sc *Scanner, f func() error) { sc.fault = f }
