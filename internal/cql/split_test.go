package cql

import (
	"math/big"
	"testing"
)

func testRing(t *testing.T) *Ring {
	t.Helper()
	r, err := BuildRing(murmur3, []Host{
		{ID: "a", Tokens: toks("-4611686018427387904", "4611686018427387904")},
		{ID: "b", Tokens: toks("0")},
	}, Replication{Class: "SimpleStrategy", Options: map[string]string{"replication_factor": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func splitRanges(ss []Split) []Range {
	out := make([]Range, len(ss))
	for i, s := range ss {
		out[i] = s.Range
	}
	return out
}

func TestSplitsCount(t *testing.T) {
	r := testRing(t) // four ranges of a quarter ring each
	for _, n := range []int{1, 4, 8, 100, 1001} {
		ss := Splits(r, nil, SplitOptions{Count: n})
		want := max(n, 4)
		if n%4 != 0 && n > 4 {
			want = 4 * ((n + 2) / 4) // each quarter rounds n/4
		}
		if len(ss) != want {
			t.Errorf("Count %d: %d splits, want %d", n, len(ss), want)
		}
		checkCovers(t, murmur3, splitRanges(ss))
		for _, s := range ss {
			if len(s.Replicas) != 1 {
				t.Errorf("split %v lost its replicas", s.Range)
			}
		}
	}
}

func TestSplitsFromEstimates(t *testing.T) {
	r := testRing(t)
	// One node's estimate covers (Min, -2^62] with 1000 MB; the other
	// ranges are unknown and get the same density.
	est := []Estimate{{Start: murmur3.Min, End: bi("-4611686018427387904"), Bytes: 1000 << 20}}
	ss := Splits(r, est, SplitOptions{MaxBytes: 100 << 20})
	if len(ss) != 40 {
		t.Fatalf("%d splits, want 40 (4 ranges of ~1000 MB at 100 MB each)", len(ss))
	}
	for _, s := range ss {
		if s.EstimatedBytes > 100<<20 || s.EstimatedBytes < 90<<20 {
			t.Errorf("split %v estimated %d bytes, want about 100 MB", s.Range, s.EstimatedBytes)
		}
	}
	checkCovers(t, murmur3, splitRanges(ss))
}

func TestSplitsMinimum(t *testing.T) {
	r := testRing(t)
	ss := Splits(r, nil, SplitOptions{Min: 64})
	if len(ss) != 64 {
		t.Fatalf("%d splits, want 64", len(ss))
	}
	checkCovers(t, murmur3, splitRanges(ss))
}

func TestSplitsWrappingEstimate(t *testing.T) {
	r := testRing(t)
	// An estimate that wraps: (2^62, -2^62] covers the last and the first
	// range, 500 MB each.
	est := []Estimate{{Start: bi("4611686018427387904"), End: bi("-4611686018427387904"), Bytes: 1000 << 20}}
	b := estimateRanges(murmur3, r.Ranges, est)
	for i, want := range []int64{500 << 20, 500 << 20, 500 << 20, 500 << 20} {
		if d := b[i] - want; d > 1<<20 || d < -(1<<20) {
			t.Errorf("range %v estimated %d, want about %d", r.Ranges[i], b[i], want)
		}
	}
}

func TestCutRangeTiny(t *testing.T) {
	got := cutRange(murmur3, Range{Start: big.NewInt(10), End: big.NewInt(12)}, 5)
	if len(got) != 2 || got[0].End.Int64() != 11 || got[1].End.Int64() != 12 {
		t.Fatalf("cut (10,12] in 5: %v", got)
	}
}
