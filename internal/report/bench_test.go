package report

import "testing"

// BenchmarkRunAdd measures the hot path libraries hit per row or part.
func BenchmarkRunAdd(b *testing.B) {
	r := New("bench")
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r.Add("rows", 1)
		}
	})
}

func BenchmarkRunAddNil(b *testing.B) {
	var r *Run
	for b.Loop() {
		r.Add("rows", 1)
	}
}
