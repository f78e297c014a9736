package cql

import (
	"context"
	"fmt"
	"math/big"
	"strings"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// ReadRing returns the cluster's token ring with the replicas of every
// range under keyspace's replication. Hosts and tokens come from the
// driver's host metadata; if the driver knows no tokens, from
// system.local and system.peers_v2 (system.peers on older servers).
func ReadRing(ctx context.Context, s *Session, p *Partitioner, keyspace string) (*Ring, error) {
	rep, err := readReplication(ctx, s, keyspace)
	if err != nil {
		return nil, err
	}
	hosts, err := driverHosts(s, p)
	if err != nil {
		return nil, err
	}
	if len(hosts) == 0 {
		if hosts, err = systemHosts(ctx, s, p); err != nil {
			return nil, err
		}
	}
	r, err := BuildRing(p, hosts, rep)
	if err != nil {
		return nil, fmt.Errorf("token ring: %w", err)
	}
	return r, nil
}

func readReplication(ctx context.Context, s *Session, keyspace string) (Replication, error) {
	var m map[string]string
	err := s.s.Query(`SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?`, keyspace).
		Consistency(gocql.One).ScanContext(ctx, &m)
	if err != nil {
		return Replication{}, fmt.Errorf("read replication of keyspace %s: %w", keyspace, err)
	}
	rep := Replication{Class: m["class"], Options: map[string]string{}}
	for k, v := range m {
		if k != "class" {
			rep.Options[k] = v
		}
	}
	return rep, nil
}

// driverHosts returns the hosts the driver knows with their tokens, or
// nothing if any host lacks tokens (then the system tables decide).
func driverHosts(s *Session, p *Partitioner) ([]Host, error) {
	var out []Host
	for _, h := range s.s.GetHosts() {
		toks := h.Tokens()
		if len(toks) == 0 || h.HostID() == "" {
			return nil, nil
		}
		host := Host{ID: h.HostID(), DC: h.DataCenter(), Rack: h.Rack()}
		for _, t := range toks {
			bt, err := p.ParseToken(t)
			if err != nil {
				return nil, fmt.Errorf("host %s: %w", h.HostID(), err)
			}
			host.Tokens = append(host.Tokens, bt)
		}
		out = append(out, host)
	}
	return out, nil
}

func systemHosts(ctx context.Context, s *Session, p *Partitioner) ([]Host, error) {
	var out []Host
	scan := func(stmt string) error {
		iter := s.s.Query(stmt).Consistency(gocql.One).IterContext(ctx)
		var id gocql.UUID
		var dc, rack string
		var toks []string
		for iter.Scan(&id, &dc, &rack, &toks) {
			h := Host{ID: id.String(), DC: dc, Rack: rack}
			for _, t := range toks {
				bt, err := p.ParseToken(t)
				if err != nil {
					_ = iter.Close()
					return fmt.Errorf("host %s: %w", h.ID, err)
				}
				h.Tokens = append(h.Tokens, bt)
			}
			out = append(out, h)
		}
		return iter.Close()
	}
	if err := scan(`SELECT host_id, data_center, rack, tokens FROM system.local WHERE key = 'local'`); err != nil {
		return nil, fmt.Errorf("read system.local: %w", err)
	}
	if err := scan(`SELECT host_id, data_center, rack, tokens FROM system.peers_v2`); err != nil {
		if !strings.Contains(err.Error(), "peers_v2") {
			return nil, fmt.Errorf("read system.peers_v2: %w", err)
		}
		if err := scan(`SELECT host_id, data_center, rack, tokens FROM system.peers`); err != nil {
			return nil, fmt.Errorf("read system.peers: %w", err)
		}
	}
	return out, nil
}

// Estimate is one row of system.size_estimates: a range, its mean
// partition size and partition count, as one node estimates them.
type Estimate struct {
	Start, End *big.Int
	Bytes      int64 // mean_partition_size * partitions_count
	Partitions int64
}

// ReadEstimates reads system.size_estimates of a table from every host
// (each node estimates only its own ranges), skipping hosts that do not
// answer; duplicates (one range from two replicas) are kept once.
func ReadEstimates(ctx context.Context, s *Session, p *Partitioner, keyspace, table string) ([]Estimate, error) {
	seen := map[string]bool{}
	var out []Estimate
	hosts := s.s.GetHosts()
	var lastErr error
	answered := 0
	for _, h := range hosts {
		if !h.IsUp() {
			continue
		}
		iter := s.s.Query(`SELECT range_start, range_end, mean_partition_size, partitions_count FROM system.size_estimates WHERE keyspace_name = ? AND table_name = ?`,
			keyspace, table).Consistency(gocql.One).SetHostID(h.HostID()).IterContext(ctx)
		var start, end string
		var mean, count int64
		for iter.Scan(&start, &end, &mean, &count) {
			key := start + "/" + end
			if seen[key] {
				continue
			}
			st, err1 := p.ParseToken(start)
			en, err2 := p.ParseToken(end)
			if err1 != nil || err2 != nil {
				continue
			}
			seen[key] = true
			out = append(out, Estimate{Start: st, End: en, Bytes: max(mean, 0) * max(count, 0), Partitions: max(count, 0)})
		}
		if err := iter.Close(); err != nil {
			lastErr = err
			continue
		}
		answered++
	}
	if answered == 0 && lastErr != nil {
		return nil, fmt.Errorf("read system.size_estimates: %w", lastErr)
	}
	return out, nil
}
