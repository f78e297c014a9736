package cql

import (
	"fmt"
	"math/big"
	"strings"
)

// Partitioner is a token space: the partitioner's class name and its
// minimum and maximum tokens. The minimum token is never owned by a row:
// it marks the ring's start, so a range (x, Min] runs to the ring's end
// (Max included) and (Min, y] from its start.
type Partitioner struct {
	// Name is the full class name, as system.local reports it.
	Name     string
	Min, Max *big.Int
	// int64 tokens bind as bigint (Murmur3), others as varint.
	int64Tokens bool
}

// Partitioners lading can plan ranges for.
const (
	Murmur3 = "org.apache.cassandra.dht.Murmur3Partitioner"
	Random  = "org.apache.cassandra.dht.RandomPartitioner"
)

var (
	murmur3 = &Partitioner{
		Name:        Murmur3,
		Min:         new(big.Int).Neg(new(big.Int).Lsh(big.NewInt(1), 63)),
		Max:         new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 63), big.NewInt(1)),
		int64Tokens: true,
	}
	random = &Partitioner{
		Name: Random,
		Min:  big.NewInt(-1),
		Max:  new(big.Int).Lsh(big.NewInt(1), 127),
	}
)

// PartitionerByName returns the partitioner of a class name, full
// ("org.apache.cassandra.dht.Murmur3Partitioner") or bare.
func PartitionerByName(name string) (*Partitioner, error) {
	n := name
	if !strings.Contains(n, ".") {
		n = "org.apache.cassandra.dht." + n
	}
	switch n {
	case Murmur3:
		return murmur3, nil
	case Random:
		return random, nil
	}
	return nil, fmt.Errorf("partitioner %q is not supported (lading reads tables of %s and %s)", name, Murmur3, Random)
}

// ParseToken parses a decimal token and checks it is on the ring.
func (p *Partitioner) ParseToken(s string) (*big.Int, error) {
	t, ok := new(big.Int).SetString(strings.TrimSpace(s), 10)
	if !ok {
		return nil, fmt.Errorf("token %q is not a decimal integer", s)
	}
	if t.Cmp(p.Min) < 0 || t.Cmp(p.Max) > 0 {
		return nil, fmt.Errorf("token %s is outside the ring [%s, %s]", s, p.Min, p.Max)
	}
	return t, nil
}

// bindToken returns a token as the driver binds token(...) values:
// int64 for Murmur3 (bigint), *big.Int for RandomPartitioner (varint).
func (p *Partitioner) bindToken(t *big.Int) any {
	if p.int64Tokens {
		return t.Int64()
	}
	return new(big.Int).Set(t)
}

// offset is t's distance from the ring's start.
func (p *Partitioner) offset(t *big.Int) *big.Int { return new(big.Int).Sub(t, p.Min) }

// size is the number of tokens a row can have: Max - Min.
func (p *Partitioner) size() *big.Int { return new(big.Int).Sub(p.Max, p.Min) }

// Range is a token range (Start, End]. End == Min means "to the ring's
// end". Ranges from a Ring never wrap: Start < End or End == Min.
type Range struct {
	Start, End *big.Int
	// Replicas are the host IDs holding the range, as far as the ring
	// knows (empty when unknown).
	Replicas []string
}

// String renders the range as (start, end].
func (r Range) String() string { return "(" + r.Start.String() + ", " + r.End.String() + "]" }

// width returns the number of tokens in r.
func (p *Partitioner) width(r Range) *big.Int {
	end := r.End
	if end.Cmp(p.Min) == 0 {
		end = p.Max
	}
	return new(big.Int).Sub(end, r.Start)
}

// queryBounds returns the bounds to bind for token(pk) > lo AND
// token(pk) <= hi: the end "Min" (ring's end) becomes Max.
func (p *Partitioner) queryBounds(r Range) (lo, hi any) {
	end := r.End
	if end.Cmp(p.Min) == 0 {
		end = p.Max
	}
	return p.bindToken(r.Start), p.bindToken(end)
}
