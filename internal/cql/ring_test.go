package cql

import (
	"math/big"
	mrand "math/rand"
	"reflect"
	"sort"
	"testing"
)

func bi(s string) *big.Int {
	v, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic(s)
	}
	return v
}

func toks(ss ...string) []*big.Int {
	var out []*big.Int
	for _, s := range ss {
		out = append(out, bi(s))
	}
	return out
}

type rng struct{ start, end string }

func ranges(r *Ring) []rng {
	var out []rng
	for _, x := range r.Ranges {
		out = append(out, rng{x.Start.String(), x.End.String()})
	}
	return out
}

const (
	m3min = "-9223372036854775808"
	m3max = "9223372036854775807"
)

func TestBuildRingMurmur3WrapAround(t *testing.T) {
	simple1 := Replication{Class: "org.apache.cassandra.locator.SimpleStrategy", Options: map[string]string{"replication_factor": "1"}}
	tests := []struct {
		name  string
		hosts []Host
		want  []rng
		owner []string // replica of each range
	}{
		{
			name:  "two hosts",
			hosts: []Host{{ID: "a", Tokens: toks("-100", "50")}, {ID: "b", Tokens: toks("0")}},
			want:  []rng{{m3min, "-100"}, {"-100", "0"}, {"0", "50"}, {"50", m3min}},
			owner: []string{"a", "b", "a", "a"},
		},
		{
			name:  "one token",
			hosts: []Host{{ID: "a", Tokens: toks("7")}},
			want:  []rng{{m3min, "7"}, {"7", m3min}},
			owner: []string{"a", "a"},
		},
		{
			name:  "first token is the minimum",
			hosts: []Host{{ID: "a", Tokens: toks(m3min)}, {ID: "b", Tokens: toks("10")}},
			want:  []rng{{m3min, "10"}, {"10", m3min}},
			owner: []string{"b", "a"},
		},
		{
			name:  "last token is the maximum",
			hosts: []Host{{ID: "a", Tokens: toks("-5")}, {ID: "b", Tokens: toks(m3max)}},
			want:  []rng{{m3min, "-5"}, {"-5", m3max}},
			owner: []string{"a", "b"},
		},
		{
			name:  "minimum and maximum",
			hosts: []Host{{ID: "a", Tokens: toks(m3min)}, {ID: "b", Tokens: toks(m3max)}},
			want:  []rng{{m3min, m3max}},
			owner: []string{"b"},
		},
		{
			name:  "single minimum token: the full ring",
			hosts: []Host{{ID: "a", Tokens: toks(m3min)}},
			want:  []rng{{m3min, m3min}},
			owner: []string{"a"},
		},
		{
			name:  "no tokens",
			hosts: nil,
			want:  []rng{{m3min, m3min}},
			owner: []string{""},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := BuildRing(murmur3, tc.hosts, simple1)
			if err != nil {
				t.Fatal(err)
			}
			if got := ranges(r); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("ranges = %v, want %v", got, tc.want)
			}
			for i, x := range r.Ranges {
				got := ""
				if len(x.Replicas) > 0 {
					got = x.Replicas[0]
				}
				if got != tc.owner[i] {
					t.Errorf("range %v replica %q, want %q", x, got, tc.owner[i])
				}
			}
			checkCovers(t, murmur3, r.Ranges)
		})
	}
}

// checkCovers asserts that ranges are sorted, do not overlap and cover
// every token a row can have, (Min, Max], exactly once, by checking
// boundaries and a sample of tokens.
func checkCovers(t *testing.T, p *Partitioner, rs []Range) {
	t.Helper()
	owners := func(tok *big.Int) int {
		n := 0
		for _, r := range rs {
			if contains(p, r, tok) {
				n++
			}
		}
		return n
	}
	probe := []*big.Int{new(big.Int).Add(p.Min, big.NewInt(1)), p.Max, big.NewInt(0)}
	for _, r := range rs {
		probe = append(probe, r.Start, r.End, new(big.Int).Add(r.Start, big.NewInt(1)))
	}
	rnd := mrand.New(mrand.NewSource(1))
	for range 200 {
		off := new(big.Int).Rand(rnd, p.Size())
		probe = append(probe, off.Add(off, p.Min).Add(off, big.NewInt(1)))
	}
	for _, tok := range probe {
		if tok.Cmp(p.Min) <= 0 || tok.Cmp(p.Max) > 0 {
			if tok.Cmp(p.Min) == 0 && owners(tok) != 0 {
				t.Errorf("minimum token %s is owned by %d ranges, want 0", tok, owners(tok))
			}
			continue
		}
		if n := owners(tok); n != 1 {
			t.Errorf("token %s is in %d ranges, want exactly 1", tok, n)
		}
	}
	for i := 1; i < len(rs); i++ {
		if rs[i].Start.Cmp(rs[i-1].End) != 0 {
			t.Errorf("range %d starts at %s, previous ends at %s", i, rs[i].Start, rs[i-1].End)
		}
	}
}

// contains is the semantics of a Range the scan queries: token > Start
// and token <= End, End == Min meaning Max.
func contains(p *Partitioner, r Range, tok *big.Int) bool {
	end := r.End
	if end.Cmp(p.Min) == 0 {
		end = p.Max
	}
	return tok.Cmp(r.Start) > 0 && tok.Cmp(end) <= 0
}

func TestBuildRingRandomPartitioner(t *testing.T) {
	max127 := new(big.Int).Lsh(big.NewInt(1), 127).String()
	r, err := BuildRing(random, []Host{
		{ID: "a", Tokens: toks("0", "85070591730234615865843651857942052864")},
		{ID: "b", Tokens: toks(max127)},
	}, Replication{Class: "SimpleStrategy", Options: map[string]string{"replication_factor": "2"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []rng{{"-1", "0"}, {"0", "85070591730234615865843651857942052864"}, {"85070591730234615865843651857942052864", max127}}
	if got := ranges(r); !reflect.DeepEqual(got, want) {
		t.Fatalf("ranges = %v, want %v", got, want)
	}
	for _, x := range r.Ranges {
		if len(x.Replicas) != 2 {
			t.Errorf("range %v has replicas %v, want 2", x, x.Replicas)
		}
	}
	checkCovers(t, random, r.Ranges)
	lo, hi := queryBounds(random, r.Ranges[2])
	if lo.(*big.Int).String() != want[2].start || hi.(*big.Int).String() != max127 {
		t.Errorf("query bounds = %v, %v", lo, hi)
	}
}

func TestQueryBoundsToRingEnd(t *testing.T) {
	lo, hi := queryBounds(murmur3, Range{Start: bi("42"), End: bi(m3min)})
	if lo.(int64) != 42 || hi.(int64) != 9223372036854775807 {
		t.Fatalf("bounds = %v, %v; want 42, max", lo, hi)
	}
}

func TestBuildRingRejectsDuplicateTokens(t *testing.T) {
	_, err := BuildRing(murmur3, []Host{{ID: "a", Tokens: toks("1")}, {ID: "b", Tokens: toks("1")}}, Replication{})
	if err == nil {
		t.Fatal("no error for a token owned twice")
	}
}

func TestNetworkTopologyReplicas(t *testing.T) {
	// Ring order: a1(dc1,r1) 10, b1(dc2,r1) 20, a2(dc1,r1) 30, a3(dc1,r2) 40, b2(dc2,r2) 50.
	hosts := []Host{
		{ID: "a1", DC: "dc1", Rack: "r1", Tokens: toks("10")},
		{ID: "b1", DC: "dc2", Rack: "r1", Tokens: toks("20")},
		{ID: "a2", DC: "dc1", Rack: "r1", Tokens: toks("30")},
		{ID: "a3", DC: "dc1", Rack: "r2", Tokens: toks("40")},
		{ID: "b2", DC: "dc2", Rack: "r2", Tokens: toks("50")},
	}
	r, err := BuildRing(murmur3, hosts, Replication{Class: "NetworkTopologyStrategy", Options: map[string]string{"dc1": "2", "dc2": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	// Range (Min, 10]: walk from a1: a1 (dc1 r1), b1 (dc2), a2 (dc1 r1:
	// rack used, skipped), a3 (dc1 r2) -> dc1 = a1, a3; dc2 = b1.
	got := map[string][]string{}
	for _, x := range r.Ranges {
		got[x.End.String()] = x.Replicas
	}
	want := map[string][]string{
		"10":  {"a1", "a3", "b1"},
		"20":  {"a2", "a3", "b1"}, // from b1: b1, a2 (r1), a3 (r2)
		"30":  {"a2", "a3", "b2"},
		"40":  {"a3", "a1", "b2"},
		"50":  {"a1", "a3", "b2"}, // from b2: b2, a1 (r1), b1, a2 (r1 used), a3 (r2)
		m3min: {"a1", "a3", "b1"}, // wrap range owned by a1
	}
	for end, w := range want {
		g := got[end]
		if !sameSet(g, w) || g[0] != w[0] && end != "50" {
			t.Errorf("range ending %s: replicas %v, want %v", end, g, w)
		}
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	a, b = append([]string(nil), a...), append([]string(nil), b...)
	sort.Strings(a)
	sort.Strings(b)
	return reflect.DeepEqual(a, b)
}

func TestRingReplicas(t *testing.T) {
	r, err := BuildRing(murmur3, []Host{{ID: "a", Tokens: toks("-100", "50")}, {ID: "b", Tokens: toks("0")}},
		Replication{Class: "SimpleStrategy", Options: map[string]string{"replication_factor": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	for tok, want := range map[string]string{"-101": "a", "-100": "a", "-99": "b", "0": "b", "1": "a", "50": "a", "51": "a", m3max: "a"} {
		got := r.Replicas(bi(tok))
		if len(got) != 1 || got[0] != want {
			t.Errorf("Replicas(%s) = %v, want [%s]", tok, got, want)
		}
	}
	if got := r.Replicas(bi(m3min)); got != nil {
		t.Errorf("Replicas(min) = %v, want none", got)
	}
}
