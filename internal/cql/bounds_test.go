package cql

import (
	"math/big"
	mrand "math/rand"
	"sort"
	"testing"
)

// TestCountSlicesCoverTheRingOnce cuts vnode rings as a count does
// (Splits, then every split in pieces, as a slice that timed out is) and
// checks, through the values bound in the query (token > lo AND token <=
// hi), that every token is in exactly one piece: no gap, no overlap, the
// wrap-around range included.
func TestCountSlicesCoverTheRingOnce(t *testing.T) {
	rnd := mrand.New(mrand.NewSource(7))
	for _, p := range []*Partitioner{murmur3, random} {
		for _, edge := range []string{"none", "min", "max"} {
			var hosts []Host
			for h := range 3 {
				host := Host{ID: string(rune('a' + h))}
				for range 16 {
					off := new(big.Int).Rand(rnd, p.Size())
					host.Tokens = append(host.Tokens, off.Add(off, p.Min))
				}
				hosts = append(hosts, host)
			}
			switch edge { // a vnode on the ring's first or last token
			case "min":
				hosts[0].Tokens[0] = new(big.Int).Set(p.Min)
			case "max":
				hosts[0].Tokens[0] = new(big.Int).Set(p.Max)
			}
			ring, err := BuildRing(p, hosts, Replication{Class: "SimpleStrategy", Options: map[string]string{"replication_factor": "1"}})
			if err != nil {
				t.Fatal(err)
			}
			var pieces []Range
			for _, s := range Splits(ring, nil, SplitOptions{Min: 256}) {
				pieces = append(pieces, s.Range.Cut(p, 16)...)
			}
			checkBounds(t, p, pieces)
		}
	}
	// No tokens known: the whole ring as one range, cut.
	whole := Range{Start: new(big.Int).Set(murmur3.Min), End: new(big.Int).Set(murmur3.Min)}
	checkBounds(t, murmur3, whole.Cut(murmur3, 16))
}

// checkBounds checks that the bound (lo, hi] intervals of rs, sorted,
// chain from Min to Max with no gap and no overlap: every token a row can
// have (Min excluded) is read by exactly one slice.
func checkBounds(t *testing.T, p *Partitioner, rs []Range) {
	t.Helper()
	asBig := func(v any) *big.Int {
		if i, ok := v.(int64); ok {
			return big.NewInt(i)
		}
		return v.(*big.Int)
	}
	type bound struct{ lo, hi *big.Int }
	bs := make([]bound, len(rs))
	for i, r := range rs {
		lo, hi := r.Bounds(p)
		bs[i] = bound{asBig(lo), asBig(hi)}
		if bs[i].lo.Cmp(bs[i].hi) >= 0 {
			t.Fatalf("%s: slice %s is bound as (%s, %s]: empty or inverted", p.Name, r, bs[i].lo, bs[i].hi)
		}
	}
	sort.Slice(bs, func(i, j int) bool { return bs[i].lo.Cmp(bs[j].lo) < 0 })
	at := p.Min
	for _, b := range bs {
		if b.lo.Cmp(at) != 0 {
			t.Fatalf("%s: after %s the next slice starts at %s (a gap or an overlap)", p.Name, at, b.lo)
		}
		at = b.hi
	}
	if at.Cmp(p.Max) != 0 {
		t.Fatalf("%s: the slices end at %s, not at the ring's end %s", p.Name, at, p.Max)
	}
}
