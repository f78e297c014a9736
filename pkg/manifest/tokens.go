package manifest

import (
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"strings"
)

// Partitioners whose tokens lading can plan and name. Documents carry the
// full class name, as system.local reports it.
const (
	Murmur3Partitioner = "org.apache.cassandra.dht.Murmur3Partitioner"
	RandomPartitioner  = "org.apache.cassandra.dht.RandomPartitioner"
)

// A ring is one partitioner's token space. Tokens run from min to max;
// the minimum token holds no data and marks the ring's start, so a range
// (x, min] runs to the end of the ring and (min, y] from its start.
type ring struct {
	name     string
	min, max *big.Int
	// idWidth is the number of hex digits of a unit ID: enough for
	// max - min, fixed so that IDs sort in ring order.
	idWidth int
}

var (
	murmur3Ring = &ring{
		name:    Murmur3Partitioner,
		min:     new(big.Int).Neg(new(big.Int).Lsh(big.NewInt(1), 63)),                // -2^63
		max:     new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 63), big.NewInt(1)), // 2^63-1
		idWidth: 16,
	}
	randomRing = &ring{
		name:    RandomPartitioner,
		min:     big.NewInt(-1),
		max:     new(big.Int).Lsh(big.NewInt(1), 127), // 2^127
		idWidth: 32,
	}
)

// ringOf returns the ring of a partitioner, given by its full class name
// or, when short is set, by its bare class name ("Murmur3Partitioner").
func ringOf(partitioner string, short bool) (*ring, error) {
	p := partitioner
	if short && !strings.Contains(p, ".") {
		p = "org.apache.cassandra.dht." + p
	}
	switch p {
	case Murmur3Partitioner:
		return murmur3Ring, nil
	case RandomPartitioner:
		return randomRing, nil
	}
	return nil, fmt.Errorf("partitioner %q is not supported (known: %s, %s)", partitioner, Murmur3Partitioner, RandomPartitioner)
}

// canonicalInt is a decimal integer without a plus sign, leading zeros or
// a negative zero.
var canonicalInt = regexp.MustCompile(`^(0|-?[1-9][0-9]*)$`)

// parseToken parses a token as documents write it: a canonical decimal
// integer within the ring.
func (r *ring) parseToken(s string) (*big.Int, error) {
	if len(s) > 60 || !canonicalInt.MatchString(s) {
		return nil, fmt.Errorf("token %q is not a decimal integer", s)
	}
	t, _ := new(big.Int).SetString(s, 10)
	if t.Cmp(r.min) < 0 || t.Cmp(r.max) > 0 {
		return nil, fmt.Errorf("token %s is outside the %s ring [%s, %s]", s, shortName(r.name), r.min, r.max)
	}
	return t, nil
}

func shortName(partitioner string) string {
	return partitioner[strings.LastIndexByte(partitioner, '.')+1:]
}

// offset returns t's distance from the ring's start.
func (r *ring) offset(t *big.Int) *big.Int { return new(big.Int).Sub(t, r.min) }

// size is the offset of the ring's last token.
func (r *ring) size() *big.Int { return r.offset(r.max) }

// UnitID names the unit of work whose first range starts at token: the
// token's distance from the ring's start in fixed-width lower-case hex,
// so that IDs sort in ring order. For Murmur3Partitioner that is
// uint64(token)+2^63 in 16 digits (the minimum token -2^63, where the
// ring starts, is "0000000000000000"); for RandomPartitioner, whose
// minimum token is -1, it is token+1 in 32 digits. The partitioner is
// its full or bare class name.
func UnitID(token, partitioner string) (string, error) {
	r, err := ringOf(partitioner, true)
	if err != nil {
		return "", fmt.Errorf("unit id: %w", err)
	}
	t, err := r.parseToken(token)
	if err != nil {
		return "", fmt.Errorf("unit id: %w", err)
	}
	return r.unitID(t), nil
}

func (r *ring) unitID(t *big.Int) string {
	h := r.offset(t).Text(16)
	return strings.Repeat("0", r.idWidth-len(h)) + h
}

// tokenUnit is what a range unit's ID says: its ring and the start token
// of its first range.
type tokenUnit struct {
	ring  *ring
	start *big.Int
}

var hexID = regexp.MustCompile(`^[0-9a-f]+$`)

// parseRangeUnitID reads a range unit's ID; its width tells the ring.
func parseRangeUnitID(id string) (tokenUnit, bool) {
	if !hexID.MatchString(id) {
		return tokenUnit{}, false
	}
	var r *ring
	switch len(id) {
	case murmur3Ring.idWidth:
		r = murmur3Ring
	case randomRing.idWidth:
		r = randomRing
	default:
		return tokenUnit{}, false
	}
	off, _ := new(big.Int).SetString(id, 16)
	if off.Cmp(r.size()) > 0 {
		return tokenUnit{}, false
	}
	return tokenUnit{ring: r, start: off.Add(off, r.min)}, true
}

// interval is a stretch (lo, hi] of ring offsets; ref says where it came
// from, for errors.
type interval struct {
	lo, hi *big.Int
	ref    string
}

// intervals maps a range (start, end] onto the ring's offsets, splitting
// a range that wraps past the ring's end. start == end is the full ring.
func (r *ring) intervals(start, end *big.Int, ref string) []interval {
	s, e, n := r.offset(start), r.offset(end), r.size()
	zero := new(big.Int)
	switch s.Cmp(e) {
	case 0:
		return []interval{{zero, n, ref}}
	case -1:
		return []interval{{s, e, ref}}
	}
	var out []interval
	if s.Cmp(n) < 0 {
		out = append(out, interval{s, n, ref})
	}
	if e.Sign() > 0 {
		out = append(out, interval{zero, e, ref})
	}
	return out
}

// firstOverlap returns two intervals that share a token, if any.
func firstOverlap(ivs []interval) (a, b string, found bool) {
	ivs = slices.Clone(ivs)
	slices.SortStableFunc(ivs, func(x, y interval) int { return x.lo.Cmp(y.lo) })
	for i := 1; i < len(ivs); i++ {
		if ivs[i].lo.Cmp(ivs[i-1].hi) < 0 {
			return ivs[i-1].ref, ivs[i].ref, true
		}
	}
	return "", "", false
}
