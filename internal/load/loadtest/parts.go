package loadtest

import "github.com/lading-dev/lading/pkg/format"

// Parts returns n rows made by row(0) … row(n-1), cut into parts of
// perPart rows (the last may hold fewer): the shape benchmarks and memory
// tests write with Write.
func Parts(n, perPart int, row func(i int) format.Row) [][]format.Row {
	var parts [][]format.Row
	for start := 0; start < n; start += perPart {
		rows := make([]format.Row, 0, min(perPart, n-start))
		for i := start; i < min(start+perPart, n); i++ {
			rows = append(rows, row(i))
		}
		parts = append(parts, rows)
	}
	return parts
}
