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

// Partitioner is one partitioner's token space, the one definition of
// it in lading (internal/cql plans and queries with it). Tokens run from
// Min to Max; the minimum token holds no data and marks the ring's
// start, so a range (x, Min] runs to the end of the ring and (Min, y]
// from its start.
type Partitioner struct {
	// Name is the full class name, as system.local reports it.
	Name     string
	Min, Max *big.Int
	// IDWidth is the number of hex digits of a unit ID: enough for
	// Max - Min, fixed so that IDs sort in ring order.
	IDWidth int
}

// ring is the name the checks use for a partitioner's token space.
type ring = Partitioner

var (
	murmur3Ring = &Partitioner{
		Name:    Murmur3Partitioner,
		Min:     new(big.Int).Neg(new(big.Int).Lsh(big.NewInt(1), 63)),                // -2^63
		Max:     new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 63), big.NewInt(1)), // 2^63-1
		IDWidth: 16,
	}
	randomRing = &Partitioner{
		Name:    RandomPartitioner,
		Min:     big.NewInt(-1),
		Max:     new(big.Int).Lsh(big.NewInt(1), 127), // 2^127
		IDWidth: 32,
	}
)

// PartitionerByName returns a partitioner given its full class name
// ("org.apache.cassandra.dht.Murmur3Partitioner") or its bare one.
func PartitionerByName(name string) (*Partitioner, error) {
	return ringOf(name, true)
}

// ParseToken parses a token as documents and system tables write it (a
// canonical decimal integer) and checks it is on the ring.
func (p *Partitioner) ParseToken(s string) (*big.Int, error) { return p.parseToken(s) }

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
	if t.Cmp(r.Min) < 0 || t.Cmp(r.Max) > 0 {
		return nil, fmt.Errorf("token %s is outside the %s ring [%s, %s]", s, shortName(r.Name), r.Min, r.Max)
	}
	return t, nil
}

func shortName(partitioner string) string {
	return partitioner[strings.LastIndexByte(partitioner, '.')+1:]
}

// Offset returns t's distance from the ring's start.
func (r *ring) Offset(t *big.Int) *big.Int { return new(big.Int).Sub(t, r.Min) }

// Size is the offset of the ring's last token: Max - Min.
func (r *ring) Size() *big.Int { return r.Offset(r.Max) }

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
	h := r.Offset(t).Text(16)
	return strings.Repeat("0", r.IDWidth-len(h)) + h
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
	case murmur3Ring.IDWidth:
		r = murmur3Ring
	case randomRing.IDWidth:
		r = randomRing
	default:
		return tokenUnit{}, false
	}
	off, _ := new(big.Int).SetString(id, 16)
	if off.Cmp(r.Size()) > 0 {
		return tokenUnit{}, false
	}
	return tokenUnit{ring: r, start: off.Add(off, r.Min)}, true
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
	s, e, n := r.Offset(start), r.Offset(end), r.Size()
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
