package main

import (
	"math/rand/v2"
	"reflect"
	"testing"
)

// The same seed gives the same partitions and rows; another seed does not.
func TestDeterministic(t *testing.T) {
	a, b := partitionSizes(100_000, 1), partitionSizes(100_000, 1)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two plans from seed 1 differ")
	}
	if reflect.DeepEqual(a, partitionSizes(100_000, 2)) {
		t.Fatal("seeds 1 and 2 give the same plan")
	}
	sum, wide := 0, 0
	for _, n := range a {
		sum += n
		if n >= 500 {
			wide += n
		}
	}
	if sum != 100_000 {
		t.Errorf("partitions hold %d rows, want 100000", sum)
	}
	if wide < 30_000 || wide > 70_000 {
		t.Errorf("%d rows in wide partitions, want about half", wide)
	}
	row := func(seed uint64) values { return rowValues(rand.New(rand.NewPCG(seed, 8)), 7, 3) }
	if !reflect.DeepEqual(row(1), row(1)) || reflect.DeepEqual(row(1), row(2)) {
		t.Error("rows are not a function of the seed")
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range 2000 {
		if v := rowValues(rng, 0, i); len(v.payload) > 4096 {
			t.Fatalf("row %d: blob of %d bytes, want at most 4 KB", i, len(v.payload))
		}
	}
}
