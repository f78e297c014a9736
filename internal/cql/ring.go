package cql

import (
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"
)

// Host is one node of the ring.
type Host struct {
	ID     string
	DC     string
	Rack   string
	Tokens []*big.Int
}

// Replication is a keyspace's replication: the strategy's class and its
// options (replication_factor, or one factor per datacenter).
type Replication struct {
	Class   string
	Options map[string]string
}

// Ring is the token ring of a cluster as one keyspace sees it: every
// token range with the hosts that replicate it. Ranges are sorted, cover
// the ring exactly once and never wrap: the range that wraps past the
// ring's end is cut at the minimum token into (last, Min] and (Min,
// first].
type Ring struct {
	Partitioner *Partitioner
	Ranges      []Range
}

type ringToken struct {
	t    *big.Int
	host int
}

// BuildRing computes the ranges of hosts' tokens and each range's
// replicas under rep (SimpleStrategy, NetworkTopologyStrategy, or
// anything else: the range's owner alone). A range (prev, t] is owned by
// the host of token t. Without any token the ring is one full range.
func BuildRing(p *Partitioner, hosts []Host, rep Replication) (*Ring, error) {
	var toks []ringToken
	seen := map[string]int{}
	for i, h := range hosts {
		for _, t := range h.Tokens {
			if t.Cmp(p.Min) < 0 || t.Cmp(p.Max) > 0 {
				return nil, fmt.Errorf("host %s: token %s is outside the %s ring", h.ID, t, p.Name)
			}
			if j, dup := seen[t.String()]; dup {
				return nil, fmt.Errorf("token %s is owned by two hosts (%s and %s)", t, hosts[j].ID, h.ID)
			}
			seen[t.String()] = i
			toks = append(toks, ringToken{t, i})
		}
	}
	r := &Ring{Partitioner: p}
	if len(toks) == 0 {
		r.Ranges = []Range{{Start: new(big.Int).Set(p.Min), End: new(big.Int).Set(p.Min)}}
		return r, nil
	}
	sort.Slice(toks, func(i, j int) bool { return toks[i].t.Cmp(toks[j].t) < 0 })
	replicas := replicaFunc(hosts, toks, rep)
	n := len(toks)
	first, last := toks[0], toks[n-1]
	// (Min, first], unless first is Min itself (then (last, Min] is
	// the whole wrap-around range).
	if first.t.Cmp(p.Min) != 0 {
		r.Ranges = append(r.Ranges, Range{Start: new(big.Int).Set(p.Min), End: first.t, Replicas: replicas(0)})
	}
	for i := 1; i < n; i++ {
		r.Ranges = append(r.Ranges, Range{Start: toks[i-1].t, End: toks[i].t, Replicas: replicas(i)})
	}
	// (last, Min]: the rest of the ring up to Max, owned by first's host;
	// empty when last is Max.
	if last.t.Cmp(p.Max) != 0 {
		r.Ranges = append(r.Ranges, Range{Start: last.t, End: new(big.Int).Set(p.Min), Replicas: replicas(0)})
	}
	return r, nil
}

// replicaFunc returns a function giving the replica host IDs of the range
// ending at toks[i], walking the ring clockwise from i.
func replicaFunc(hosts []Host, toks []ringToken, rep Replication) func(i int) []string {
	class := rep.Class
	if k := strings.LastIndexByte(class, '.'); k >= 0 {
		class = class[k+1:]
	}
	switch class {
	case "SimpleStrategy":
		rf, _ := strconv.Atoi(rep.Options["replication_factor"])
		return func(i int) []string { return simpleReplicas(hosts, toks, i, max(rf, 1)) }
	case "NetworkTopologyStrategy":
		dcs := map[string]int{}
		for k, v := range rep.Options {
			if k == "class" {
				continue
			}
			if n, err := strconv.Atoi(v); err == nil && n > 0 {
				dcs[k] = n
			}
		}
		racks := map[string]map[string]bool{}
		for _, h := range hosts {
			if racks[h.DC] == nil {
				racks[h.DC] = map[string]bool{}
			}
			racks[h.DC][h.Rack] = true
		}
		return func(i int) []string { return ntsReplicas(hosts, toks, i, dcs, racks) }
	default:
		// LocalStrategy, EverywhereStrategy or unknown: the owner.
		return func(i int) []string { return []string{hosts[toks[i].host].ID} }
	}
}

func simpleReplicas(hosts []Host, toks []ringToken, i, rf int) []string {
	var out []string
	taken := map[int]bool{}
	for k := 0; k < len(toks) && len(out) < rf; k++ {
		h := toks[(i+k)%len(toks)].host
		if !taken[h] {
			taken[h] = true
			out = append(out, hosts[h].ID)
		}
	}
	return out
}

// ntsReplicas follows NetworkTopologyStrategy: per datacenter, walk the
// ring clockwise taking hosts on racks not yet used; hosts on used racks
// are kept aside and taken (in ring order) once every rack of the
// datacenter has a replica.
func ntsReplicas(hosts []Host, toks []ringToken, i int, dcs map[string]int, racks map[string]map[string]bool) []string {
	type dcState struct {
		rf        int
		replicas  []int
		racksUsed map[string]bool
		skipped   []int
	}
	state := map[string]*dcState{}
	for dc, rf := range dcs {
		state[dc] = &dcState{rf: min(rf, countHosts(hosts, dc)), racksUsed: map[string]bool{}}
	}
	taken := map[int]bool{}
	done := func(s *dcState) bool { return len(s.replicas) >= s.rf }
	for k := 0; k < len(toks); k++ {
		h := toks[(i+k)%len(toks)].host
		host := hosts[h]
		s := state[host.DC]
		if s == nil || done(s) || taken[h] {
			continue
		}
		taken[h] = true
		switch {
		case !s.racksUsed[host.Rack]:
			s.replicas = append(s.replicas, h)
			s.racksUsed[host.Rack] = true
			if len(s.racksUsed) == len(racks[host.DC]) {
				for len(s.skipped) > 0 && !done(s) {
					s.replicas = append(s.replicas, s.skipped[0])
					s.skipped = s.skipped[1:]
				}
			}
		case len(s.racksUsed) == len(racks[host.DC]):
			s.replicas = append(s.replicas, h)
		default:
			s.skipped = append(s.skipped, h)
		}
	}
	var out []string
	dcNames := make([]string, 0, len(state))
	for dc := range state {
		dcNames = append(dcNames, dc)
	}
	sort.Strings(dcNames)
	for _, dc := range dcNames {
		s := state[dc]
		// Not enough racks to place rf replicas on distinct ones: the
		// skipped hosts fill up, as Cassandra does.
		for len(s.skipped) > 0 && !done(s) {
			s.replicas = append(s.replicas, s.skipped[0])
			s.skipped = s.skipped[1:]
		}
		for _, h := range s.replicas {
			out = append(out, hosts[h].ID)
		}
	}
	return out
}

func countHosts(hosts []Host, dc string) int {
	n := 0
	for _, h := range hosts {
		if h.DC == dc {
			n++
		}
	}
	return n
}

// Replicas returns the replicas of the ring range holding token t (a
// row's token: Min itself is held by none, and gives nil).
func (r *Ring) Replicas(t *big.Int) []string {
	p := r.Partitioner
	if t.Cmp(p.Min) <= 0 || t.Cmp(p.Max) > 0 {
		return nil
	}
	i := sort.Search(len(r.Ranges), func(i int) bool {
		end := r.Ranges[i].End
		return end.Cmp(p.Min) == 0 || end.Cmp(t) >= 0
	})
	if i == len(r.Ranges) {
		return nil
	}
	return r.Ranges[i].Replicas
}
