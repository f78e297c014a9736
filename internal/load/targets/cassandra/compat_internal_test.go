package cassandra

import (
	"testing"

	"github.com/lading-dev/lading/pkg/format"
)

func TestBeforeCellTimes(t *testing.T) {
	for v, want := range map[string]bool{"5.0.9": false, "5.1-SNAPSHOT": false, "4.1.10": true, "4.0.19": true, "3.11.17": true, "3.0.8": true, "": true} {
		if got := beforeCellTimes(v); got != want {
			t.Errorf("beforeCellTimes(%q) = %v, want %v", v, got, want)
		}
	}
}

func TestRowNewest(t *testing.T) {
	row := &format.Row{Writetime: [][]int64{nil, {5000}, {format.NullElement, 7000}, nil}}
	if got := rowNewest(row, 1); got != 7000 {
		t.Errorf("rowNewest = %d, want 7000 (the newest cell, nulls skipped)", got)
	}
	if got := rowNewest(&format.Row{Writetime: [][]int64{nil, nil}}, 42); got != 42 {
		t.Errorf("rowNewest of a row without times = %d, want the default 42", got)
	}
}
