package cassandra

import (
	"math/big"
	"testing"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/pkg/manifest"
)

func TestPlanUnits(t *testing.T) {
	p, err := cql.PartitionerByName(cql.Murmur3)
	if err != nil {
		t.Fatal(err)
	}
	// 8 splits of the ring: estimates 10, 10, 10, 100, 10, 10, 0, 10.
	ests := []int64{10, 10, 10, 100, 10, 10, 0, 10}
	var splits []cql.Split
	step := new(big.Int).Quo(new(big.Int).Sub(p.Max, p.Min), big.NewInt(8))
	for i, e := range ests {
		start := new(big.Int).Add(p.Min, new(big.Int).Mul(step, big.NewInt(int64(i))))
		end := new(big.Int).Add(start, step)
		if i == 7 {
			end = new(big.Int).Set(p.Min)
		}
		splits = append(splits, cql.Split{Range: cql.Range{Start: start, End: end}, EstimatedBytes: e})
	}
	tests := []struct {
		target int64
		min    int
		want   []int // ranges per unit
	}{
		{target: 30, min: 1, want: []int{3, 1, 4}},
		{target: 25, min: 1, want: []int{2, 1, 1, 3, 1}},
		{target: 1000, min: 1, want: []int{8}},
		{target: 1000, min: 4, want: []int{3, 1, 4}}, // limit 160/4 = 40
		{target: 1000, min: 100, want: []int{1, 1, 1, 1, 1, 1, 1, 1}},
	}
	for _, tc := range tests {
		units, err := planUnits(p, splits, tc.target, tc.min)
		if err != nil {
			t.Fatal(err)
		}
		var got []int
		for _, u := range units {
			got = append(got, len(u.Ranges))
		}
		if len(got) != len(tc.want) {
			t.Errorf("target %d min %d: units of %v ranges, want %v", tc.target, tc.min, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("target %d min %d: units of %v ranges, want %v", tc.target, tc.min, got, tc.want)
				break
			}
		}
		// IDs are their first range's start; the plan is valid.
		for _, u := range units {
			id, _ := manifest.UnitID(u.Ranges[0].Start, p.Name)
			if u.ID != id {
				t.Errorf("unit %s starts at %s (id %s)", u.ID, u.Ranges[0].Start, id)
			}
		}
	}
	// Without estimates every split is a unit.
	for i := range splits {
		splits[i].EstimatedBytes = 0
	}
	units, _ := planUnits(p, splits, 1000, 1)
	if len(units) != 8 {
		t.Errorf("%d units without estimates, want 8", len(units))
	}
}
