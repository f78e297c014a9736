package cql

import (
	"context"
	"math/rand/v2"
	"sync"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// A range scan cannot be routed by a partition key (it has none), so the
// driver's token-aware policy would send it anywhere. replicaPolicy routes
// a query whose context carries the replicas of its token range to those
// replicas first (the local datacenter's, in random order, then the
// others'), and everything else through the wrapped token-aware policy.

type replicasKey struct{}

// withReplicas returns a context that routes queries run with it to the
// given hosts (host IDs) first.
func withReplicas(ctx context.Context, hostIDs []string) context.Context {
	if len(hostIDs) == 0 {
		return ctx
	}
	return context.WithValue(ctx, replicasKey{}, hostIDs)
}

func replicasOf(stmt gocql.ExecutableStatement) []string {
	c, ok := stmt.(interface{ Context() context.Context })
	if !ok {
		return nil
	}
	ctx := c.Context()
	if ctx == nil {
		return nil
	}
	ids, _ := ctx.Value(replicasKey{}).([]string)
	return ids
}

type replicaPolicy struct {
	gocql.HostSelectionPolicy // the fallback: token-aware over DC-aware
	localDC                   string

	mu      sync.Mutex
	session *gocql.Session
}

func newReplicaPolicy(fallback gocql.HostSelectionPolicy, localDC string) *replicaPolicy {
	return &replicaPolicy{HostSelectionPolicy: fallback, localDC: localDC}
}

// Init implements gocql.HostSelectionPolicy.
func (p *replicaPolicy) Init(s *gocql.Session) {
	p.mu.Lock()
	p.session = s
	p.mu.Unlock()
	p.HostSelectionPolicy.Init(s)
}

// Pick implements gocql.HostSelectionPolicy.
func (p *replicaPolicy) Pick(stmt gocql.ExecutableStatement) gocql.NextHost {
	ids := replicasOf(stmt)
	if len(ids) == 0 {
		return p.HostSelectionPolicy.Pick(stmt)
	}
	p.mu.Lock()
	s := p.session
	p.mu.Unlock()
	var hosts []*gocql.HostInfo
	if s != nil {
		hosts = orderReplicas(s.GetHosts(), ids, p.localDC)
	}
	used := make(map[string]bool, len(hosts))
	var fallback gocql.NextHost
	i := 0
	return func() gocql.SelectedHost {
		if i < len(hosts) {
			h := hosts[i]
			i++
			used[h.HostID()] = true
			return selected{h}
		}
		if fallback == nil {
			fallback = p.HostSelectionPolicy.Pick(stmt)
		}
		for {
			sh := fallback()
			if sh == nil || !used[sh.Info().HostID()] {
				return sh
			}
		}
	}
}

// orderReplicas returns the up hosts among all whose IDs are in ids: the
// local datacenter's first (all of them when localDC is ""), each group
// shuffled so that retries and parallel scans spread over the replicas.
func orderReplicas(all []*gocql.HostInfo, ids []string, localDC string) []*gocql.HostInfo {
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	var local, remote []*gocql.HostInfo
	for _, h := range all {
		if !want[h.HostID()] || !h.IsUp() {
			continue
		}
		if localDC == "" || h.DataCenter() == localDC {
			local = append(local, h)
		} else {
			remote = append(remote, h)
		}
	}
	rand.Shuffle(len(local), func(i, j int) { local[i], local[j] = local[j], local[i] })
	rand.Shuffle(len(remote), func(i, j int) { remote[i], remote[j] = remote[j], remote[i] })
	return append(local, remote...)
}

type selected struct{ h *gocql.HostInfo }

func (s selected) Info() *gocql.HostInfo { return s.h }
func (s selected) Mark(error)            {}

// RemoveHost implements gocql.HostSelectionPolicy. The driver's
// round-robin host lists add and remove hosts by address, not by host
// ID: when a host is replaced by another at the same address (with
// route=contact-points the driver first knows each contact point under
// a made-up ID, and learns the node's real one only after reconnecting,
// as after a restart), removing the old one took the new one out too,
// and every request then failed with "no hosts available" for good.
func (p *replicaPolicy) RemoveHost(h *gocql.HostInfo) {
	p.HostSelectionPolicy.RemoveHost(h)
	p.keepSameAddress(h)
}

// HostDown implements gocql.HostSelectionPolicy (see RemoveHost).
func (p *replicaPolicy) HostDown(h *gocql.HostInfo) {
	p.HostSelectionPolicy.HostDown(h)
	p.keepSameAddress(h)
}

// keepSameAddress adds back the up hosts other than gone that share its
// address, which the wrapped policy just dropped with it.
func (p *replicaPolicy) keepSameAddress(gone *gocql.HostInfo) {
	p.mu.Lock()
	s := p.session
	p.mu.Unlock()
	if s == nil {
		return
	}
	for _, h := range s.GetHosts() {
		if h != gone && h.HostID() != gone.HostID() && h.IsUp() && h.ConnectAddress().Equal(gone.ConnectAddress()) {
			p.HostSelectionPolicy.AddHost(h)
		}
	}
}
