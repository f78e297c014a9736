package cql

import (
	"math"
	"math/big"
	"sort"
)

// DefaultSplitBytes is the most data (by the size estimates) one split
// should hold when the splits are sized automatically.
const DefaultSplitBytes = 256 << 20

// SplitOptions shape how a ring is cut into splits.
type SplitOptions struct {
	// Count, when > 0, asks for about Count splits in all (the ring's
	// ranges are cut in proportion to their width; each range is at least
	// one split). It overrides the automatic sizing.
	Count int
	// MaxBytes is the most estimated data per split; default
	// DefaultSplitBytes.
	MaxBytes int64
	// Min is the least number of splits (e.g. 4 x the readers), so that
	// every reader has work even on a small table.
	Min int
}

// Split is a sub-range of one ring range, with its replicas and its
// estimated size.
type Split struct {
	Range
	// EstimatedBytes from system.size_estimates (0 when unknown).
	EstimatedBytes int64
}

// Splits cuts every range of the ring into sub-ranges: sized from the
// estimates so that none holds more than MaxBytes, and at least Min in
// all; or about Count in all when Count is set. Splits keep their range's
// replicas, are sorted in ring order and cover the ring exactly once.
func Splits(ring *Ring, est []Estimate, opts SplitOptions) []Split {
	p := ring.Partitioner
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultSplitBytes
	}
	ringSize, _ := p.Size().Float64()
	bytes := estimateRanges(p, ring.Ranges, est)
	var out []Split
	for i, r := range ring.Ranges {
		w, _ := width(p, r).Float64()
		share := w / ringSize
		n := 1
		if opts.Count > 0 {
			n = int(math.Round(float64(opts.Count) * share))
		} else {
			if bytes[i] > 0 {
				n = int((bytes[i] + opts.MaxBytes - 1) / opts.MaxBytes)
			}
			n = max(n, int(math.Ceil(float64(opts.Min)*share)))
		}
		n = max(n, 1)
		for _, sub := range cutRange(p, r, n) {
			out = append(out, Split{Range: sub, EstimatedBytes: bytes[i] / int64(n)})
		}
	}
	return out
}

// cutRange cuts r into n pieces of (nearly) equal width; fewer when r
// has fewer than n tokens.
func cutRange(p *Partitioner, r Range, n int) []Range {
	w := width(p, r)
	if big.NewInt(int64(n)).Cmp(w) > 0 {
		n = int(w.Int64())
	}
	if n <= 1 {
		return []Range{r}
	}
	step := new(big.Int).Quo(w, big.NewInt(int64(n)))
	out := make([]Range, 0, n)
	start := r.Start
	for k := 1; k < n; k++ {
		end := new(big.Int).Add(r.Start, new(big.Int).Mul(step, big.NewInt(int64(k))))
		out = append(out, Range{Start: start, End: end, Replicas: r.Replicas})
		start = end
	}
	out = append(out, Range{Start: start, End: r.End, Replicas: r.Replicas})
	return out
}

// estimateRanges estimates each ring range's bytes: the estimates that
// overlap it, in proportion to the overlap; a range no estimate covers
// gets the average density of those that are covered.
func estimateRanges(p *Partitioner, ranges []Range, est []Estimate) []int64 {
	out := make([]int64, len(ranges))
	if len(est) == 0 {
		return out
	}
	type iv struct {
		lo, hi float64
		bytes  float64
	}
	var ivs []iv
	for _, e := range est {
		segs := segments(p, e.Start, e.End)
		widths := make([]float64, len(segs))
		total := 0.0
		for k, seg := range segs {
			w, _ := new(big.Int).Sub(seg[1], seg[0]).Float64()
			widths[k], total = w, total+w
		}
		for k, seg := range segs {
			lo, _ := seg[0].Float64()
			hi, _ := seg[1].Float64()
			b := 0.0
			if total > 0 {
				b = float64(e.Bytes) * widths[k] / total
			}
			ivs = append(ivs, iv{lo, hi, b})
		}
	}
	sort.Slice(ivs, func(i, j int) bool { return ivs[i].lo < ivs[j].lo })
	covered, coveredBytes := 0.0, 0.0
	uncovered := make([]bool, len(ranges))
	for i, r := range ranges {
		rs := segments(p, r.Start, r.End)
		lo, _ := rs[0][0].Float64()
		hi, _ := rs[0][1].Float64()
		k := sort.Search(len(ivs), func(k int) bool { return ivs[k].hi > lo })
		sum, overlap := 0.0, 0.0
		for ; k < len(ivs); k++ {
			e := ivs[k]
			if e.lo >= hi {
				break
			}
			o := math.Min(hi, e.hi) - math.Max(lo, e.lo)
			if o > 0 && e.hi > e.lo {
				sum += e.bytes * o / (e.hi - e.lo)
				overlap += o
			}
		}
		if overlap == 0 {
			uncovered[i] = true
			continue
		}
		out[i] = int64(sum)
		covered += overlap
		coveredBytes += sum
	}
	if covered > 0 {
		density := coveredBytes / covered
		for i, r := range ranges {
			if uncovered[i] {
				w, _ := width(p, r).Float64()
				out[i] = int64(density * w)
			}
		}
	}
	return out
}

// segments maps (start, end] onto ring offsets [lo, hi) pairs, cutting a
// range that wraps; start == end is the whole ring.
func segments(p *Partitioner, start, end *big.Int) [][2]*big.Int {
	s, e, n := p.Offset(start), p.Offset(end), p.Size()
	zero := new(big.Int)
	switch {
	case s.Cmp(e) == 0:
		return [][2]*big.Int{{zero, n}}
	case e.Sign() == 0: // (x, Min]: to the ring's end
		return [][2]*big.Int{{s, n}}
	case s.Cmp(e) < 0:
		return [][2]*big.Int{{s, e}}
	}
	return [][2]*big.Int{{s, n}, {zero, e}}
}
