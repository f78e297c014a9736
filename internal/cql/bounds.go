package cql

// Bounds returns the values to bind for "token(pk) > ? AND token(pk) <=
// ?" to read r (its end Min, the ring's end, bound as Max), typed as the
// driver binds the partitioner's tokens.
func (r Range) Bounds(p *Partitioner) (lo, hi any) { return queryBounds(p, r) }

// Cut cuts r into n adjacent ranges of nearly equal width that cover it
// exactly (fewer when r holds fewer than n tokens): a range that takes
// too long to read in one request is read again in pieces.
func (r Range) Cut(p *Partitioner, n int) []Range { return cutRange(p, r, n) }
