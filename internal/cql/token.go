package cql

import (
	"math/big"

	"github.com/lading-dev/lading/pkg/manifest"
)

// Partitioner is a token space: the partitioner's class name and its
// minimum and maximum tokens. The one definition is pkg/manifest's, which
// the dump's documents check tokens with; scans bind tokens by it here.
type Partitioner = manifest.Partitioner

// Partitioners lading can plan ranges for.
const (
	Murmur3 = manifest.Murmur3Partitioner
	Random  = manifest.RandomPartitioner
)

var (
	murmur3, _ = manifest.PartitionerByName(Murmur3)
	random, _  = manifest.PartitionerByName(Random)
)

// PartitionerByName returns the partitioner of a class name, full
// ("org.apache.cassandra.dht.Murmur3Partitioner") or bare.
func PartitionerByName(name string) (*Partitioner, error) {
	return manifest.PartitionerByName(name)
}

// bindToken returns a token as the driver binds token(...) values:
// int64 for Murmur3 (bigint), *big.Int for RandomPartitioner (varint).
func bindToken(p *Partitioner, t *big.Int) any {
	if p.Name == Murmur3 {
		return t.Int64()
	}
	return new(big.Int).Set(t)
}

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
func width(p *Partitioner, r Range) *big.Int {
	end := r.End
	if end.Cmp(p.Min) == 0 {
		end = p.Max
	}
	return new(big.Int).Sub(end, r.Start)
}

// QueryBounds returns the values to bind to a Scanner's Statement for
// r: token(pk) > lo AND token(pk) <= hi (benchmarks scan with the driver
// alone through it).
func QueryBounds(p *Partitioner, r Range) (lo, hi any) { return queryBounds(p, r) }

// queryBounds returns the bounds to bind for token(pk) > lo AND
// token(pk) <= hi: the end "Min" (ring's end) becomes Max.
func queryBounds(p *Partitioner, r Range) (lo, hi any) {
	end := r.End
	if end.Cmp(p.Min) == 0 {
		end = p.Max
	}
	return bindToken(p, r.Start), bindToken(p, end)
}
